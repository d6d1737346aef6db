// The yardstick of lookup hops: ideal routing tables and a lookup over them, with no network.
//
// Ideal tables: every peer's bucket i holds min(k, peers in bucket i's part of the keyspace)
// contacts, drawn at random among those peers (a bucket's contacts are whoever the peer happened
// to meet, not chosen). The lookup is ours with every answer taking the same time: it starts from
// the k closest contacts of the asker's own table, keeps alpha queries in flight, answers come
// back in the order their queries went out, and each answer is the queried peer's k closest to the
// target (without the asker). It ends when the k closest candidates have all answered. Hops are
// counted as src/engine/query/lookup.ts counts them: a contact from the asker's own table is hop
// 1, one learned from a hop-h answer is hop h+1 (a candidate keeps the hop it was first learned
// at), and a lookup's hops is the largest among the k closest that answered.
import type { NodeId } from '../../src/engine/ids.js'
import { commonPrefixLength, compareDistance } from '../../src/engine/ids.js'
import type { Rng } from '../../src/engine/rng.js'

export interface IdealNetwork {
  readonly ids: readonly NodeId[]
  /** tables[p]: the indexes of peer p's contacts. */
  readonly tables: readonly (readonly number[])[]
}

/** Ideal tables for `ids`: each bucket holds min(k, its peers) of them, chosen at random with `rng`. */
export function idealNetwork(ids: readonly NodeId[], k: number, rng: Rng): IdealNetwork {
  const tables: number[][] = []
  for (let p = 0; p < ids.length; p++) {
    const buckets: number[][] = []
    for (let q = 0; q < ids.length; q++) {
      if (q === p) continue
      const i = commonPrefixLength(ids[p]!, ids[q]!)
      ;(buckets[i] ??= []).push(q)
    }
    const table: number[] = []
    for (const b of buckets) {
      if (b === undefined) continue
      // A partial Fisher-Yates shuffle: the first min(k, n) are a uniform sample.
      const n = Math.min(k, b.length)
      for (let j = 0; j < n; j++) {
        const r = j + rng.int(b.length - j)
        const t = b[j]!
        b[j] = b[r]!
        b[r] = t
        table.push(b[j]!)
      }
    }
    tables.push(table)
  }
  return { ids, tables }
}

/** The first 48 bits of the XOR distance of each id to target, as numbers (ties broken by the full distance). */
function distanceKey(id: NodeId, target: NodeId): number {
  const hi = ((id[0]! ^ target[0]!) << 8) | (id[1]! ^ target[1]!)
  const lo = ((id[2]! ^ target[2]!) << 24) | ((id[3]! ^ target[3]!) << 16) | ((id[4]! ^ target[4]!) << 8) | (id[5]! ^ target[5]!)
  return hi * 4294967296 + (lo >>> 0)
}

/** The n contacts of `table` closest to target, nearest first, without `exclude`. */
function closestOf(net: IdealNetwork, table: readonly number[], target: NodeId, n: number, exclude: number): number[] {
  const keyed: { q: number; d: number }[] = []
  for (const q of table) if (q !== exclude) keyed.push({ q, d: distanceKey(net.ids[q]!, target) })
  keyed.sort((a, b) => a.d - b.d || compareDistance(net.ids[a.q]!, net.ids[b.q]!, target))
  return keyed.slice(0, n).map((e) => e.q)
}

interface Cand {
  readonly q: number
  readonly hop: number
  readonly d: number
  state: 0 | 1 | 2 // waiting, in flight, answered
}

/** One lookup from peer `from` for `target`: its hops (0 when it found nobody). */
export function idealLookupHops(net: IdealNetwork, from: number, target: NodeId, k: number, alpha: number): number {
  const cands: Cand[] = []
  const known = new Set<number>([from])
  const add = (q: number, hop: number): void => {
    if (known.has(q)) return
    known.add(q)
    const c: Cand = { q, hop, d: distanceKey(net.ids[q]!, target), state: 0 }
    let j = cands.length
    cands.push(c)
    while (j > 0 && (cands[j - 1]!.d > c.d || (cands[j - 1]!.d === c.d && compareDistance(net.ids[cands[j - 1]!.q]!, net.ids[q]!, target) > 0))) {
      cands[j] = cands[j - 1]!
      j--
    }
    cands[j] = c
  }
  for (const q of closestOf(net, net.tables[from]!, target, k, from)) add(q, 1)
  const inflight: Cand[] = []
  for (;;) {
    // Top up to alpha queries, closest waiting candidates among the k closest first; once the
    // closest candidate has answered, the rest of the k closest at once (the lookup's final round).
    const limit = cands.length > 0 && cands[0]!.state === 2 ? k : alpha
    for (let i = 0; i < cands.length && i < k && inflight.length < limit; i++) {
      const c = cands[i]!
      if (c.state !== 0) continue
      c.state = 1
      inflight.push(c)
    }
    const c = inflight.shift()
    if (c === undefined) break // the k closest have all answered
    c.state = 2
    for (const q of closestOf(net, net.tables[c.q]!, target, k, from)) add(q, c.hop + 1)
  }
  let h = 0
  for (let i = 0; i < cands.length && i < k; i++) if (cands[i]!.hop > h) h = cands[i]!.hop
  return h
}

/** Mean hops of `lookups` lookups from random peers for random targets. */
export function idealMeanHops(net: IdealNetwork, lookups: number, k: number, alpha: number, rng: Rng): number {
  let sum = 0
  for (let i = 0; i < lookups; i++) sum += idealLookupHops(net, rng.int(net.ids.length), rng.bytes(32), k, alpha)
  return sum / lookups
}
