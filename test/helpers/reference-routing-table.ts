// The routing table as it was before its typed-array layout (commit 3a1dfe6): the reference
// that test/property/routing-table-equivalence.test.ts compares the current table against.
// Theory of operation
// -------------------
// The routing table keeps up to k contacts per bucket; bucket i holds contacts whose id shares
// exactly i leading bits with ours (i = commonPrefixLength). Least-recently-seen order is kept by
// each entry's lastSeenMs rather than by moving entries (the array is never reshuffled on the hot
// path): the head is the entry seen longest ago, ties to the earliest inserted. When a bucket is
// full, a newcomer goes to the bucket's replacement cache and the caller is
// told which head to liveness-check (ping); if the head fails, it is evicted and the freshest
// replacement takes its place (classic Kademlia: old live contacts are preferred, which resists
// flooding). Contacts that fail RPCs repeatedly are evicted the same way.
//
// Diversity: optionally at most N contacts per /24 group per bucket and per table.
//
// closest(target, n) never sorts the whole table: for target with cpl(self, target) = b, bucket b
// holds every contact sharing > b bits with the target, buckets j > b all share exactly b bits,
// and bucket j < b shares j bits; so it visits bucket b, then the j > b group, then b-1 .. 0, and
// sorts only the group that straddles n.
import type { Contact } from '../../src/engine/types.js'
import type { NodeId } from '../../src/engine/ids.js'
import { commonPrefixLength, compareDistance, idEquals } from '../../src/engine/ids.js'
import { KEY_BITS } from '../../src/engine/constants.js'
import type { PolicyConfig } from '../../src/engine/config.js'

export interface TableEntry {
  readonly contact: Contact
  lastSeenMs: number
  failures: number
}

interface Bucket {
  /** Least-recently-seen first. */
  entries: TableEntry[]
  /** Candidates for when a member dies; freshest last. */
  replacements: Contact[]
  /** Virtual time a lookup last targeted this bucket's range. */
  lastTouchedMs: number
}

export type ObserveResult =
  | { readonly kind: 'updated' }
  | { readonly kind: 'added' }
  | { readonly kind: 'self' }
  | { readonly kind: 'rejected'; readonly reason: 'diversity-bucket' | 'diversity-table' }
  /** Bucket full: the newcomer waits in the replacement cache; `head` should be liveness-checked. */
  | { readonly kind: 'full'; readonly head: TableEntry; readonly bucket: number }

export class RoutingTable {
  private readonly buckets: (Bucket | undefined)[] = new Array(KEY_BITS + 1)
  private readonly groupCounts = new Map<string, number>()
  private count = 0
  /** Deepest non-empty bucket index (-1 when empty); bounds closest()'s scan. */
  private deepest = -1

  constructor(
    readonly selfId: NodeId,
    private readonly k: number,
    private readonly replacementCacheSize: number,
    private policy: Pick<PolicyConfig, 'maxPerGroupPerBucket' | 'maxPerGroupPerTable'>,
  ) {}

  get size(): number {
    return this.count
  }

  setPolicy(policy: Pick<PolicyConfig, 'maxPerGroupPerBucket' | 'maxPerGroupPerTable'>): void {
    this.policy = policy
  }

  bucketIndex(id: NodeId): number {
    return commonPrefixLength(this.selfId, id)
  }

  private bucket(i: number): Bucket {
    let b = this.buckets[i]
    if (b === undefined) {
      b = { entries: [], replacements: [], lastTouchedMs: -Infinity }
      this.buckets[i] = b
    }
    return b
  }

  find(contact: Contact): TableEntry | undefined {
    const b = this.buckets[this.bucketIndex(contact.id)]
    if (b === undefined) return undefined
    for (const e of b.entries) if (e.contact.peer === contact.peer) return e
    return undefined
  }

  has(contact: Contact): boolean {
    return this.find(contact) !== undefined
  }

  /** The contact was heard from (or is proposed by a peer, when `verified` is false). */
  observe(contact: Contact, nowMs: number): ObserveResult {
    const i = this.bucketIndex(contact.id)
    if (i >= KEY_BITS) return SELF
    const b = this.bucket(i)
    const entries = b.entries
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j]!
      if (e.contact === contact || e.contact.peer === contact.peer) {
        if (nowMs > e.lastSeenMs) e.lastSeenMs = nowMs
        e.failures = 0
        return UPDATED
      }
    }
    const rejected = this.diversityVerdict(b, contact)
    if (rejected !== undefined) return { kind: 'rejected', reason: rejected }
    if (entries.length < this.k) {
      entries.push({ contact, lastSeenMs: nowMs, failures: 0 })
      this.count++
      if (i > this.deepest) this.deepest = i
      this.addGroup(contact)
      this.dropReplacement(b, contact)
      return ADDED
    }
    this.addReplacement(b, contact)
    return { kind: 'full', head: headOf(entries), bucket: i }
  }

  private diversityVerdict(b: Bucket, contact: Contact): 'diversity-bucket' | 'diversity-table' | undefined {
    const g = contact.ipGroup
    if (g === '') return undefined
    if (Number.isFinite(this.policy.maxPerGroupPerTable) && (this.groupCounts.get(g) ?? 0) >= this.policy.maxPerGroupPerTable) {
      return 'diversity-table'
    }
    if (Number.isFinite(this.policy.maxPerGroupPerBucket)) {
      let n = 0
      for (const e of b.entries) if (e.contact.ipGroup === g) n++
      if (n >= this.policy.maxPerGroupPerBucket) return 'diversity-bucket'
    }
    return undefined
  }

  private addGroup(c: Contact): void {
    if (c.ipGroup !== '') this.groupCounts.set(c.ipGroup, (this.groupCounts.get(c.ipGroup) ?? 0) + 1)
  }

  private removeGroup(c: Contact): void {
    if (c.ipGroup === '') return
    const n = (this.groupCounts.get(c.ipGroup) ?? 0) - 1
    if (n <= 0) this.groupCounts.delete(c.ipGroup)
    else this.groupCounts.set(c.ipGroup, n)
  }

  private addReplacement(b: Bucket, contact: Contact): void {
    this.dropReplacement(b, contact)
    b.replacements.push(contact)
    if (b.replacements.length > this.replacementCacheSize) b.replacements.shift()
  }

  private dropReplacement(b: Bucket, contact: Contact): void {
    const r = b.replacements
    for (let j = 0; j < r.length; j++) {
      if (r[j]!.peer === contact.peer) {
        r.splice(j, 1)
        return
      }
    }
  }

  /**
   * An RPC to the contact failed. After `maxFailures` consecutive failures (or at once when
   * `evictNow`), the contact is removed and the freshest replacement promoted. Returns true when
   * the contact left the table.
   */
  fail(contact: Contact, nowMs: number, maxFailures: number, evictNow = false): boolean {
    const i = this.bucketIndex(contact.id)
    const b = this.buckets[i]
    if (b === undefined) return false
    const entries = b.entries
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j]!
      if (e.contact.peer !== contact.peer) continue
      e.failures++
      if (!evictNow && e.failures < maxFailures) return false
      entries.splice(j, 1)
      this.count--
      this.removeGroup(e.contact)
      this.promote(b, nowMs)
      if (i === this.deepest && entries.length === 0) this.deepest = this.scanDeepest()
      return true
    }
    this.dropReplacement(b, contact)
    return false
  }

  private promote(b: Bucket, nowMs: number): void {
    while (b.replacements.length > 0 && b.entries.length < this.k) {
      const c = b.replacements.pop()!
      if (this.diversityVerdict(b, c) !== undefined) continue
      b.entries.push({ contact: c, lastSeenMs: nowMs, failures: 0 })
      this.count++
      this.addGroup(c)
    }
  }

  /**
   * Up to n contacts closest to target, nearest first, skipping `exclude` (a peer handle). With
   * `skipSuspect`, contacts whose last RPC failed are left out (answers to other peers should not
   * advertise peers we already suspect are gone). The hot path of every FIND_NODE answer: no
   * closures, and each bucket group is insertion-sorted on a 48-bit distance prefix.
   */
  closest(target: NodeId, n: number, exclude?: string, skipSuspect = false): Contact[] {
    const out: Contact[] = []
    if (n <= 0 || this.count === 0) return out
    const b = commonPrefixLength(this.selfId, target)
    let g = 0
    if (b < KEY_BITS) {
      g = this.collectInto(b, g, exclude, skipSuspect, target)
      if (flushSorted(out, n, g, target)) return out
      g = 0
    }
    for (let j = b + 1; j <= this.deepest; j++) g = this.collectInto(j, g, exclude, skipSuspect, target)
    if (flushSorted(out, n, g, target)) return out
    for (let j = Math.min(b, KEY_BITS) - 1; j >= 0; j--) {
      g = this.collectInto(j, 0, exclude, skipSuspect, target)
      if (flushSorted(out, n, g, target)) return out
    }
    return out
  }

  /** Appends bucket i's eligible contacts to the scratch group, keyed by 48-bit distance prefix. */
  private collectInto(i: number, g: number, exclude: string | undefined, skipSuspect: boolean, target: NodeId): number {
    const bk = this.buckets[i]
    if (bk === undefined) return g
    for (const e of bk.entries) {
      const c = e.contact
      if (c.peer === exclude || (skipSuspect && e.failures > 0)) continue
      const id = c.id
      const hi = ((id[0]! ^ target[0]!) << 8) | (id[1]! ^ target[1]!)
      const lo = (((id[2]! ^ target[2]!) << 24) | ((id[3]! ^ target[3]!) << 16) | ((id[4]! ^ target[4]!) << 8) | (id[5]! ^ target[5]!)) >>> 0
      if (g >= scratchGroup.length) {
        scratchGroup.push(c)
        scratchKeys = growKeys(scratchKeys)
      } else scratchGroup[g] = c
      scratchKeys[g] = hi * 4294967296 + lo
      g++
    }
    return g
  }

  /** Marks the bucket that `target` falls in as recently looked up. */
  touch(target: NodeId, nowMs: number): void {
    const i = this.bucketIndex(target)
    if (i < KEY_BITS) this.bucket(i).lastTouchedMs = nowMs
  }

  /**
   * Indices of buckets in [0, upTo] that need a refresh, lowest (farthest) first: not looked up
   * since `sinceMs`, and either not full or with a head (stalest contact) not heard from since then.
   * A full bucket whose members all spoke recently is as fresh as a refresh would make it.
   */
  staleBuckets(sinceMs: number, upTo: number): number[] {
    const out: number[] = []
    for (let i = 0; i <= Math.min(upTo, KEY_BITS - 1); i++) {
      const b = this.buckets[i]
      if (b === undefined) {
        out.push(i)
        continue
      }
      if (b.lastTouchedMs >= sinceMs) continue
      if (b.entries.length < this.k || headOf(b.entries).lastSeenMs < sinceMs) out.push(i)
    }
    return out
  }

  /** Deepest non-empty bucket index, or -1 for an empty table. */
  deepestBucket(): number {
    return this.deepest
  }

  private scanDeepest(): number {
    for (let i = KEY_BITS - 1; i >= 0; i--) if ((this.buckets[i]?.entries.length ?? 0) > 0) return i
    return -1
  }

  bucketSizes(): number[] {
    const out: number[] = []
    for (let i = 0; i < KEY_BITS; i++) out.push(this.buckets[i]?.entries.length ?? 0)
    return out
  }

  /** Every contact, bucket by bucket (farthest first), least-recently-seen first in a bucket. */
  all(): Contact[] {
    const out: Contact[] = []
    for (let i = 0; i < KEY_BITS; i++) {
      const b = this.buckets[i]
      if (b === undefined) continue
      const order = b.entries.map((e, j) => ({ e, j }))
      order.sort((x, y) => x.e.lastSeenMs - y.e.lastSeenMs || x.j - y.j)
      for (const { e } of order) out.push(e.contact)
    }
    return out
  }

  /** Checks the table's invariants; returns a description of the first violation, or undefined. */
  checkInvariants(): string | undefined {
    let total = 0
    for (let i = 0; i < KEY_BITS; i++) {
      const b = this.buckets[i]
      if (b === undefined) continue
      if (b.entries.length > this.k) return `bucket ${i} holds ${b.entries.length} > k=${this.k}`
      const seen = new Set<string>()
      for (const e of b.entries) {
        if (idEquals(e.contact.id, this.selfId)) return `bucket ${i} holds self`
        if (commonPrefixLength(this.selfId, e.contact.id) !== i) return `contact ${e.contact.peer} in wrong bucket ${i}`
        if (seen.has(e.contact.peer)) return `duplicate ${e.contact.peer} in bucket ${i}`
        seen.add(e.contact.peer)
      }
      total += b.entries.length
    }
    if (total !== this.count) return `size ${this.count} != sum of buckets ${total}`
    if (this.deepest !== this.scanDeepest()) return `deepest ${this.deepest} != ${this.scanDeepest()}`
    return undefined
  }
}

const UPDATED: ObserveResult = Object.freeze({ kind: 'updated' })
const ADDED: ObserveResult = Object.freeze({ kind: 'added' })
const SELF: ObserveResult = Object.freeze({ kind: 'self' })

/** The least-recently-seen entry of a non-empty bucket (ties: the earliest inserted). */
function headOf(entries: readonly TableEntry[]): TableEntry {
  let h = entries[0]!
  for (let j = 1; j < entries.length; j++) if (entries[j]!.lastSeenMs < h.lastSeenMs) h = entries[j]!
  return h
}

// Scratch space for closest(): reused across calls (the engine is single-threaded and closest()
// does not re-enter), so the hot path allocates only its result.
const scratchGroup: Contact[] = []
let scratchKeys: Float64Array = new Float64Array(64)

function growKeys(keys: Float64Array): Float64Array {
  if (scratchGroup.length <= keys.length) return keys
  const next = new Float64Array(keys.length * 2)
  next.set(keys)
  return next
}

/**
 * Insertion-sorts the first g scratch entries by key (ties on the 48-bit prefix fall back to the
 * full distance) and appends them to out until it holds n. Returns true when out is full.
 */
function flushSorted(out: Contact[], n: number, g: number, target: NodeId): boolean {
  const cs = scratchGroup
  const ks = scratchKeys
  for (let i = 1; i < g; i++) {
    const c = cs[i]!
    const k = ks[i]!
    let j = i - 1
    while (j >= 0 && (ks[j]! > k || (ks[j] === k && compareDistance(cs[j]!.id, c.id, target) > 0))) {
      cs[j + 1] = cs[j]!
      ks[j + 1] = ks[j]!
      j--
    }
    cs[j + 1] = c
    ks[j + 1] = k
  }
  for (let i = 0; i < g && out.length < n; i++) out.push(cs[i]!)
  return out.length >= n
}
