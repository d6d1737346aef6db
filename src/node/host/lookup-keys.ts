// The key a FIND_NODE carries on the wire when the engine looks for a point of the keyspace rather
// than for a key.
//
// A kad peer answers FIND_NODE(key) with the peers closest to SHA-256(key): the key is a preimage
// (a peer id, a CID's multihash). The engine's own lookups — the join's and a refresh's lookup of
// our own id, the bucket fill's and a refresh round's lookup of a random id in one bucket — start
// from the id itself (key and target the same bytes), and no preimage of an arbitrary id can be
// found. Sent as it is, such a key is hashed once more by whoever answers, and the answers are
// about a random point: on 200 real nodes the late joiners' join lookups found 8 of the 20 peers
// closest to them where the simulator's found 19.6, and a third of the pairs of neighbours never
// met (docs/testbed.md). So the node sends instead:
// - for our own id, our peer id's multihash, whose SHA-256 is that id (as stock kad-dht does);
// - for another id, a key whose SHA-256 shares the id's first PREFIX_BITS bits, from a table of
//   one key per prefix (go-libp2p-kad-dht refreshes buckets with such a table of 16 bits). A
//   bucket refresh or fill wants a point in one bucket, which the first bits decide: 12 bits place
//   it in the right bucket up to bucket 11. The answers are then about a point within 2^-12 of
//   the keyspace from the id the engine ranks its candidates by; in a network of fewer than
//   about k * 2^12 (80,000) peers the k closest to either span more than that, so the two
//   neighbourhoods mostly coincide. The keys are found as they are asked for (keyNear).
// The simulator hands requests their target directly: it models what these keys approximate.
import { createHash } from 'node:crypto'
import type { Request } from '../../engine/index.js'
import { idEquals } from '../../engine/ids.js'

/** The leading bits of the id that the stand-in key's SHA-256 shares. */
export const PREFIX_BITS = 12

/** Multihash header of a SHA2-256 digest: the stand-in keys are well-formed peer ids. */
const SHA2_256 = [0x12, 0x20]

/** seeds[p]: the first seed whose key hashes to prefix p (set where found[p] is 1). */
const seeds = new Uint32Array(1 << PREFIX_BITS)
const found = new Uint8Array(1 << PREFIX_BITS)
/** The next seed to hash: seeds are hashed in order, each once, as keys are asked for. */
let nextSeed = 0

/** The stand-in key for seed s: a SHA2-256 multihash whose digest is 28 zero bytes and s (big-endian). */
function keyOf(seed: number): Uint8Array {
  const key = new Uint8Array(34)
  key.set(SHA2_256, 0)
  new DataView(key.buffer).setUint32(30, seed)
  return key
}

function prefixOf(bytes: Uint8Array): number {
  return ((bytes[0]! << 8) | bytes[1]!) >>> (16 - PREFIX_BITS)
}

/**
 * A key whose SHA-256 shares `id`'s first PREFIX_BITS bits: the first seed, in order, whose key
 * hashes to that prefix, so an id always gets the same key. Seeds are hashed as keys are asked
 * for and every prefix met on the way is remembered, so no call holds the event loop for the
 * whole table (~40,000 hashes, 0.11 s; the node's admission control refuses the requests queued
 * behind such a block, overload.ts). A prefix not met yet costs 2^PREFIX_BITS / (prefixes not
 * met) hashes on average, about 4,000 (~11 ms) at first; a process's first call measured 23-55
 * ms (cold code, and the geometric tail of that count).
 */
export function keyNear(id: Uint8Array): Uint8Array {
  const want = prefixOf(id)
  while (found[want] === 0) {
    const seed = nextSeed++
    const p = prefixOf(createHash('sha256').update(keyOf(seed)).digest())
    if (found[p] === 0) {
      found[p] = 1
      seeds[p] = seed
    }
  }
  return keyOf(seeds[want]!)
}

/**
 * The key to put on the wire for `req`: its own, unless it is a FIND_NODE for a bare id (key and
 * target the same), which gets our peer id's multihash (`selfKey`, when the id is `selfId`) or a
 * stand-in key near the id.
 */
export function wireKey(req: Request, selfId: Uint8Array, selfKey: Uint8Array): Uint8Array {
  if (req.type !== 'FIND_NODE' || !idEquals(req.key, req.target)) return req.key
  return idEquals(req.target, selfId) ? selfKey : keyNear(req.target)
}
