// The ground truth of lookup_accuracy against a linear scan: same answer for any ids, online set,
// target and excluded peer.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { GroundTruth } from '../../src/sim/ground-truth.js'
import { compareDistance } from '../../src/engine/ids.js'

const id = fc.uint8Array({ minLength: 32, maxLength: 32 })
// Ids sharing long prefixes exercise deep descents; duplicates exercise the tie rule.
const clusteredId = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([p, b]) => {
  const out = new Uint8Array(b)
  out.fill(p, 0, 20)
  return out
})

function linear(ids: Uint8Array[], online: boolean[], target: Uint8Array, exclude: number): number {
  let best = -1
  for (let i = 0; i < ids.length; i++) {
    if (!online[i] || i === exclude) continue
    if (best < 0 || compareDistance(ids[i]!, ids[best]!, target) < 0) best = i
  }
  return best
}

describe('GroundTruth.closestOnline', () => {
  it('agrees with a linear scan', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(id, clusteredId), { minLength: 1, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        id,
        fc.integer({ min: -1, max: 59 }),
        (ids, onlineBits, target, exclude) => {
          const gt = new GroundTruth(ids)
          const online = ids.map((_, i) => onlineBits[i]!)
          online.forEach((on, i) => gt.setOnline(i, on))
          const ex = exclude < ids.length ? exclude : -1
          const got = gt.closestOnline(target, ex)
          const want = linear(ids, online, target, ex)
          if (want < 0) expect(got).toBe(-1)
          else expect(compareDistance(ids[got]!, ids[want]!, target)).toBe(0)
          // The excluded peer is back online afterwards.
          if (ex >= 0) expect(gt.isOnline(ex)).toBe(online[ex])
        },
      ),
      { numRuns: 300, seed: 42 },
    )
  })

  it('follows peers going offline and online', () => {
    const ids = Array.from({ length: 8 }, (_, i) => {
      const b = new Uint8Array(32)
      b[0] = i * 32
      return b
    })
    const gt = new GroundTruth(ids)
    ids.forEach((_, i) => gt.setOnline(i, true))
    const target = new Uint8Array(32)
    target[0] = 100 // 96 (peer 3) is closest: 100 ^ 96 = 4
    expect(gt.closestOnline(target)).toBe(3)
    gt.setOnline(3, false)
    expect(gt.closestOnline(target)).not.toBe(3)
    gt.setOnline(3, true)
    expect(gt.closestOnline(target, 3)).not.toBe(3)
    expect(gt.closestOnline(target)).toBe(3)
  })
})
