// The partition-replica drill at reduced size: the rest keeps answering; the runbook's alerts
// notice the partitioned replica (how fast is what the full-size drill gates on).
import { describe, expect, it } from 'vitest'
import { reducedDrill, runChaosYaml } from './fault-harness.js'

describe('drill: partition-replica (reduced)', () => {
  it('keeps the rest working and fires an alert about the partitioned replica', () => {
    const { chaos } = runChaosYaml(
      reducedDrill('partition-replica.yaml', (r) => {
        r.network.peers = 150
        r.network.join_spread_s = 20
        r.duration_s = 900
        r.warmup_s = 60
        r.workload = { find_node_per_s: 2, provide_per_s: 0.2, get_providers_per_s: 0.5 }
        r.faults[0].at_s = 120
        r.faults[0].for_s = 480
      }),
    )
    const during = chaos.gateMetrics('during:replica-cut')
    expect(during.outside_lookup_success).toBeGreaterThanOrEqual(0.99)
    const m = chaos.faultMeasures('replica-cut')!
    expect(m.time_to_alert_s).not.toBeNull()
    const names = chaos.alertRecords().map((a) => a.name)
    expect(names).toContain('DhtNotReady')
    // The partitioned replica is ~10 % of the peers: readiness drops to about 0.9, then recovers.
    const late = chaos.readySamples.filter((s) => s.tMs >= 800_000)
    for (const s of late) expect(s.fraction).toBe(1)
  })
})
