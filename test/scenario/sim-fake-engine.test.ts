// The simulator's plumbing end to end with a tiny fake engine (independent of src/engine's
// DhtEngine): workload, churn, readiness, metrics, report shape and determinism.
import { describe, expect, it } from 'vitest'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { renderJson } from '../../src/report/files.js'
import { FakeEngine, fakeEngineFactory } from './fake-engine.js'
import { InvariantError } from '../../src/engine/errors.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'

const YAML_TEXT = `
name: fake-small
seed: 7
duration_s: 300
warmup_s: 60
network:
  peers: 150
  bootstraps: 3
  join_spread_s: 30
  regions: [{name: europe-west, weight: 2}, {name: north-america-east, weight: 1}]
  loss: 0.01
churn:
  turnover_per_hour: 4
  downtime_mean_s: 60
workload:
  find_node_per_s: 5
  provide_per_s: 1
  get_providers_per_s: 3
metrics:
  window_s: 30
gates:
  - "lookups >= 100"
  - {metric: lookup_success, op: ">=", threshold: 0.5}
`

const run = (seed?: string) =>
  runScenario(parseScenarioText(YAML_TEXT, 'fake.yaml'), { engineFactory: fakeEngineFactory, scenarioPath: 'fake.yaml', toolVersion: 'test', ...(seed ? { seed } : {}) })

describe('simulator with a fake engine', () => {
  it('runs the workload, churn and metrics end to end', () => {
    const r = run()
    expect(r.seed).toBe('7')
    expect(r.replay).toBe('dht-sim run fake.yaml --seed 7')
    const m = r.metrics
    // ~9 lookups/s over 240 s after warm-up.
    expect(m.lookups).toBeGreaterThan(1500)
    expect(m.lookups).toBeLessThan(2800)
    expect(m.lookup_success).toBeGreaterThan(0.5)
    // Fake lookups are one round: exactly one hop.
    expect(m.hops_p99).toBe(1)
    // One-way europe-west <-> north-america-east is 45 ms plus access latency: round trips take > 20 ms.
    expect(m.lookup_p50_ms!).toBeGreaterThan(20)
    expect(m.lookup_p99_ms!).toBeLessThanOrEqual(750 + 1)
    // 400 %/h turnover with 60 s downtimes: peers restart during the run and become ready.
    expect(m.restarts!).toBeGreaterThan(20)
    expect(m.time_to_ready_p50_s!).toBeGreaterThan(0)
    expect(m.time_to_ready_p50_s!).toBeLessThan(2)
    expect(m.provider_success).not.toBeNull()
    expect(m.packets_dropped!).toBeGreaterThan(0)
    expect(r.gates.map((g) => g.pass)).toEqual([true, true])
    expect(r.pass).toBe(true)
    expect(r.series.points).toHaveLength(10)
    expect(r.series.points.at(-1)!.t_s).toBe(300)
    const online = r.series.points.map((p) => p.online_nodes)
    expect(Math.min(...online.slice(2))).toBeGreaterThan(100)
    expect(Math.max(...online)).toBeLessThanOrEqual(150)
    expect(r.hops_histogram[1]).toBeGreaterThan(0)
    expect(r.latency_cdf.at(-1)!.fraction).toBe(1)
  })

  it('churns at the configured turnover from the start, also with Weibull sessions', () => {
    const exp = run()
    // 400 %/h, minus the small share of peers that are offline at any time.
    expect(exp.metrics.turnover_per_hour!).toBeGreaterThan(3)
    expect(exp.metrics.turnover_per_hour!).toBeLessThan(4.6)
    const weibull = YAML_TEXT.replace('  downtime_mean_s: 60', '  downtime_mean_s: 60\n  session: weibull\n  weibull_shape: 0.6').replace('peers: 150', 'peers: 400')
    const w = runScenario(parseScenarioText(weibull, 'w.yaml'), { engineFactory: fakeEngineFactory, toolVersion: 'test' })
    // Fresh Weibull(0.6) sessions for everyone at t=0 would churn at several times this rate.
    expect(w.metrics.turnover_per_hour!).toBeGreaterThan(3)
    expect(w.metrics.turnover_per_hour!).toBeLessThan(5)
  })

  it('is deterministic: same seed, same bytes; another seed, other bytes', () => {
    const a = renderJson(run())
    const b = renderJson(run())
    expect(a).toBe(b)
    const c = renderJson(run('8'))
    expect(c).not.toBe(a)
    expect(JSON.parse(c).seed).toBe('8')
  })

  it('a broken invariant stops the run with the seed and the exact replay command (exit code 3)', () => {
    const scenario = parseScenarioText(YAML_TEXT, 'fake.yaml')
    const broken = (o: ConstructorParameters<typeof FakeEngine>[0]) => {
      const e = new FakeEngine(o)
      return {
        step: (now: number, input: Parameters<FakeEngine['step']>[1]) => {
          const out = e.step(now, input)
          // A bug: a peer sends a message to itself.
          return now > 50_000 && input.kind === 'timer' ? { ...out, sends: [{ to: o.self, msg: { kind: 'request' as const, rpcId: 1, type: 'PING' as const, key: new Uint8Array(0), target: o.self.id, providers: [] } }] } : out
        },
      }
    }
    let caught: unknown
    try {
      runScenario(scenario, { engineFactory: broken, scenarioPath: 'fake.yaml', seed: 'x1' })
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(InvariantError)
    expect(exitCodeFor(caught)).toBe(3)
    expect((caught as Error).message).toMatch(/sent a request to itself at virtual \d+\.\d{3} s \(seed x1; replay: dht-sim run fake\.yaml --seed x1\)$/)
  })
})
