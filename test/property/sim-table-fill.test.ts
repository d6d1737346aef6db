// The yardstick of table_fill: GroundTruth.idealBuckets against a linear scan, and the tally that
// turns tables into the two figures.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { GroundTruth } from '../../src/sim/ground-truth.js'
import { TableFillTally } from '../../src/sim/metrics.js'
import { commonPrefixLength } from '../../src/engine/ids.js'

const id = fc.uint8Array({ minLength: 32, maxLength: 32 })
// Ids sharing long prefixes (and duplicates) exercise deep buckets and the equal-id case.
const clusteredId = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([p, b]) => {
  const out = new Uint8Array(b)
  out.fill(p, 0, 20)
  return out
})

describe('GroundTruth.idealBuckets', () => {
  it('counts the online peers in each bucket of a peer, capped at k, as a linear scan does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(id, clusteredId), { minLength: 1, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 1, max: 6 }),
        (ids, onlineBits, who, k) => {
          const gt = new GroundTruth(ids)
          ids.forEach((_, i) => gt.setOnline(i, onlineBits[i]!))
          const peer = who % ids.length
          const want = new Array<number>(257).fill(0)
          for (let q = 0; q < ids.length; q++) if (q !== peer && onlineBits[q]) want[commonPrefixLength(ids[peer]!, ids[q]!)]!++
          const got = gt.idealBuckets(peer, k)
          for (let i = 0; i < 256; i++) expect(got[i] ?? 0).toBe(Math.min(k, want[i]!))
          // The array ends at the deepest bucket that has anyone.
          if (got.length > 0) expect(got[got.length - 1]).toBeGreaterThan(0)
        },
      ),
      { numRuns: 300, seed: 7 },
    )
  })

  it('sees a peer that goes offline', () => {
    const ids = Array.from({ length: 4 }, (_, i) => {
      const b = new Uint8Array(32)
      b[0] = i * 64 // 0x00, 0x40, 0x80, 0xc0
      return b
    })
    const gt = new GroundTruth(ids)
    ids.forEach((_, i) => gt.setOnline(i, true))
    // Peer 0 (0x00): bucket 0 holds 0x80 and 0xc0, bucket 1 holds 0x40.
    expect(gt.idealBuckets(0, 20)).toEqual([2, 1])
    expect(gt.idealBuckets(0, 1)).toEqual([1, 1])
    gt.setOnline(1, false)
    expect(gt.idealBuckets(0, 20)).toEqual([2])
  })
})

describe('TableFillTally', () => {
  it('counts each bucket up to its ideal, and the far buckets (ideal k) apart', () => {
    const t = new TableFillTally(4)
    // Ideal: two full buckets (4, 4), then 3 and 1. Held: 2 and 4 in the full ones, 5 (more live
    // contacts than the ideal cannot happen in one table, but a bucket never counts above it) and 0.
    t.add([2, 4, 5, 0], [4, 4, 3, 1])
    expect(t.fill()).toBeCloseTo((2 + 4 + 3 + 0) / 12, 12)
    expect(t.farFill()).toBeCloseTo(6 / 8, 12)
    // A second table: buckets the held array does not reach count as empty.
    t.add([1], [4, 2])
    expect(t.fill()).toBeCloseTo((9 + 1) / 18, 12)
    expect(t.farFill()).toBeCloseTo(7 / 12, 12)
  })

  it('is null when no table was measured or no bucket should be full', () => {
    const t = new TableFillTally(20)
    expect(t.fill()).toBeNull()
    t.add([3], [5])
    expect(t.fill()).toBe(0.6)
    expect(t.farFill()).toBeNull()
  })
})
