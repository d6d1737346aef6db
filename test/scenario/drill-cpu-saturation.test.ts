// The cpu-saturation drill at reduced size: throttled (rejects, bounded queue), never crashed,
// and the rejections stop with the fault.
import { describe, expect, it } from 'vitest'
import { reducedDrill, runChaosYaml } from './fault-harness.js'

describe('drill: cpu-saturation (reduced)', () => {
  it('rejects beyond the bound while pegged, keeps the queue bounded, stops rejecting after', () => {
    const { chaos, sim } = runChaosYaml(
      reducedDrill('cpu-saturation.yaml', (r) => {
        r.network.peers = 150
        r.network.join_spread_s = 20
        r.duration_s = 400
        r.warmup_s = 60
        r.workload = { find_node_per_s: 4, provide_per_s: 0.2, get_providers_per_s: 1 }
        r.groups[0].fraction = 0.1
        r.faults[0].at_s = 120
        r.faults[0].for_s = 120
      }),
    )
    const during = chaos.gateMetrics('during:pegged')
    const after = chaos.gateMetrics('after:pegged')
    expect(during.rejected_overloaded).toBeGreaterThan(0)
    expect(during.cpu_queue_peak).toBeLessThanOrEqual(8)
    expect(after.rejected_overloaded).toBe(0)
    // Every rejection was counted: what the network dropped at the service queue is what the log holds.
    expect(sim.network.dropsByReason.get('service-rejected')).toBe(chaos.rejects.total)
    expect(during.lookup_success).toBeGreaterThan(0.9)
  })
})
