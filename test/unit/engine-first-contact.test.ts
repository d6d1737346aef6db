// The first-contact budget: a request the driver reports as dialing is not failed at the per-hop
// timeout; once its connection is up, the per-hop timeout counts from there. Without the driver's
// report nothing changes (the simulator's case).
import { describe, expect, it } from 'vitest'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, Output, Request } from '../../src/engine/types.js'

function contactAt(label: string, firstByte: number): Contact {
  const id = new Uint8Array(32)
  id[0] = firstByte
  id[31] = 1
  return { id, peer: label, addrs: [], ipGroup: label }
}

const TIMER = { kind: 'timer' } as const
const cfg = engineConfig({ rpcTimeoutMs: 750, firstContactTimeoutMs: 5_000 })

function starting() {
  const boot = contactAt('boot', 0x80)
  const engine = new DhtEngine({ self: contactAt('self', 0), config: cfg, rng: new SeededRng('fc') })
  const out = engine.step(0, { kind: 'start', bootstraps: [boot] })
  const req = out.sends.find((s) => s.to === boot && s.msg.kind === 'request')!.msg as Request
  return { engine, boot, req }
}

/** Steps the engine's timers until `untilMs` (inclusive); returns every output. */
function runTimers(engine: DhtEngine, fromOut: Output, untilMs: number): Output[] {
  const outs: Output[] = []
  let next = fromOut.nextDeadlineMs
  while (next <= untilMs) {
    const o = engine.step(next, TIMER)
    outs.push(o)
    next = o.nextDeadlineMs
  }
  return outs
}

const failedRound = (outs: Output[]) => outs.some((o) => o.events.some((e) => e.kind === 'bootstrap-round-failed'))

describe('first contact', () => {
  it('without a dialing report, the join fails at the per-hop timeout', () => {
    const { engine } = starting()
    const outs = runTimers(engine, engine.step(1, TIMER), cfg.rpcTimeoutMs + 1)
    expect(failedRound(outs)).toBe(true)
  })

  it('a dialing request waits for its connection past the per-hop timeout, then gets a full hop', () => {
    const { engine, boot, req } = starting()
    const d = engine.step(1, { kind: 'rpc-dialing', rpcId: req.rpcId })
    // Set-up takes 3 s: four per-hop timeouts pass without failing the join.
    expect(failedRound(runTimers(engine, d, 3_000))).toBe(false)
    const c = engine.step(3_000, { kind: 'rpc-connected', rpcId: req.rpcId })
    // The answer comes 700 ms after the connection: inside the hop that started with it.
    expect(failedRound(runTimers(engine, c, 3_700))).toBe(false)
    const a = engine.step(3_700, { kind: 'message', from: boot, msg: { kind: 'response', rpcId: req.rpcId, type: req.type, closer: [], providers: [] } })
    expect(engine.readiness(3_700).joined).toBe(true)
    expect(failedRound([a])).toBe(false)
  })

  it('a connected request that stays silent fails one hop after its connection', () => {
    const { engine, req } = starting()
    engine.step(1, { kind: 'rpc-dialing', rpcId: req.rpcId })
    const c = engine.step(2_000, { kind: 'rpc-connected', rpcId: req.rpcId })
    expect(failedRound(runTimers(engine, c, 2_000 + cfg.rpcTimeoutMs - 1))).toBe(false)
    expect(failedRound(runTimers(engine, engine.step(2_000 + cfg.rpcTimeoutMs - 1, TIMER), 2_000 + cfg.rpcTimeoutMs))).toBe(true)
  })

  it('a set-up that never finishes fails at the first-contact budget', () => {
    const { engine, req } = starting()
    const d = engine.step(1, { kind: 'rpc-dialing', rpcId: req.rpcId })
    expect(failedRound(runTimers(engine, d, cfg.firstContactTimeoutMs - 1))).toBe(false)
    expect(failedRound(runTimers(engine, engine.step(cfg.firstContactTimeoutMs - 1, TIMER), cfg.firstContactTimeoutMs + 1))).toBe(true)
  })
})
