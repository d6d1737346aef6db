// Small scenarios on the real engine with fixed seeds: the simulator and DhtEngine together, and
// the determinism test (same scenario and seed: byte-identical report.json; another seed: not).
import { describe, expect, it } from 'vitest'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { renderJson } from '../../src/report/files.js'

const SMALL = `
name: small
seed: 11
duration_s: 150
warmup_s: 60
network:
  peers: 100
  bootstraps: 3
  join_spread_s: 20
  regions: [{name: europe-west, weight: 2}, {name: europe-central, weight: 1}]
  access_latency_ms: {median: 3, sigma: 0.5}
churn:
  turnover_per_hour: 3
  downtime_mean_s: 30
workload:
  find_node_per_s: 4
  provide_per_s: 1
  get_providers_per_s: 3
metrics:
  window_s: 30
gates:
  - "hops_p99 <= 5"
  - "lookup_success >= 0.95"
`

const run = (text: string, seed?: string) => runScenario(parseScenarioText(text, 'small.yaml'), { scenarioPath: 'small.yaml', toolVersion: 'test', ...(seed !== undefined ? { seed } : {}) })

describe('simulator + DhtEngine, small network', () => {
  it('lookups succeed, find the true closest peer, and restarted peers become ready', () => {
    const r = run(SMALL)
    const m = r.metrics
    expect(m.lookups!).toBeGreaterThan(500)
    expect(m.lookup_success!).toBeGreaterThanOrEqual(0.95)
    expect(m.hops_p99!).toBeLessThanOrEqual(5)
    expect(m.hops_p50!).toBeGreaterThanOrEqual(1)
    expect(m.lookup_accuracy!).toBeGreaterThanOrEqual(0.95)
    expect(m.provider_success!).toBeGreaterThanOrEqual(0.9)
    // 300 %/h turnover with 30 s downtimes: restarts happen, and each restart gets ready again.
    expect(m.restarts!).toBeGreaterThan(5)
    expect(m.time_to_ready_p99_s!).toBeLessThan(10)
    expect(m.messages_per_lookup!).toBeGreaterThan(3)
    expect(r.pass).toBe(true)
    const last = r.series.points.at(-1)!
    expect(last.ready_nodes).toBeGreaterThan(80)
    expect(last.ready_nodes).toBeLessThanOrEqual(last.online_nodes)
  })

  it('is deterministic: byte-identical report for the same seed, different for another', () => {
    const short = SMALL.replace('duration_s: 150', 'duration_s: 120')
    const a = renderJson(run(short))
    expect(renderJson(run(short))).toBe(a)
    expect(renderJson(run(short, '12'))).not.toBe(a)
  })
})
