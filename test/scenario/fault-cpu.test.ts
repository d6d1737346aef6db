// CPU saturation on a group: while pegged, requests beyond the queue bound are rejected with
// reason "overloaded" (counted, never silently lost); once the fault ends, nothing is rejected.
import { describe, expect, it } from 'vitest'
import { runChaosYaml, smallNet } from './fault-harness.js'

describe('fault: cpu', () => {
  it('rejects work beyond the bound while pegged and recovers after', () => {
    const { chaos, sim } = runChaosYaml(
      smallNet(`
groups: [{name: hot, fraction: 0.2}]
faults:
  - {id: peg, at_s: 90, for_s: 60, kind: cpu, service_ms: 400, queue_max: 2, targets: "group:hot"}
`),
    )
    const during = chaos.metricsFor('during:peg')
    const after = chaos.metricsFor('after:peg')
    expect(during.rejected_overloaded).toBeGreaterThan(20)
    expect(after.rejected_overloaded).toBe(0)
    expect(sim.network.dropsByReason.get('service-rejected')).toBe(during.rejected_overloaded! + during.rejected_overloaded_response!)
    // The queue never grew past its bound.
    expect(during.cpu_queue_peak).toBeLessThanOrEqual(2)
  })
})
