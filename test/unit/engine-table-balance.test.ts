// The default policy's balanced admission (RoutingTable.balanceVictim): a full bucket takes a
// newcomer from a thinner sub-range of its id range in place of the youngest contact of its
// fullest one, and only then.
import { describe, expect, it } from 'vitest'
import { RoutingTable, SUBRANGE_BITS, subrangeOfPrefix } from '../../src/engine/routing-table.js'
import { DEFAULT_POLICY } from '../../src/engine/config.js'
import type { Contact } from '../../src/engine/types.js'

const self = new Uint8Array(32) // all zeros: bucket 0 holds the ids with the first bit set
/** A contact in bucket 0, in sub-range `r` of its range (the SUBRANGE_BITS bits after the first), tail `n`. */
const inSub = (r: number, n: number): Contact => {
  const id = new Uint8Array(32)
  // Bit 0 set, then r's bits, most significant first.
  let v = 1
  for (let b = SUBRANGE_BITS - 1; b >= 0; b--) v = (v << 1) | ((r >> b) & 1)
  const bits = 1 + SUBRANGE_BITS
  id[0] = (v << (8 - bits)) & 0xff
  id[30] = n >> 8
  id[31] = n & 0xff
  return { id, peer: `p${r}-${n}`, addrs: [], ipGroup: '' }
}
const unbalanced = { maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity }

describe('balanced admission into a full bucket', () => {
  it('takes a newcomer of an empty sub-range in place of the youngest of a crowded one', () => {
    const t = new RoutingTable(self, 4, 4, DEFAULT_POLICY)
    for (let n = 0; n < 4; n++) expect(t.observe(inSub(0, n), n).kind).toBe('added')
    expect(t.subrangeCounts(0)![0]).toBe(4)
    expect(t.observe(inSub(1, 0), 10).kind).toBe('added')
    // p0-3 (the youngest of sub-range 0) left for it, into the replacement cache.
    expect(t.all().map((c) => c.peer).sort()).toEqual(['p0-0', 'p0-1', 'p0-2', 'p1-0'])
    expect(t.checkInvariants()).toBeUndefined()
    // A newcomer of the crowded sub-range itself waits in the replacement cache.
    expect(t.observe(inSub(0, 9), 11).kind).toBe('full')
  })

  it('stops once the sub-ranges differ by less than two', () => {
    const t = new RoutingTable(self, 4, 4, DEFAULT_POLICY)
    for (let n = 0; n < 4; n++) t.observe(inSub(0, n), n)
    expect(t.observe(inSub(1, 0), 10).kind).toBe('added') // 3 + 1
    expect(t.observe(inSub(2, 0), 11).kind).toBe('added') // 2 + 1 + 1
    expect(t.observe(inSub(3, 0), 12).kind).toBe('added') // 1 + 1 + 1 + 1
    // Even now: a newcomer of a fifth sub-range would only move the crowding elsewhere.
    expect(t.observe(inSub(4, 0), 13).kind).toBe('full')
    expect(t.subrangeCounts(0)!.slice(0, 5)).toEqual([1, 1, 1, 1, 0])
    expect(t.all().map((c) => c.peer).sort()).toEqual(['p0-0', 'p1-0', 'p2-0', 'p3-0'])
  })

  it('is off unless the policy asks for it (the strict profile and a bare policy keep Kademlia\'s order)', () => {
    const t = new RoutingTable(self, 4, 4, unbalanced)
    for (let n = 0; n < 4; n++) t.observe(inSub(0, n), n)
    expect(t.observe(inSub(1, 0), 10).kind).toBe('full')
  })
})

describe('a contact\'s sub-range from its id prefix', () => {
  it('is the SUBRANGE_BITS bits after the bucket\'s prefix, as the division of the 48-bit prefix gives them', () => {
    // hi 16 / lo 32 bits as the table's columns hold them (lo as a signed 32-bit integer).
    let x = 0x9e3779b9
    const next = (): number => {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x632be5ab) | 0
      return x
    }
    const prefixes: [number, number][] = [[0, 0], [0xffff, -1], [0x8000, 0], [0, 1], [0x0001, -0x80000000]]
    for (let n = 0; n < 500; n++) prefixes.push([next() & 0xffff, next()])
    for (const [hi, lo] of prefixes) {
      for (let i = 0; i + SUBRANGE_BITS < 48; i++) {
        const prefix = hi * 4294967296 + (lo >>> 0)
        const want = Math.floor(prefix / 2 ** (47 - i - SUBRANGE_BITS)) % 2 ** SUBRANGE_BITS
        expect(subrangeOfPrefix(hi, lo, i)).toBe(want)
      }
    }
  })
})
