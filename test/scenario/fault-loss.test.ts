// Loss on the bootstrap peers' links: while active about the given share of their packets is
// dropped (and only theirs); once removed, nothing more is dropped.
import { describe, expect, it } from 'vitest'
import { runChaosYaml, smallNet } from './fault-harness.js'

describe('fault: loss', () => {
  it('drops the given share of packets on target links while active, none after', () => {
    let passedDuring = 0
    let passedAfter = 0
    let otherDropsDuring = 0
    let dropsAtEnd = -1
    const { sim } = runChaosYaml(
      smallNet(`
faults:
  - {id: boot-loss, at_s: 90, for_s: 60, kind: loss, percent: 50, targets: bootstrap}
`),
      {
        before: ({ sim: s }) => {
          s.network.rules.push((p) => {
            const onBoot = p.fromPeer < 3 || p.toPeer < 3
            if (onBoot && p.nowMs >= 90_000 && p.nowMs < 150_000) passedDuring++
            if (onBoot && p.nowMs >= 150_000) passedAfter++
            return { verdict: 'pass' }
          })
          s.at(150_000, () => {
            dropsAtEnd = s.network.dropsByReason.get('fault:boot-loss') ?? 0
            otherDropsDuring = s.network.packetsDropped - dropsAtEnd
          })
        },
      },
    )
    const dropped = sim.network.dropsByReason.get('fault:boot-loss') ?? 0
    expect(dropped).toBe(dropsAtEnd)
    expect(dropped + passedDuring).toBeGreaterThan(300)
    const share = dropped / (dropped + passedDuring)
    expect(share).toBeGreaterThan(0.42)
    expect(share).toBeLessThan(0.58)
    expect(passedAfter).toBeGreaterThan(50)
    expect(otherDropsDuring).toBe(0) // base loss is 0: nothing else was dropped
  })

  it('is deterministic: same seed, same drops', () => {
    const yaml = smallNet(`
faults:
  - {id: l, at_s: 60, for_s: 30, kind: loss, percent: 30, targets: "fraction:0.3"}
`, 80, 120)
    const a = runChaosYaml(yaml).sim.network.dropsByReason.get('fault:l')
    const b = runChaosYaml(yaml).sim.network.dropsByReason.get('fault:l')
    expect(a).toBeGreaterThan(0)
    expect(a).toBe(b)
  })
})
