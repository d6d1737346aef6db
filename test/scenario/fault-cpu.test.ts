// CPU saturation on a group: while pegged, the engines of the pegged peers hear how long work
// waits in their service queue and refuse requests beyond their admission budget with reason
// "overloaded" (counted, answered, never silently lost); the queue's physical bound only drops
// what finds it full ("queue-full", counted too); once the fault ends and the queue has drained,
// nothing is refused.
import { describe, expect, it } from 'vitest'
import { runChaosYaml, smallNet } from './fault-harness.js'

const fault = (extra = ''): string =>
  smallNet(`
groups: [{name: hot, fraction: 0.2}]
faults:
  - {id: peg, at_s: 90, for_s: 60, kind: cpu, service_ms: 400, queue_max: 64, targets: "group:hot"}
${extra}`)

describe('fault: cpu', () => {
  it('refuses work beyond the admission budget while pegged and recovers after', () => {
    const { chaos, sim } = runChaosYaml(fault())
    const during = chaos.metricsFor('during:peg')
    expect(during.rejected_overloaded).toBeGreaterThan(20)
    // Queued work drains within the bound's worth of service after the fault; then no refusal.
    expect(chaos.rejects.counts(150_000 + 64 * 400, sim.durationMs)['rejected_overloaded']).toBe(0)
    expect(sim.network.dropsByReason.get('cpu-queue-full') ?? 0).toBe(chaos.metricsFor('all').rejected_queue_full)
    expect(during.cpu_queue_peak).toBeLessThanOrEqual(64)
  })

  it('refuses nothing with admission control off: the queue takes everything, up to its bound', () => {
    const on = runChaosYaml(fault()).chaos.metricsFor('during:peg')
    const off = runChaosYaml(fault('dht: {admission_delay_ms: 1000000000}')).chaos.metricsFor('during:peg')
    expect(off.rejected_overloaded).toBe(0)
    expect(off.cpu_queue_peak!).toBeGreaterThan(on.cpu_queue_peak!)
  })
})
