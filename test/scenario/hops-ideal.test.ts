// The yardstick of lookup hops: a static network in the simulator against ideal routing tables
// (test/helpers/ideal-lookup.ts: every bucket holds min(k, peers in its range) contacts) for the
// same number of peers, with the same k, alpha and hop definition. The gap between the two is
// what our tables cost: the lookup is the same.
import { describe, expect, it } from 'vitest'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { SeededRng } from '../../src/engine/rng.js'
import { ALPHA, K } from '../../src/engine/constants.js'
import { idealMeanHops, idealNetwork } from '../helpers/ideal-lookup.js'

const PEERS = 3000

// No churn, no loss, FIND_NODE only (a GET_PROVIDERS may end early): hops are the tables' doing.
// The measured range starts after the join and its bucket fill.
const STATIC = `
name: hops-static
seed: 5
duration_s: 900
warmup_s: 400
network:
  peers: ${PEERS}
  bootstraps: 4
  join_spread_s: 120
  regions: [{name: europe-west, weight: 1}]
  access_latency_ms: {median: 2, sigma: 0.5}
workload:
  find_node_per_s: 20
  provide_per_s: 0
  get_providers_per_s: 0
metrics:
  window_s: 60
gates:
  - "lookup_success >= 0.999"
`

function histogramMean(h: readonly number[]): number {
  let n = 0
  let sum = 0
  h.forEach((c, i) => {
    n += c
    sum += c * i
  })
  return sum / n
}

describe('lookup hops against ideal tables', () => {
  it(`a static network of ${PEERS} peers is within 5 % of the ideal mean hops`, () => {
    const r = runScenario(parseScenarioText(STATIC, 'hops-static.yaml'), { scenarioPath: 'hops-static.yaml', toolVersion: 'test' })
    const measured = histogramMean(r.hops_histogram)
    const rng = new SeededRng('hops-ideal')
    const ids = Array.from({ length: PEERS }, () => rng.bytes(32))
    const ideal = idealMeanHops(idealNetwork(ids, K, rng.fork('tables')), 4000, K, ALPHA, rng.fork('lookups'))
    console.log(`hops mean: simulator ${measured.toFixed(3)}, ideal ${ideal.toFixed(3)}, ratio ${(measured / ideal).toFixed(3)}; table_fill ${r.metrics.table_fill}, far ${r.metrics.table_fill_far}; lookups ${r.metrics.lookups}, messages per lookup ${r.metrics.messages_per_lookup}`)
    expect(r.metrics.lookups!).toBeGreaterThan(5000)
    expect(measured / ideal).toBeLessThanOrEqual(1.05)
  }, 600_000)
})
