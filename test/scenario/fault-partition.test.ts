// A partition cuts a group off both ways: while it lasts no lookup from inside reaches outside
// and no packet crosses the cut; once it is removed, packets cross again and lookups from inside
// reach outside peers again.
import { describe, expect, it } from 'vitest'
import type { Contact } from '../../src/engine/types.js'
import type { SimContact } from '../../src/sim/peers.js'
import { runChaosYaml, smallNet } from './fault-harness.js'

const FAULT_START = 90_000
const FAULT_END = 150_000
const idx = (c: Contact): number => (c as SimContact).idx

describe('fault: partition', () => {
  it('cuts the group off while active and heals after removal', () => {
    const results: { peer: number; startMs: number; endMs: number; closest: readonly Contact[] }[] = []
    let crossedDuring = 0
    let crossedAfter = 0
    let member: Uint8Array = new Uint8Array(0)
    const { sim, chaos } = runChaosYaml(
      smallNet(`
groups: [{name: cut, fraction: 0.25}]
faults:
  - {id: cut-off, at_s: 90, for_s: 60, kind: partition, targets: "group:cut"}
`),
      {
        wrap: (f) => (o) => {
          const e = f(o)
          const peer = (o.self as SimContact).idx
          return {
            step(now, input) {
              const out = e.step(now, input)
              for (const ev of out.events) if (ev.kind === 'lookup-done') results.push({ peer, startMs: ev.startMs, endMs: now, closest: ev.closest })
              return out
            },
          }
        },
        before: ({ sim: s, chaos: c }) => {
          const t = c.fault('cut-off')!.target
          if (t.kind === 'peers') member = t.member
          // A spy after the fault rules: it sees only the packets the rules let through.
          s.network.rules.push((p) => {
            if (member[p.fromPeer] !== member[p.toPeer]) {
              if (p.nowMs >= FAULT_START && p.nowMs < FAULT_END) crossedDuring++
              else if (p.nowMs >= FAULT_END) crossedAfter++
            }
            return { verdict: 'pass' }
          })
        },
      },
    )
    expect(member.reduce((a, b) => a + b, 0)).toBe(Math.round(0.25 * (120 - 3)))
    expect(crossedDuring).toBe(0)
    expect(crossedAfter).toBeGreaterThan(100)
    expect(sim.network.dropsByReason.get('fault:cut-off') ?? 0).toBeGreaterThan(0)
    const inside = results.filter((r) => member[r.peer] === 1 && r.closest.length > 0)
    const during = inside.filter((r) => r.startMs >= FAULT_START && r.endMs < FAULT_END)
    expect(during.length).toBeGreaterThan(10)
    // No lookup from inside reaches outside (the spy above saw no packet cross); their results
    // may still list outside peers as silent, not-yet-known-dead contacts, beside the inside
    // peers that answered.
    for (const r of during) expect(r.closest.some((c) => member[idx(c)] === 1)).toBe(true)
    const after = inside.filter((r) => r.startMs >= FAULT_END + 30_000)
    expect(after.length).toBeGreaterThan(10)
    const reached = after.filter((r) => r.closest.some((c) => member[idx(c)] !== 1)).length
    expect(reached / after.length).toBeGreaterThan(0.9)
    expect(chaos.faultMeasures('cut-off')).toBeDefined()
  })
})
