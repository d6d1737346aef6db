// The libp2p stack model: first contact pays the set-up, an open connection is reused both ways,
// a request waits for a set-up under way, connections close with their peer and beyond the limit;
// in a run it is off by default, deterministic, and makes lookups pay what the node pays.
import { describe, expect, it } from 'vitest'
import { StackModel, requestRtts, stackSpec, STACK_DEFAULTS } from '../../src/netmodel/stack.js'
import { Network } from '../../src/sim/network.js'
import { SeededRng } from '../../src/engine/rng.js'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { smallStackScenarioText } from '../helpers/stack-scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { renderJson } from '../../src/report/files.js'
import { UserSpaceShaper, type PeerPlace } from '../../src/node/shaper/link-shaper.js'
import { regionMatrix } from '../../src/netmodel/regions.js'
import type { Message } from '../../src/engine/types.js'
import { DhtEngine, type EngineOptions } from '../../src/engine/engine.js'
import type { EngineLike } from '../../src/sim/simulation.js'

const spec = stackSpec({ setup_rtts: 4, stream_rtts: 1, setup_cpu_ms: 3, rpc_cpu_ms: 0.5, max_connections: 2 })

describe('StackModel', () => {
  it('charges a first contact its set-up, then only the stream and the processing', () => {
    const m = new StackModel(spec, 4)
    // 4 RTT of 10 ms + 3 ms set-up, then 1 RTT of stream, then 0.5 ms processing.
    expect(m.request(0, 1, 100, 10)).toBe(40 + 3 + 10 + 0.5)
    expect(m.lastConnectedAtMs).toBe(100 + 43 + 10)
    // Later, the connection is up: the stream only, and no first contact to report.
    expect(m.request(0, 1, 500, 10)).toBe(10 + 0.5)
    expect(m.lastConnectedAtMs).toBe(-1)
    expect(m.opened).toBe(1)
    expect(m.reused).toBe(1)
  })

  it('reuses a connection the other side opened', () => {
    const m = new StackModel(spec, 4)
    m.request(2, 3, 0, 20)
    expect(m.connected(3, 2)).toBe(true)
    expect(m.request(3, 2, 1000, 20)).toBe(20.5)
  })

  it('a request while the set-up is under way waits for the rest of it', () => {
    const m = new StackModel(spec, 4)
    m.request(0, 1, 0, 10) // up at 43
    expect(m.request(0, 1, 30, 10)).toBe(43 - 30 + 10 + 0.5)
    expect(m.lastConnectedAtMs).toBe(53)
  })

  it('closes a leaving peer\'s connections at both ends, and the least recently used beyond the limit', () => {
    const m = new StackModel(spec, 4)
    m.request(0, 1, 0, 1)
    m.request(0, 2, 0, 1)
    m.request(0, 1, 100, 1) // 1 is now the most recently used of peer 0
    m.request(0, 3, 200, 1) // a third connection: over the limit of 2, 0-2 goes
    expect(m.connectionsOf(0)).toBe(2)
    expect(m.connected(0, 2)).toBe(false)
    expect(m.connected(2, 0)).toBe(false)
    expect(m.connected(0, 1)).toBe(true)
    m.closeAll(1)
    expect(m.connected(0, 1)).toBe(false)
    expect(m.connectionsOf(1)).toBe(0)
    // After a close, the next request sets up again.
    expect(m.request(0, 1, 300, 1)).toBe(4 + 3 + 1 + 0.5)
  })

  it('counts the connections opened from the start of the measured window, each once', () => {
    const m = new StackModel(spec, 4, 1000)
    m.request(0, 1, 0, 1) // before the window
    m.request(1, 0, 1500, 1) // the same connection, reused the other way
    m.request(0, 2, 1000, 1) // in the window
    m.request(2, 3, 2000, 1)
    expect(m.opened).toBe(3)
    expect(m.openedInWindow).toBe(2)
  })

  it('defaults: 4 set-up round trips, 1 per stream, the node\'s connection limit', () => {
    const d = stackSpec()
    expect(d.setup_rtts).toBe(STACK_DEFAULTS.setupRtts)
    expect(d.stream_rtts).toBe(1)
    expect(d.max_connections).toBe(1024)
    expect(requestRtts(d, false)).toBe(5)
    expect(requestRtts(d, true)).toBe(1)
  })
})

describe('Network with the stack model', () => {
  const REQ: Message = { kind: 'request', rpcId: 1, type: 'FIND_NODE', key: new Uint8Array(32), target: new Uint8Array(32), providers: [] } as unknown as Message
  const RES: Message = { kind: 'response', rpcId: 1, type: 'FIND_NODE', closer: [], providers: [] }
  const net = (on: boolean) =>
    new Network({
      regionOf: Uint8Array.from([0, 1]),
      accessMs: Float32Array.from([5, 7]),
      regionNames: ['a', 'b'],
      oneWayMs: Float64Array.from([10, 45, 45, 12]),
      jitterMedianMs: 0,
      jitterSigma: 1,
      loss: 0,
      rng: new SeededRng('stack-net'),
      ...(on ? { stack: spec } : {}),
    })

  it('adds the stack to requests only, on the link\'s base round trip', () => {
    const one = 45 + 5 + 7
    const off = net(false)
    expect(off.stack).toBeUndefined()
    expect(off.route(0, 1, REQ, 0)).toBe(one)
    const on = net(true)
    expect(on.route(0, 1, REQ, 0)).toBe(one + 5 * 2 * one + 3 + 0.5)
    expect(on.route(1, 0, RES, 10)).toBe(one)
    expect(on.route(1, 0, REQ, 1000)).toBe(one + 2 * one + 0.5)
  })
})

const SMALL = (stack?: string): string => smallStackScenarioText('stack-small', 5, stack)

describe('network.stack in a run', () => {
  const run = (stack: string | undefined) =>
    runScenario(parseScenarioText(SMALL(stack), 'stack-small.yaml'), { scenarioPath: 'stack-small.yaml', toolVersion: 'test' })

  it('is off by default (the resolved scenario has no stack) and deterministic when on', () => {
    const off = run(undefined)
    expect((off.scenario.resolved as { network: Record<string, unknown> }).network.stack).toBeUndefined()
    const on = run('{}')
    expect(renderJson(run('{}'))).toBe(renderJson(on))
    // Lookups pay a stream round trip per hop and set-ups on first contact: slower than without.
    expect(on.metrics.lookup_p50_ms!).toBeGreaterThan(1.2 * off.metrics.lookup_p50_ms!)
    // It reports the connections opened after the warm-up, fewer than the run's requests.
    expect(off.connections).toBeUndefined()
    expect(on.connections!.opened).toBeGreaterThan(0)
    expect(on.connections!.opened).toBeLessThan(on.metrics.lookups! * on.metrics.messages_per_lookup!)
    // Each answered request's round trip: a first contact pays the set-up's round trips on top.
    expect(off.rpc).toBeUndefined()
    const rpc = on.rpc!
    expect(rpc.first_contact.requests).toBeGreaterThan(0)
    expect(rpc.open_connection.requests).toBeGreaterThan(0)
    expect(rpc.all.requests).toBe(rpc.first_contact.requests + rpc.open_connection.requests)
    expect(rpc.first_contact.p95_ms!).toBeGreaterThan(2 * rpc.open_connection.p95_ms!)
    // The routing is the same engine's: hops do not move much.
    expect(Math.abs(on.metrics.hops_p99! - off.metrics.hops_p99!)).toBeLessThanOrEqual(1)
  })

  it('with every cost at zero, changes no latency figure much (the model alone adds nothing)', () => {
    const off = run(undefined)
    const zero = run('{ setup_rtts: 0, stream_rtts: 0, setup_cpu_ms: 0, rpc_cpu_ms: 0 }')
    expect(zero.metrics.lookup_success).toBe(off.metrics.lookup_success)
    expect(Math.abs(zero.metrics.lookup_p95_ms! - off.metrics.lookup_p95_ms!)).toBeLessThan(0.1 * off.metrics.lookup_p95_ms!)
  })

  it('tells the engine of each first contact: rpc-dialing when its set-up starts, rpc-connected when its stream is open', () => {
    const seen: { kind: string; key: string; nowMs: number }[] = []
    const factory = (o: EngineOptions): EngineLike => {
      const e = new DhtEngine(o)
      return {
        step(nowMs, input) {
          if (input.kind === 'rpc-dialing' || input.kind === 'rpc-connected') seen.push({ kind: input.kind, key: `${o.self.peer}/${input.rpcId}`, nowMs })
          return e.step(nowMs, input)
        },
      }
    }
    const withStack = (stack: string | undefined) =>
      runScenario(parseScenarioText(SMALL(stack), 's.yaml'), { engineFactory: factory, scenarioPath: 's.yaml', toolVersion: 'test' })
    withStack(undefined)
    expect(seen).toHaveLength(0)
    withStack('{ setup_cpu_ms: 0, rpc_cpu_ms: 0 }')
    const dialing = new Map(seen.filter((x) => x.kind === 'rpc-dialing').map((x) => [x.key, x.nowMs]))
    const connected = seen.filter((x) => x.kind === 'rpc-connected')
    expect(dialing.size).toBeGreaterThan(100)
    expect(connected.length).toBe(dialing.size)
    // The shortest link's round trip is at least 18 ms (europe-west's RTT): a request that opens a
    // connection waits 4 + 1 of them; one that joins a set-up under way, its stream's at least.
    const waits = connected.map((c) => c.nowMs - dialing.get(c.key)!)
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(18)
    expect(waits.filter((w) => w >= 5 * 18).length).toBeGreaterThan(0.5 * waits.length)
  })

  it('seeds both ends of each new connection with the other once identify is done, as the node\'s host does', () => {
    // Per engine: the peers it was seeded with, when, and when it first sent each a request.
    const seeded: { me: string; peer: string; nowMs: number }[] = []
    const firstSent = new Map<string, number>()
    const factory = (o: EngineOptions): EngineLike => {
      const e = new DhtEngine(o)
      const me = o.self.peer
      return {
        step(nowMs, input) {
          if (input.kind === 'seed-contacts') for (const c of input.contacts) seeded.push({ me, peer: c.peer, nowMs })
          const out = e.step(nowMs, input)
          for (const send of out.sends) if (send.msg.kind === 'request' && !firstSent.has(`${me}>${send.to.peer}`)) firstSent.set(`${me}>${send.to.peer}`, nowMs)
          return out
        },
      }
    }
    const withStack = (stack: string | undefined) =>
      runScenario(parseScenarioText(SMALL(stack), 's.yaml'), { engineFactory: factory, scenarioPath: 's.yaml', toolVersion: 'test' })
    withStack(undefined)
    expect(seeded).toHaveLength(0)
    firstSent.clear()
    withStack('{ setup_cpu_ms: 0, rpc_cpu_ms: 0 }')
    expect(seeded.length).toBeGreaterThan(200)
    const pairs = new Set(seeded.map((x) => `${x.me}>${x.peer}`))
    let dialer = 0
    for (const x of seeded) {
      expect(x.peer).not.toBe(x.me)
      // Each end learns of the other.
      expect(pairs.has(`${x.peer}>${x.me}`)).toBe(true)
      // The connection opened with the pair's first request, either way; identify is done after
      // its set-up's round trips and the stream's (4 + 1 of europe-west's 18 ms at least).
      const mine = firstSent.get(`${x.me}>${x.peer}`) ?? Infinity
      const theirs = firstSent.get(`${x.peer}>${x.me}`) ?? Infinity
      expect(x.nowMs - Math.min(mine, theirs)).toBeGreaterThanOrEqual(5 * 18)
      if (mine < theirs) dialer++
    }
    // About half of the seeds reach the dialer, half the listener (who had not sent to it before).
    expect(dialer).toBeGreaterThan(0.3 * seeded.length)
    expect(dialer).toBeLessThan(0.7 * seeded.length)
  })

  it('refuses a bad field with one line naming it', () => {
    expect(() => parseScenarioText(SMALL('{ setup_rtts: -1 }'), 's.yaml')).toThrow(/network\.stack\.setup_rtts/)
    expect(() => parseScenarioText(SMALL('{ bogus: 1 }'), 's.yaml')).toThrow(/network\.stack/)
  })
})

describe('the shaper\'s stack emulation (testbed)', () => {
  function rtt(a: string, b: string): number {
    const m = regionMatrix()
    return m.rttMs[m.names.indexOf(a) * m.names.length + m.names.indexOf(b)]!
  }
  it('holds a request for a stream round trip, plus a set-up when not connected; answers are not held for it', () => {
    let now = 0
    const conns = new Set<string>()
    const dir = new Map<string, PeerPlace>([['far', { region: 'north-america-east', accessMs: 3 }]])
    const s = new UserSpaceShaper({
      self: 'me',
      place: { region: 'europe-west', accessMs: 2 },
      directory: dir,
      jitter: { median: 0, sigma: 0 },
      now: () => now,
      stack: { setup_rtts: 4, stream_rtts: 1 },
      connected: (p) => conns.has(p),
    })
    const one = rtt('europe-west', 'north-america-east') / 2 + 2 + 3
    expect(s.request('far')).toBeCloseTo(one + 5 * 2 * one, 6)
    // A second request while that set-up is under way waits for the rest of it.
    now = 2 * one
    expect(s.request('far')).toBeCloseTo(one + (8 - 2) * one + 2 * one, 6)
    conns.add('far')
    expect(s.request('far')).toBeCloseTo(one + 2 * one, 6)
    expect(s.outbound('far')).toBeCloseTo(one, 6)
  })
})
