// XOR metric laws and the routing table's invariants, checked on arbitrary inputs (fast-check).
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { commonPrefixLength, compareBytes, compareDistance, fromHex, idEquals, randomIdInBucket, toHex, xor } from '../../src/engine/ids.js'
import { RoutingTable } from '../../src/engine/routing-table.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact } from '../../src/engine/types.js'

const id = fc.uint8Array({ minLength: 32, maxLength: 32 })

describe('XOR metric', () => {
  it('d(a,a) = 0, symmetry, and d(a,b) = 0 only when a = b', () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(xor(a, a).every((x) => x === 0)).toBe(true)
        expect(idEquals(xor(a, b), xor(b, a))).toBe(true)
        expect(xor(a, b).every((x) => x === 0)).toBe(idEquals(a, b))
      }),
    )
  })

  it('triangle inequality: d(a,c) <= d(a,b) + d(b,c) (XOR is bounded by the sum)', () => {
    fc.assert(
      fc.property(id, id, id, (a, b, c) => {
        const big = (u: Uint8Array) => BigInt('0x' + toHex(u))
        expect(big(xor(a, c)) <= big(xor(a, b)) + big(xor(b, c))).toBe(true)
      }),
    )
  })

  it('unidirectional: for a point and a distance there is exactly one other point', () => {
    fc.assert(
      fc.property(id, id, (a, d) => {
        const b = xor(a, d)
        expect(idEquals(xor(a, b), d)).toBe(true)
      }),
    )
  })

  it('compareDistance agrees with comparing XOR values', () => {
    fc.assert(
      fc.property(id, id, id, (a, b, t) => {
        expect(Math.sign(compareDistance(a, b, t))).toBe(Math.sign(compareBytes(xor(a, t), xor(b, t))))
      }),
    )
  })

  it('commonPrefixLength matches the leading zero bits of the distance', () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        const bits = BigInt('0x' + toHex(xor(a, b)))
        const expected = bits === 0n ? 256 : 256 - bits.toString(2).length
        expect(commonPrefixLength(a, b)).toBe(expected)
      }),
    )
  })

  it('hex round-trips and rejects junk', () => {
    fc.assert(fc.property(id, (a) => {
      expect(idEquals(fromHex(toHex(a))!, a)).toBe(true)
    }))
    fc.assert(fc.property(fc.string(), (s) => {
      const r = fromHex(s)
      if (r !== undefined) expect(toHex(r)).toBe(s.toLowerCase())
    }))
  })

  it('randomIdInBucket lands in the requested bucket', () => {
    fc.assert(
      fc.property(id, fc.integer({ min: 0, max: 255 }), fc.integer(), (self, cpl, seed) => {
        const r = randomIdInBucket(self, cpl, new SeededRng(seed))
        expect(commonPrefixLength(self, r)).toBe(cpl)
      }),
    )
  })
})

const contactOf = (i: number, bytes: Uint8Array, group: number): Contact => ({ id: bytes, peer: `p${i}`, addrs: [], ipGroup: `10.0.${group}` })

describe('routing table invariants', () => {
  const ops = fc.array(
    fc.record({ op: fc.constantFrom('observe', 'observe', 'observe', 'fail'), peer: fc.integer({ min: 0, max: 400 }), group: fc.integer({ min: 0, max: 6 }) }),
    { maxLength: 600 },
  )

  it('never more than k per bucket, never self, right buckets, no duplicates; closest() is sorted and exact', () => {
    fc.assert(
      fc.property(id, ops, fc.constantFrom(2, 5, Infinity), (self, seq, perGroup) => {
        const k = 4
        const rng = new SeededRng(toHex(self))
        const ids = Array.from({ length: 401 }, () => rng.bytes(32))
        ids[0] = self // peer 0 claims our own id: must never enter
        const table = new RoutingTable(self, k, 3, { maxPerGroupPerBucket: perGroup, maxPerGroupPerTable: Infinity })
        const present = new Map<string, Contact>()
        let now = 0
        for (const o of seq) {
          const c = contactOf(o.peer, ids[o.peer]!, o.group)
          now += 10
          if (o.op === 'observe') table.observe(c, now)
          else table.fail(c, now, 2)
        }
        expect(table.checkInvariants()).toBeUndefined()
        for (const c of table.all()) present.set(c.peer, c)
        expect(present.has('p0')).toBe(false)
        expect(table.size).toBe(present.size)
        const target = rng.bytes(32)
        const got = table.closest(target, 7)
        const want = [...present.values()].sort((a, b) => compareDistance(a.id, b.id, target)).slice(0, 7)
        expect(got.map((c) => c.peer)).toEqual(want.map((c) => c.peer))
        if (Number.isFinite(perGroup)) {
          const sizes = table.bucketSizes()
          expect(sizes.every((s) => s <= k)).toBe(true)
        }
      }),
      { numRuns: 150 },
    )
  })
})
