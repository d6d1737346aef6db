// The typed-array routing table must behave exactly like the object-per-entry table it replaced
// (kept in test/helpers/reference-routing-table.ts): same observe/fail verdicts, same heads, same
// replacement-cache promotions, same closest() order and the same stale buckets, on arbitrary
// sequences of operations — including a handle reused with another id and ids tied on 48 bits —
// with small k, and with larger k over more buckets (blocks that grow and shift one another);
// and the same when the table is given contacts with their derived keys (contact-keys.ts) and the
// reference the same contacts without them.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { randomIdInBucket } from '../../src/engine/ids.js'
import { RoutingTable } from '../../src/engine/routing-table.js'
import { RoutingTable as ReferenceTable } from '../helpers/reference-routing-table.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact } from '../../src/engine/types.js'
import { withKeys } from '../../src/engine/contact-keys.js'

/** At least `minOps` operations on `peers` peers spread over the first `buckets` buckets. */
const opsOn = (peers: number, buckets: number, minOps = 0) =>
  fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('observe' as const), peer: fc.nat(peers - 1), alt: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('fail' as const), peer: fc.nat(peers - 1), now: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('touch' as const), bucket: fc.nat(buckets) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('closest' as const), bucket: fc.nat(buckets), n: fc.integer({ min: 1, max: 12 }), exclude: fc.option(fc.nat(peers - 1)), suspect: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('stale' as const), upTo: fc.nat(buckets + 1) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('policy' as const), perBucket: fc.constantFrom(1, 2, Infinity), perTable: fc.constantFrom(3, 6, Infinity) }) },
    ),
    { minLength: minOps, maxLength: 400 },
  )

describe('routing table: typed-array layout vs the reference', () => {
  it('gives the same answers to every operation', () => {
    fc.assert(
      fc.property(fc.nat(), opsOn(20, 6), fc.integer({ min: 1, max: 4 }), fc.nat(3), (seed, ops, k, rcap) => sameAnswers(seed, ops, k, rcap, 20, 6)),
      { numRuns: 300 },
    )
  })

  it('gives the same answers while blocks grow and shift one another (larger k, more buckets)', () => {
    fc.assert(
      fc.property(fc.nat(), opsOn(60, 12, 100), fc.integer({ min: 5, max: 20 }), fc.nat(9), (seed, ops, k, rcap) => sameAnswers(seed, ops, k, rcap, 60, 12)),
      { numRuns: 100 },
    )
  })

  it('gives the same answers when the table is given contacts with their keys (the reference without)', () => {
    fc.assert(
      fc.property(fc.nat(), opsOn(60, 12, 100), fc.integer({ min: 2, max: 20 }), fc.nat(9), (seed, ops, k, rcap) => sameAnswers(seed, ops, k, rcap, 60, 12, true)),
      { numRuns: 100 },
    )
  })
})

type Op = ReturnType<typeof opsOn> extends fc.Arbitrary<(infer T)[]> ? T : never

/** Runs `ops` on a table and on the reference, for `peers` peers in the first `buckets` buckets; expects the same answers. */
function sameAnswers(seed: number, ops: Op[], k: number, rcap: number, peers: number, buckets: number, keyed = false): void {
  const rng = new SeededRng(seed)
  const self = rng.bytes(32)
  // Peers crowd the first buckets so they fill; every 7th shares its first 6 bytes with the
  // previous one (a tie on the 48-bit prefix).
  const ids: Uint8Array[] = []
  for (let i = 0; i < peers; i++) {
    const id = randomIdInBucket(self, rng.int(buckets), rng)
    if (i % 7 === 6) id.set(ids[i - 1]!.subarray(0, 6))
    ids.push(id)
  }
  // The same handle with another id in the same bucket (last byte flipped), or far away.
  const altIds = ids.map((id, i) => (i % 2 === 0 ? Uint8Array.from(id, (x, j) => (j === 31 ? x ^ 0xff : x)) : ids[(i * 7 + 5) % peers]!))
  const plain = (i: number, alt: boolean): Contact => ({
    id: alt ? altIds[i]! : ids[i]!,
    peer: `p${i}`,
    addrs: [],
    ipGroup: `g${i % 5}`,
  })
  // With keys: one keyed object per (peer, id), as a driver would hand them out.
  const withKeysOf = new Map<string, Contact>()
  const contactA = (i: number, alt: boolean): Contact => {
    if (!keyed) return plain(i, alt)
    const key = `${i}/${alt}`
    let c = withKeysOf.get(key)
    if (c === undefined) withKeysOf.set(key, (c = withKeys(plain(i, alt))))
    return c
  }
  // Compared without the keys: the reference's contacts have none.
  const bare = (cs: readonly Contact[]) => cs.map((c) => ({ id: c.id, peer: c.peer, addrs: c.addrs, ipGroup: c.ipGroup }))
  const policy = { maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity }
  const a = new RoutingTable(self, k, rcap, policy)
  const b = new ReferenceTable(self, k, rcap, policy)
  let now = 0
  for (const o of ops) {
    now += rng.int(3) === 0 ? 0 : 1 // ties on lastSeenMs too
    switch (o.op) {
      case 'observe': {
        const x = a.observe(contactA(o.peer, o.alt), now)
        const y = b.observe(plain(o.peer, o.alt), now)
        expect(x.kind).toBe(y.kind)
        if (x.kind === 'full' && y.kind === 'full') {
          expect([x.bucket, x.head.contact.peer, x.head.lastSeenMs, x.head.failures]).toEqual([y.bucket, y.head.contact.peer, y.head.lastSeenMs, y.head.failures])
        }
        if (x.kind === 'rejected' && y.kind === 'rejected') expect(x.reason).toBe(y.reason)
        break
      }
      case 'fail': {
        expect(a.fail(contactA(o.peer, false), now, 2, o.now)).toBe(b.fail(plain(o.peer, false), now, 2, o.now))
        break
      }
      case 'touch': {
        const t = randomIdInBucket(self, o.bucket, rng)
        a.touch(t, now)
        b.touch(t, now)
        break
      }
      case 'closest': {
        const t = randomIdInBucket(self, o.bucket, rng)
        const ex = o.exclude === null ? undefined : `p${o.exclude}`
        const want = b.closest(t, o.n, ex, o.suspect)
        expect(bare(a.closest(t, o.n, ex, o.suspect))).toEqual(bare(want))
        // The answer to a FIND_NODE: the same contacts, in any order.
        const peers = (cs: readonly { peer: string }[]) => cs.map((c) => c.peer).sort()
        expect(peers(a.closestSet(t, o.n, ex, o.suspect))).toEqual(peers(want))
        break
      }
      case 'stale':
        expect(a.staleBuckets(now - 20, o.upTo)).toEqual(b.staleBuckets(now - 20, o.upTo))
        break
      case 'policy':
        a.setPolicy({ maxPerGroupPerBucket: o.perBucket, maxPerGroupPerTable: o.perTable })
        b.setPolicy({ maxPerGroupPerBucket: o.perBucket, maxPerGroupPerTable: o.perTable })
        break
    }
    expect(a.size).toBe(b.size)
  }
  expect(bare(a.all())).toEqual(bare(b.all()))
  expect(a.bucketSizes()).toEqual(b.bucketSizes())
  expect(a.deepestBucket()).toBe(b.deepestBucket())
  expect(a.checkInvariants()).toBeUndefined()
}

describe('routing table: replacement cache keeps the latest object for a handle', () => {
  it('a handle seen again with new details is promoted with them', () => {
    const self = new Uint8Array(32)
    const far = (i: number, last: number): Contact => {
      const id = new Uint8Array(32)
      id[0] = 0x80
      id[30] = i
      id[31] = last
      return { id, peer: `p${i}`, addrs: [], ipGroup: '' }
    }
    const policy = { maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity }
    for (const t of [new RoutingTable(self, 1, 2, policy), new ReferenceTable(self, 1, 2, policy)]) {
      t.observe(far(1, 0), 1)
      expect(t.observe(far(2, 0), 2).kind).toBe('full')
      expect(t.observe(far(2, 9), 3).kind).toBe('full') // p2 again, freshest already, new id
      expect(t.fail(far(1, 0), 4, 2, true)).toBe(true)
      expect(t.all().map((c) => [c.peer, c.id[31]])).toEqual([['p2', 9]])
    }
  })
})
