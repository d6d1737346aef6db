// dht-sim explore: many seeds with random fault schedules, safety checked while the run goes and
// liveness after the faults heal. Each planted bug below must be caught, reported with its replay
// command, and shrunk to the faults it needs; a healthy engine must pass.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BadInputError } from '../../src/common/errors.js'
import { exploreCommand } from '../../src/cli/commands/explore.js'
import { shrunkScenarioYaml } from '../../src/report/explore.js'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { exploreMany, runSeed, scheduleFor, shrinkSeed } from '../../src/sim/explore/explore.js'
import { DEFAULT_BOUNDS, drawSchedule, drawWindow, lastHealS } from '../../src/sim/explore/schedule.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { EngineFactory } from '../../src/sim/simulation.js'
import type { Contact, Input, Output } from '../../src/engine/types.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'

const SMALL = `
name: explore-small
seed: 1
duration_s: 900
warmup_s: 60
network:
  peers: 40
  bootstraps: 2
  join_spread_s: 30
  access_latency_ms: { median: 2, sigma: 0.5 }
workload:
  find_node_per_s: 2
  provide_per_s: 0.2
  get_providers_per_s: 1
readiness: { sample_s: 5 }
`
const base = parseScenarioText(SMALL, 'explore-small.yaml')
const replay = (s: string): string => `dht-sim explore explore-small.yaml --from ${s} --seeds 1`

/** A factory whose engines misbehave through `bug` (given the engine's step and the input). */
function planted(bug: (self: Contact, now: number, input: Input, out: Output) => Output): (f: EngineFactory) => EngineFactory {
  return (f) => (o) => {
    const e = f(o)
    return { step: (now: number, input: Input) => bug(o.self, now, input, e.step(now, input)) }
  }
}

describe('explore schedules', () => {
  it('draws faults inside the window that leaves room for the liveness check, the same for the same seed', () => {
    const win = drawWindow(base, DEFAULT_BOUNDS)!
    for (let i = 0; i < 30; i++) {
      const s = drawSchedule(new SeededRng(`t${i}`), base)
      expect(s.faults.length).toBeGreaterThanOrEqual(1)
      expect(s.faults.length).toBeLessThanOrEqual(DEFAULT_BOUNDS.maxFaults)
      for (const f of s.faults) {
        expect(f.at_s).toBeGreaterThanOrEqual(win.fromS)
        expect(f.at_s + f.for_s).toBeLessThanOrEqual(win.toS)
      }
      expect(lastHealS(s.faults) + DEFAULT_BOUNDS.livenessBoundS + DEFAULT_BOUNDS.livenessWindowS).toBeLessThanOrEqual(base.duration_s)
      expect(drawSchedule(new SeededRng(`t${i}`), base)).toEqual(s)
    }
  })
})

describe('explore runs', () => {
  it('passes a healthy engine, reports the states it reached and replays byte-identically', () => {
    const a = exploreMany(base, { from: 1, seeds: 1, replay })
    expect(a.violations).toBe(0)
    expect(a.liveness_failures).toBe(0)
    expect(a.failed).toEqual([])
    expect(Object.keys(a.sometimes).length).toBeGreaterThan(0)
    expect(Object.values(a.fault_kinds).reduce((n, k) => n + k.drawn, 0)).toBeGreaterThan(0)
    const b = exploreMany(base, { from: 1, seeds: 1, replay })
    expect(JSON.stringify(b)).toBe(JSON.stringify(a))
  })

  it('catches a provider record handed to a peer the engine never contacted, and shrinks the schedule to nothing', () => {
    // The bug: a PROVIDE also stores its record on p39, whoever that is to this engine.
    const bug = planted((self, _now, input, out) => {
      if (input.kind !== 'lookup' || input.op !== 'PROVIDE' || self.peer === 'p39') return out
      const to = { id: new Uint8Array(32), peer: 'p39', addrs: [], ipGroup: '' }
      const msg = { kind: 'request' as const, rpcId: 1e9, type: 'ADD_PROVIDER' as const, key: input.key, target: input.target, providers: [self] }
      return { ...out, sends: [...out.sends, { to, msg }] }
    })
    const rep = exploreMany(base, { from: 7, seeds: 1, replay, wrapEngine: bug })
    expect(rep.pass).toBe(false)
    expect(rep.violations).toBe(1)
    const f = rep.failed[0]!
    expect(f.original.violation?.check).toMatch(/^(send-to-unknown|record-to-uncontacted)$/)
    expect(f.replay).toBe('dht-sim explore explore-small.yaml --from 7 --seeds 1')
    // The bug needs no fault: every fault is shrunk away, and the failure stays the same.
    expect(f.original.schedule.faults.length).toBeGreaterThan(0)
    expect(f.shrunk.schedule.faults).toEqual([])
    expect(f.shrunk.violation?.check).toBe(f.original.violation?.check)
  })

  it('catches an engine that throws, with the virtual time it stopped at', () => {
    const bug = planted((_self, now, input, out) => {
      if (input.kind === 'timer' && now > 400_000) throw new Error('planted crash')
      return out
    })
    const r = runSeed(base, '3', scheduleFor(base, '3', {}), { wrapEngine: bug })
    expect(r.pass).toBe(false)
    expect(r.violation?.check).toBe('exception')
    expect(r.violation?.message).toContain('planted crash')
    expect(r.violation?.at_s).toBeGreaterThanOrEqual(400)
  })

  it('catches liveness that never comes back after the faults heal, and keeps only the fault it needs', () => {
    // The bug: once any node has been stopped by a fault, no node answers a request again.
    let poisoned = false
    const bug = planted((_self, _now, input, out) => {
      if (input.kind === 'stop') poisoned = true
      return poisoned && input.kind === 'message' && input.msg.kind === 'request' ? { ...out, sends: [] } : out
    })
    const schedule = {
      faults: [
        { id: 'lat', kind: 'latency' as const, at_s: 200, for_s: 60, targets: 'all', add_ms: 50, jitter_ms: 0, direction: 'both' as const },
        { id: 'down', kind: 'crash' as const, at_s: 250, for_s: 60, targets: 'fraction:0.2' },
      ],
      sybils: undefined,
    }
    const opts = { wrapEngine: (f: EngineFactory) => bug(f) }
    poisoned = false
    const r = runSeed(base, '5', schedule, opts)
    expect(r.violation).toBeNull()
    expect(r.pass).toBe(false)
    expect(r.liveness_success ?? 0).toBeLessThan(DEFAULT_BOUNDS.livenessMinSuccess)
    expect(r.faults.find((f) => f.id === 'down')?.reached).toBe(true)
    const shrunk = shrinkSeed(base, r, { wrapEngine: (f) => ((poisoned = false), bug(f)) })
    expect(shrunk.result.schedule.faults.map((f) => f.id)).toEqual(['down'])
  })
})

describe('a shrunk schedule saved as a scenario', () => {
  it('replays the explored run exactly: peers and workload as explored, and no gate left naming a removed fault', () => {
    const withGate = parseScenarioText(
      `${SMALL}faults:\n  - { id: own, at_s: 200, for_s: 60, kind: latency, add_ms: 50, targets: all }\ngates:\n  - { metric: lookup_p95_ms, op: "<", threshold: 900, window: "during:own" }\n`,
      'explore-small.yaml',
    )
    const opts = { peers: 30 }
    const schedule = scheduleFor(withGate, '3', opts)
    const explored = runSeed(withGate, '3', schedule, opts)
    // As if shrinking had removed the scenario's own fault.
    const shrunk = { ...explored, schedule: { ...schedule, faults: schedule.faults.filter((f) => f.id !== 'own') } }
    const text = shrunkScenarioYaml(withGate, shrunk, 30)
    const saved = parseScenarioText(text, 'seed-3-shrunk.yaml')
    expect(saved.network.peers).toBe(30)
    expect(saved.workload.find_node_per_s).toBe(Math.round(2 * (30 / 40) * 1000) / 1000)
    expect(saved.gates).toEqual([])
    const direct = runSeed(withGate, '3', shrunk.schedule, opts)
    const replayed = runSeed(saved, '3', scheduleFor(saved, '3', { draw: false }), { draw: false })
    expect(replayed.liveness_success).toBe(direct.liveness_success)
    expect(replayed.liveness_note).toBe(direct.liveness_note)
    expect(replayed.states).toEqual(direct.states)
  })
})

describe('dht-sim explore (the command)', () => {
  it('refuses a bad flag with one line and exit code 2, before running anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'explore-'))
    const file = join(dir, 'small.yaml')
    writeFileSync(file, SMALL)
    const flags = { seeds: '1', from: '1', draw: true, shrink: true, quiet: true, out: join(dir, 'out') }
    for (const [bad, msg] of [
      [{ seeds: '0' }, /^--seeds: must be an integer from 1/],
      [{ from: '-3' }, /^--from: must be an integer/],
      [{ peers: '2' }, /^--peers: must be > network.bootstraps \(2\)/],
      [{ invariantEvery: 'often' }, /^--invariant-every: must be an integer/],
    ] as const) {
      let err: unknown
      try {
        exploreCommand(file, { ...flags, ...bad })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(BadInputError)
      expect(exitCodeFor(err)).toBe(2)
      expect((err as Error).message).toMatch(msg)
    }
    expect(existsSync(join(dir, 'out'))).toBe(false)
    rmSync(dir, { recursive: true, force: true })
  })
})
