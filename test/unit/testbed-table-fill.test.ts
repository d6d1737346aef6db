// table_fill on the testbed: brute force over the nodes' ids, the same figure as the simulator's
// ground truth gives for the same tables.
import { describe, expect, it } from 'vitest'
import { tableFillOf, type TableDump } from '../../src/testbed/table-fill.js'
import { GroundTruth } from '../../src/sim/ground-truth.js'
import { TableFillTally } from '../../src/sim/metrics.js'
import { commonPrefixLength } from '../../src/engine/ids.js'
import { SeededRng } from '../../src/engine/rng.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const idWith = (first: number): string => first.toString(16).padStart(2, '0') + '00'.repeat(31)

describe('tableFillOf', () => {
  it('counts held contacts per bucket against the ideal, ignoring nodes not online', () => {
    // 0x00 sees 0x80 and 0xc0 in bucket 0 and 0x40 in bucket 1: ideal [2, 1].
    const tables: TableDump[] = [
      { id: idWith(0x00), contacts: [idWith(0x80), idWith(0x40), idWith(0x11)] }, // 0x11 is not a node
      { id: idWith(0x40), contacts: [] },
      { id: idWith(0x80), contacts: [] },
      { id: idWith(0xc0), contacts: [] },
    ]
    const one = tableFillOf(tables.slice(0, 1).concat(tables.slice(1)), 20)
    // Held: node 0x00 2 of 3; the others 0 of 3 each.
    expect(one.fill).toBeCloseTo(2 / 12, 10)
    expect(one.far).toBeNull() // no bucket holds k = 20 in the ideal table
    expect(tableFillOf(tables, 1).far).toBeCloseTo(2 / 8, 10)
    expect(tableFillOf([], 20)).toEqual({ fill: null, far: null })
  })

  it('agrees with the simulator\'s ground truth on random tables', () => {
    const rng = new SeededRng('fill')
    const ids = Array.from({ length: 300 }, () => rng.bytes(32))
    const truth = new GroundTruth(ids)
    for (let i = 0; i < ids.length; i++) truth.setOnline(i, true)
    const tables: TableDump[] = ids.map((id) => ({ id: hex(id), contacts: ids.filter(() => rng.next() < 0.3).map(hex) }))
    const k = 20
    const tally = new TableFillTally(k)
    tables.forEach((t, p) => {
      const ideal = truth.idealBuckets(p, k)
      const held = ideal.map(() => 0)
      for (const c of t.contacts) {
        if (c === t.id) continue
        const b = commonPrefixLength(ids[p]!, Buffer.from(c, 'hex'))
        if (b < held.length) held[b]!++
      }
      tally.add(held, ideal)
    })
    const r = tableFillOf(tables, k)
    expect(r.fill).toBeCloseTo(tally.fill()!, 12)
    expect(r.far).toBeCloseTo(tally.farFill()!, 12)
  })
})
