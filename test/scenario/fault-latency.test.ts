// Added latency on inter-region links: inter-region packets take the added delay (plus its
// jitter) while the fault is active and not after; intra-region packets never do; lookups slow
// down while it lasts (by less than the added delay: they do not wait on far peers) and come back.
import { describe, expect, it } from 'vitest'
import { runChaosYaml, smallNet } from './fault-harness.js'

describe('fault: latency', () => {
  it('adds its delay to inter-region packets while active only', () => {
    const probes: { t: number; cross: number; intra: number }[] = []
    const { sim } = runChaosYaml(
      smallNet(`
faults:
  - {id: slow-wan, at_s: 90, for_s: 60, kind: latency, add_ms: 300, jitter_ms: 20, targets: inter-region}
`),
      {
        before: ({ sim: s }) => {
          // Two peers in different regions and two in the same one (regions of the 2-region net).
          const net = s.network
          let a = -1
          let b = -1
          let c = -1
          for (let i = 3; i < s.n && (b < 0 || c < 0); i++) {
            if (a < 0) a = i
            else if (net.regionOf[i] !== net.regionOf[a] && b < 0) b = i
            else if (net.regionOf[i] === net.regionOf[a] && c < 0) c = i
          }
          const msg = { kind: 'request', rpcId: 1, type: 'PING', key: new Uint8Array(32), target: new Uint8Array(32), providers: [] } as const
          for (const t of [60_000, 100_000, 140_000, 200_000]) {
            s.at(t, () => probes.push({ t, cross: net.route(a, b, msg, t) - net.baseDelayMs(a, b), intra: net.route(a, c, msg, t) - net.baseDelayMs(a, c) }))
          }
        },
      },
    )
    for (const p of probes) {
      const active = p.t >= 90_000 && p.t < 150_000
      if (active) {
        expect(p.cross).toBeGreaterThanOrEqual(300)
        expect(p.cross).toBeLessThan(340)
      } else {
        expect(p.cross).toBeLessThan(40)
      }
      expect(p.intra).toBeLessThan(40)
    }
    expect(probes.length).toBe(4)
    const before = sim.metrics.compute(40_000, 90_000).lookup_p50_ms!
    const during = sim.metrics.compute(95_000, 140_000).lookup_p50_ms!
    const after = sim.metrics.compute(160_000, 240_000).lookup_p50_ms!
    expect(during).toBeGreaterThan(before + 20)
    expect(after).toBeLessThan(before + 100)
  })
})
