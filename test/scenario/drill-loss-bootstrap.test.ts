// The loss-bootstrap drill at reduced size (150 peers; the fault still lasts longer than the
// bootstrap liveness window, or readiness could not react at all).
import { describe, expect, it } from 'vitest'
import { reducedDrill, runChaosYaml } from './fault-harness.js'

describe('drill: loss-bootstrap (reduced)', () => {
  it('loses half the bootstrap packets; readiness reacts and comes back; hops stay bounded', () => {
    const { chaos } = runChaosYaml(
      reducedDrill('loss-bootstrap.yaml', (r) => {
        r.network.peers = 150
        r.network.join_spread_s = 20
        r.duration_s = 1000
        r.warmup_s = 60
        r.workload = { find_node_per_s: 2, provide_per_s: 0.2, get_providers_per_s: 0.5 }
        r.faults[0].at_s = 120
        r.faults[0].for_s = 600
      }),
    )
    const during = chaos.gateMetrics('during:boot-loss')
    const m = chaos.faultMeasures('boot-loss')!
    // Readiness flips inside the fault (bootstraps stop answering pings often enough)...
    expect(m.readiness_flip_s).not.toBeNull()
    expect(m.readiness_flip_s!).toBeLessThan(600)
    // ...and every honest peer is ready again a little after the fault.
    const late = chaos.readySamples.filter((s) => s.tMs >= 800_000)
    expect(late.length).toBeGreaterThan(0)
    for (const s of late) expect(s.fraction).toBe(1)
    expect(during.hops_p99).toBeLessThanOrEqual(7)
    expect(during.lookups).toBeGreaterThan(500)
  })
})
