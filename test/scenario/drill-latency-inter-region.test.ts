// The latency-inter-region drill at reduced size: lookups slow down less than the added WAN delay
// (p95 stays under the drill's 800 ms) and come back after; the load burst is shed ("busy")
// instead of queueing without bound.
import { describe, expect, it } from 'vitest'
import { reducedDrill, runChaosYaml } from './fault-harness.js'

describe('drill: latency-inter-region (reduced)', () => {
  it('slows lookups while active, sheds the burst, recovers after', () => {
    const { chaos } = runChaosYaml(
      reducedDrill('latency-inter-region.yaml', (r) => {
        r.network.peers = 150
        r.network.join_spread_s = 20
        r.duration_s = 840
        r.warmup_s = 60
        r.workload = { find_node_per_s: 3, provide_per_s: 0.2, get_providers_per_s: 1 }
        // The slow links for 10 min, as the file's are long (15 min): in the first two minutes the
        // network has not settled to them yet (p95 ~950 ms a minute), so a short window measures
        // mostly that (the gate case in gate-breakers.ts says the same).
        r.faults[0].at_s = 120
        r.faults[0].for_s = 600
        r.faults[1].at_s = 400
        r.faults[1].for_s = 20
        r.faults[1].lookups_per_s = 300
      }),
    )
    const before = chaos.gateMetrics('all') // after warm-up, the whole run
    const during = chaos.gateMetrics('during:wan-latency')
    const after = chaos.gateMetrics('after:wan-latency')
    // slower while the WAN is slow, but not by the added round trip (300 ms): lookups do not wait on far peers
    expect(during.lookup_p50_ms!).toBeGreaterThan(after.lookup_p50_ms!)
    expect(during.lookup_p50_ms!).toBeLessThan(after.lookup_p50_ms! + 300)
    expect(during.lookup_p95_ms!).toBeLessThan(800)
    expect(chaos.gateMetrics('during:burst').load_shed).toBeGreaterThan(0)
    expect(during.unshed_success).toBeGreaterThanOrEqual(0.999)
    expect(before.lookups).toBeGreaterThan(500)
  })
})
