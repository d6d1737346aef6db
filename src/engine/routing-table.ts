// (Over 400 lines: the whole Kademlia policy of the table — buckets, replacement, eviction,
// diversity limits, closest() — over its storage, which is table-slots.ts.)
//
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
// Diversity: optionally at most N contacts per /24 group per bucket and per table, and the same
// per /16 group (an attacker with one /24 per Sybil still rents them from a few large ranges).
//
// Id ranges: optionally at most N contacts of a bucket in one quarter of its id range, so that ids
// packed around one point take a quarter of a bucket, not all of it (quarterFull()). A node inside
// such a cluster re-announces itself while it lasts (announce.ts), since it too falls in the
// cluster's quarter of its neighbours' buckets.
//
// Announcements: optionally, peers that made a self-lookup reaching us are remembered apart from
// the buckets (announced-peers.ts), and closestSet() names such a peer when the target is exactly
// its id: a node whose neighbours' buckets a Sybil cluster filled first can still be found.
//
// Storage (table-slots.ts, which this class extends): entries live in slots of flat typed
// columns, one block per bucket, with each entry's id prefix and handle hash beside it, so the hot
// paths — every message received, every FIND_NODE answered — read a few contiguous cache lines
// and touch a Contact object only when a hash matches (then the handles themselves are compared:
// a hash is never trusted alone).
//
// closest(target, n) never sorts the whole table: for target with cpl(self, target) = b, bucket b
// holds every contact sharing > b bits with the target, buckets j > b all share exactly b bits,
// and bucket j < b shares j bits; so it visits bucket b, then the j > b group, then b-1 .. 0, and
// sorts only the group that straddles n. closestSet() (the answer to a FIND_NODE) returns the same
// contacts unsorted, so it ranks only that straddling group, to choose its members.
import type { Contact } from './types.js'
import type { NodeId } from './ids.js'
import { commonPrefixLength, compareDistance, idEquals } from './ids.js'
import { KEY_BITS } from './constants.js'
import type { PolicyConfig } from './config.js'
import { M_BASE, M_EVEN, M_LEN, M_REP_LEN, META_STRIDE, TableSlots, failsOf, hiOf, withFailure } from './table-slots.js'
import { AnnouncedPeers } from './announced-peers.js'
import { hashString, idHiOf, idLoOf, peerHashOf } from './contact-keys.js'

export { hashString }

/** A snapshot of one table entry. */
export interface TableEntry {
  readonly contact: Contact
  readonly lastSeenMs: number
  readonly failures: number
}

export type ObserveResult =
  | { readonly kind: 'updated' }
  | { readonly kind: 'added' }
  | { readonly kind: 'self' }
  | { readonly kind: 'rejected'; readonly reason: 'diversity-bucket' | 'diversity-table' }
  /** Bucket full: the newcomer waits in the replacement cache; `head` should be liveness-checked. */
  | { readonly kind: 'full'; readonly head: TableEntry; readonly bucket: number }

/** observeCode() results (observe() without an allocated result: it runs on every message). */
export const OBS_UPDATED = 0
export const OBS_ADDED = 1
export const OBS_SELF = 2
export const OBS_REJECTED_BUCKET = 3
export const OBS_REJECTED_TABLE = 4
/** Bucket full: the newcomer waits in the replacement cache; the bucket's head may need a liveness check. */
export const OBS_FULL = 5

/** The diversity limits the table applies (the /16 ones are optional: Infinity when absent), and its announcement memory (absent: none). */
export type TablePolicy = Pick<PolicyConfig, 'maxPerGroupPerBucket' | 'maxPerGroupPerTable'> &
  Partial<Pick<PolicyConfig, 'maxPer16PerBucket' | 'maxPer16PerTable' | 'maxPerIdQuarter' | 'announcedPeers' | 'balanceIdRange'>>

/** "10.1" of the /24 group "10.1.2" (the group as it is, when it has no two dots). */
export function group16Of(group: string): string {
  const i = group.lastIndexOf('.')
  return i <= 0 ? group : group.slice(0, i)
}

export class RoutingTable extends TableSlots {
  /** Contacts per /24 group over the table: kept only while the per-table limit is finite. */
  private groupCounts: Map<string, number> | undefined
  /** Contacts per /16 group over the table: kept only while its per-table limit is finite. */
  private group16Counts: Map<string, number> | undefined
  private count = 0
  /** Deepest non-empty bucket index (-1 when empty); bounds closest()'s scan. */
  private deepest = -1
  /** The first 32 bits of selfId (bucketIndex). */
  private readonly selfWord: number
  /** Peers that announced themselves (made only when the policy asks for any). */
  private announced: AnnouncedPeers | undefined

  constructor(
    readonly selfId: NodeId,
    k: number,
    replacementCacheSize: number,
    private policy: TablePolicy,
    /** closest()'s working space: its own unless the owner passes one (see TableScratch). */
    private readonly scratch: TableScratch = new TableScratch(),
  ) {
    super(k, replacementCacheSize)
    this.selfWord = (selfId[0]! << 24) | (selfId[1]! << 16) | (selfId[2]! << 8) | selfId[3]!
    this.groupCounts = Number.isFinite(policy.maxPerGroupPerTable) ? new Map() : undefined
    this.group16Counts = Number.isFinite(policy.maxPer16PerTable ?? Infinity) ? new Map() : undefined
    this.setAnnounceCapacity(policy.announcedPeers ?? 0)
  }

  private setAnnounceCapacity(n: number): void {
    if (n > 0 && this.announced === undefined) this.announced = new AnnouncedPeers(n)
    else if (n > 0) this.announced!.setCapacity(n)
    else this.announced = undefined
  }

  get size(): number {
    return this.count
  }

  setPolicy(policy: TablePolicy): void {
    this.policy = policy
    this.setAnnounceCapacity(policy.announcedPeers ?? 0)
    const want24 = Number.isFinite(policy.maxPerGroupPerTable)
    const want16 = Number.isFinite(policy.maxPer16PerTable ?? Infinity)
    if (!want24) this.groupCounts = undefined
    if (!want16) this.group16Counts = undefined
    if ((want24 && this.groupCounts === undefined) || (want16 && this.group16Counts === undefined)) {
      this.groupCounts = want24 ? new Map() : undefined
      this.group16Counts = want16 ? new Map() : undefined
      for (let i = 0; i < this.buckets; i++) {
        const s0 = this.i32[i * META_STRIDE + M_BASE]!
        for (let s = s0; s < s0 + this.i32[i * META_STRIDE + M_LEN]!; s++) this.addGroup(this.contacts[s]!)
      }
    }
  }

  bucketIndex(id: NodeId): number {
    // Nearly every id differs from ours within 32 bits: decide those from a cached word.
    const x = ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) ^ this.selfWord
    return x !== 0 ? Math.clz32(x) : commonPrefixLength(this.selfId, id)
  }

  /** bucketIndex(c.id), from the contact's keys when it has them (its id's bytes are then read only past 32 equal bits). */
  bucketOf(c: Contact): number {
    const x = ((idHiOf(c) << 16) | (idLoOf(c) >>> 16)) ^ this.selfWord
    return x !== 0 ? Math.clz32(x) : commonPrefixLength(this.selfId, c.id)
  }

  /** The slot of `contact`'s handle in bucket i, or -1. */
  private slotOf(i: number, contact: Contact, h: number): number {
    const m = i * META_STRIDE
    const s0 = this.i32[m + M_BASE]!
    const end = s0 + this.i32[m + M_LEN]!
    const a = this.i32
    const o = this.oPeer
    for (let s = s0; s < end; s++) {
      if (a[o + s] !== h) continue
      const c = this.contacts[s]!
      if (c === contact || c.peer === contact.peer) return s
    }
    return -1
  }

  find(contact: Contact): TableEntry | undefined {
    const i = this.bucketOf(contact)
    if (!this.exists(i)) return undefined
    const s = this.slotOf(i, contact, peerHashOf(contact))
    return s < 0 ? undefined : this.entryAt(s)
  }

  has(contact: Contact): boolean {
    return this.find(contact) !== undefined
  }

  private entryAt(s: number): TableEntry {
    return { contact: this.contacts[s]!, lastSeenMs: this.f64[this.oSeen + s]!, failures: failsOf(this.i32[this.oHi + s]!) }
  }

  /** The contact was heard from (or is proposed by a peer, when `verified` is false). */
  observe(contact: Contact, nowMs: number): ObserveResult {
    switch (this.observeCode(contact, nowMs)) {
      case OBS_UPDATED:
        return UPDATED
      case OBS_ADDED:
        return ADDED
      case OBS_SELF:
        return SELF
      case OBS_REJECTED_BUCKET:
        return { kind: 'rejected', reason: 'diversity-bucket' }
      case OBS_REJECTED_TABLE:
        return { kind: 'rejected', reason: 'diversity-table' }
      default: {
        const i = this.bucketOf(contact)
        return { kind: 'full', head: this.headEntry(i), bucket: i }
      }
    }
  }

  /** observe() as an OBS_* code (no allocation). After OBS_FULL, see headSeenMs / headEntry. */
  observeCode(contact: Contact, nowMs: number): number {
    const i = this.bucketOf(contact)
    if (i >= KEY_BITS) return OBS_SELF
    this.ensureBucket(i)
    const h = peerHashOf(contact)
    const s = this.slotOf(i, contact, h)
    if (s >= 0) {
      if (nowMs > this.f64[this.oSeen + s]!) this.f64[this.oSeen + s] = nowMs
      this.i32[this.oHi + s] = hiOf(this.i32[this.oHi + s]!)
      return OBS_UPDATED
    }
    const rejected = this.diversityVerdict(i, contact)
    if (rejected !== undefined) return rejected === 'diversity-bucket' ? OBS_REJECTED_BUCKET : OBS_REJECTED_TABLE
    if (this.i32[i * META_STRIDE + M_LEN]! < this.k) {
      this.append(i, contact, h, nowMs)
      if (i > this.deepest) this.deepest = i
      this.dropReplacement(i, contact, h)
      return OBS_ADDED
    }
    if (this.policy.balanceIdRange === true) {
      const v = this.balanceVictim(i, contact.id)
      if (v >= 0) {
        const old = this.contacts[v]!
        const oldHash = this.i32[this.oPeer + v]! // hashString(old.peer), kept beside it
        this.removeAt(i, v)
        this.append(i, contact, h, nowMs)
        this.dropReplacement(i, contact, h)
        this.addReplacement(i, old, oldHash)
        return OBS_ADDED
      }
    }
    this.addReplacement(i, contact, h)
    return OBS_FULL
  }

  /**
   * The slot that leaves full bucket i for a newcomer with `id`, or -1: the youngest contact of
   * the bucket's fullest sub-range (one of 2^SUBRANGE_BITS parts of its id range, by the bits after
   * its prefix; the lowest on a tie) when that sub-range holds at least two more than the
   * newcomer's. A bucket's contacts come from lookups and from the peers that query us, and both
   * crowd around a few points of its range (a lookup into the bucket meets the peers near its
   * target; a self-lookup meets the part of the range nearest us); a lookup for a target elsewhere
   * in the range then starts farther from it and takes a hop more. Kept even, a full bucket's k
   * contacts cover its range as evenly as a random draw from it would, or better. Only a newcomer
   * that proved alive is judged, and a member leaves only for one of a thinner sub-range, so old
   * contacts stay unless they crowd (Kademlia's preference for old contacts, within each sub-range).
   */
  private balanceVictim(i: number, id: NodeId): number {
    // Most newcomers reach far buckets that are long even: one read then, not a scan.
    if (i + SUBRANGE_BITS >= PREFIX_BITS || this.i32[i * META_STRIDE + M_EVEN] === 1) return -1
    const counts = this.scratch.subranges
    counts.fill(0)
    const s0 = this.i32[i * META_STRIDE + M_BASE]!
    const end = s0 + this.i32[i * META_STRIDE + M_LEN]!
    for (let s = s0; s < end; s++) counts[this.subrangeOf(s, i)]!++
    let f = 0
    let low = counts[0]!
    for (let j = 1; j < SUBRANGES; j++) {
      if (counts[j]! > counts[f]!) f = j
      if (counts[j]! < low) low = counts[j]!
    }
    if (counts[f]! < low + 2) {
      this.i32[i * META_STRIDE + M_EVEN] = 1
      return -1
    }
    let e = 0
    for (let b = 1; b <= SUBRANGE_BITS; b++) e = (e << 1) | idBit(id, i + b)
    if (counts[f]! < counts[e]! + 2) return -1
    for (let s = end - 1; s >= s0; s--) if (this.subrangeOf(s, i) === f) return s
    return -1
  }

  /** Contacts of bucket i in each of the 2^SUBRANGE_BITS sub-ranges of its id range; undefined for a bucket too deep for the id prefix columns. */
  subrangeCounts(i: number): number[] | undefined {
    if (i + SUBRANGE_BITS >= PREFIX_BITS) return undefined
    const counts = new Array<number>(SUBRANGES).fill(0)
    if (!this.exists(i)) return counts
    const s0 = this.i32[i * META_STRIDE + M_BASE]!
    for (let s = s0; s < s0 + this.i32[i * META_STRIDE + M_LEN]!; s++) counts[this.subrangeOf(s, i)]!++
    return counts
  }

  /** The sub-range of bucket i's id range that slot s's contact lies in (the SUBRANGE_BITS bits after the bucket's prefix; i + SUBRANGE_BITS < 48). */
  private subrangeOf(s: number, i: number): number {
    return subrangeOfPrefix(hiOf(this.i32[this.oHi + s]!), this.i32[this.oLo + s]!, i)
  }

  /** When a non-empty bucket's least-recently-seen entry was last heard from. */
  headSeenMs(i: number): number {
    return this.f64[this.oSeen + this.headSlot(i)]!
  }

  /** A snapshot of a non-empty bucket's least-recently-seen entry. */
  headEntry(i: number): TableEntry {
    return this.entryAt(this.headSlot(i))
  }

  /** Appends an entry to bucket i (which has room). */
  private append(i: number, contact: Contact, h: number, nowMs: number): void {
    this.appendSlot(i, contact, h, hashString(contact.ipGroup), nowMs)
    this.count++
    this.addGroup(contact)
  }

  /** Removes slot s of bucket i. */
  private removeAt(i: number, s: number): void {
    this.count--
    this.removeGroup(this.removeSlot(i, s))
  }

  private diversityVerdict(i: number, contact: Contact): 'diversity-bucket' | 'diversity-table' | undefined {
    if (this.quarterFull(i, contact.id)) return 'diversity-bucket'
    const g = contact.ipGroup
    if (g === '') return undefined
    if (this.groupCounts !== undefined && (this.groupCounts.get(g) ?? 0) >= this.policy.maxPerGroupPerTable) {
      return 'diversity-table'
    }
    if (Number.isFinite(this.policy.maxPerGroupPerBucket)) {
      const gh = hashString(g)
      let n = 0
      const s0 = this.i32[i * META_STRIDE + M_BASE]!
      for (let s = s0; s < s0 + this.i32[i * META_STRIDE + M_LEN]!; s++) if (this.i32[this.oGroup + s] === gh && this.contacts[s]!.ipGroup === g) n++
      if (n >= this.policy.maxPerGroupPerBucket) return 'diversity-bucket'
    }
    const per16Table = this.policy.maxPer16PerTable ?? Infinity
    const per16Bucket = this.policy.maxPer16PerBucket ?? Infinity
    if (!Number.isFinite(per16Table) && !Number.isFinite(per16Bucket)) return undefined
    const g16 = group16Of(g)
    if (this.group16Counts !== undefined && (this.group16Counts.get(g16) ?? 0) >= per16Table) return 'diversity-table'
    if (Number.isFinite(per16Bucket)) {
      // Only a newcomer is judged (a contact already in the table never is), so this scan runs on
      // admissions, not on every message.
      let n = 0
      const s0 = this.i32[i * META_STRIDE + M_BASE]!
      for (let s = s0; s < s0 + this.i32[i * META_STRIDE + M_LEN]!; s++) if (sameGroup16(this.contacts[s]!.ipGroup, g16)) n++
      if (n >= per16Bucket) return 'diversity-bucket'
    }
    return undefined
  }

  /**
   * Whether bucket i already holds maxPerIdQuarter contacts in the quarter of its id range that
   * `id` falls in (the two bits after the bucket's own prefix). Honest ids are uniform, so a full
   * bucket holds about k/4 per quarter; ids packed around one point (a Sybil cluster around a
   * node) all fall in one quarter of every bucket that is not deeper than the cluster, and take
   * only that quarter's share instead of the whole bucket, leaving the rest to the honest peers
   * around them. Only a newcomer is judged, like the other diversity limits.
   */
  private quarterFull(i: number, id: NodeId): boolean {
    const max = this.policy.maxPerIdQuarter ?? Infinity
    // The id prefix columns hold 48 bits: deeper buckets (never reached in practice) are not limited.
    if (!Number.isFinite(max) || i + 2 >= PREFIX_BITS) return false
    const q = (idBit(id, i + 1) << 1) | idBit(id, i + 2)
    let n = 0
    const s0 = this.i32[i * META_STRIDE + M_BASE]!
    for (let s = s0; s < s0 + this.i32[i * META_STRIDE + M_LEN]!; s++) {
      const hi = hiOf(this.i32[this.oHi + s]!)
      const lo = this.i32[this.oLo + s]!
      if (((prefixBit(hi, lo, i + 1) << 1) | prefixBit(hi, lo, i + 2)) === q) n++
    }
    return n >= max
  }

  private addGroup(c: Contact): void {
    if (c.ipGroup === '') return
    const m = this.groupCounts
    if (m !== undefined) m.set(c.ipGroup, (m.get(c.ipGroup) ?? 0) + 1)
    const m16 = this.group16Counts
    if (m16 !== undefined) {
      const g16 = group16Of(c.ipGroup)
      m16.set(g16, (m16.get(g16) ?? 0) + 1)
    }
  }

  private removeGroup(c: Contact): void {
    if (c.ipGroup === '') return
    const m = this.groupCounts
    if (m !== undefined) decrement(m, c.ipGroup)
    const m16 = this.group16Counts
    if (m16 !== undefined) decrement(m16, group16Of(c.ipGroup))
  }

  private addReplacement(i: number, contact: Contact, h: number): void {
    const m = i * META_STRIDE
    const n = this.i32[m + M_REP_LEN]!
    if (n > 0) {
      // Already the freshest: dropping and appending it again only swaps in this object.
      const last = this.repSlot(m, n - 1)
      if (this.i32[this.oRep + last] === h) {
        const c = this.repContacts[last]! // read only on a hash match: the cache's slots are cold
        if (c === contact) return
        if (c.peer === contact.peer) {
          this.repContacts[last] = contact
          return
        }
      }
    }
    this.dropReplacement(i, contact, h)
    this.ringPush(i, contact, h)
  }

  private dropReplacement(i: number, contact: Contact, h: number): void {
    const m = i * META_STRIDE
    const n = this.i32[m + M_REP_LEN]!
    for (let j = 0; j < n; j++) {
      const r = this.repSlot(m, j)
      if (this.i32[this.oRep + r] !== h) continue
      const c = this.repContacts[r]!
      if (c !== contact && c.peer !== contact.peer) continue
      this.ringRemove(i, j)
      return
    }
  }

  /**
   * An RPC to the contact failed. After `maxFailures` consecutive failures (or at once when
   * `evictNow`), the contact is removed and the freshest replacement promoted. Returns true when
   * the contact left the table.
   */
  fail(contact: Contact, nowMs: number, maxFailures: number, evictNow = false): boolean {
    const i = this.bucketOf(contact)
    if (!this.exists(i)) return false
    const h = peerHashOf(contact)
    const s = this.slotOf(i, contact, h)
    if (s < 0) {
      this.dropReplacement(i, contact, h)
      return false
    }
    const word = withFailure(this.i32[this.oHi + s]!)
    this.i32[this.oHi + s] = word
    if (!evictNow && failsOf(word) < maxFailures) return false
    this.removeAt(i, s)
    this.promote(i, nowMs)
    if (i === this.deepest && this.i32[i * META_STRIDE + M_LEN] === 0) this.deepest = this.scanDeepest()
    return true
  }

  private promote(i: number, nowMs: number): void {
    while (this.i32[i * META_STRIDE + M_REP_LEN]! > 0 && this.i32[i * META_STRIDE + M_LEN]! < this.k) {
      const r = this.repSlot(i * META_STRIDE, --this.i32[i * META_STRIDE + M_REP_LEN]!)
      const c = this.repContacts[r]!
      const h = this.i32[this.oRep + r]!
      this.repContacts[r] = undefined
      if (this.diversityVerdict(i, c) !== undefined) continue
      this.append(i, c, h, nowMs)
    }
  }

  /**
   * Up to n contacts closest to target, nearest first, skipping `exclude` (a peer handle). With
   * `skipSuspect`, contacts whose last RPC failed are left out (answers to other peers should not
   * advertise peers we already suspect are gone). No closures, and each bucket group is
   * insertion-sorted on a 48-bit distance prefix.
   */
  closest(target: NodeId, n: number, exclude?: string, skipSuspect = false): Contact[] {
    return this.nearest(target, n, exclude, skipSuspect, true)
  }

  /**
   * The same contacts as closest(), in no particular order: the answer to every FIND_NODE and
   * GET_PROVIDERS (the asker ranks what it gets itself). A bucket group that fits whole is taken
   * as it is; only the group that straddles n is ranked, to choose its members. Most answers come
   * from one full bucket and need no ranking at all. `excludeHash` is hashString(exclude), when the
   * caller has it (a keyed contact's peerHash: the handle's characters are then not read).
   */
  closestSet(target: NodeId, n: number, exclude?: string, skipSuspect = false, nowMs?: number, excludeHash?: number): Contact[] {
    const out = this.nearest(target, n, exclude, skipSuspect, false, excludeHash)
    const a = this.announced
    if (a === undefined || nowMs === undefined || n <= 0) return out
    const c = a.find(target, nowMs)
    if (c === undefined || c.peer === exclude) return out
    // It is at distance 0: it belongs in the answer, in place of the farthest when the answer is full.
    let far = -1
    for (let i = 0; i < out.length; i++) {
      if (out[i]!.peer === c.peer) return out
      if (far < 0 || compareDistance(out[i]!.id, out[far]!.id, target) > 0) far = i
    }
    if (out.length < n) out.push(c)
    else out[far] = c
    return out
  }

  /** `contact` made a self-lookup that reached us (see announced-peers.ts); a no-op unless the policy keeps announcements. */
  noteAnnounce(contact: Contact, nowMs: number): void {
    this.announced?.note(contact, nowMs)
  }

  private nearest(target: NodeId, n: number, exclude: string | undefined, skipSuspect: boolean, ordered: boolean, excludeHash?: number): Contact[] {
    if (n <= 0 || this.count === 0) return []
    const b = this.bucketIndex(target)
    const exHash = exclude === undefined ? 0 : (excludeHash ?? hashString(exclude))
    const top = this.deepest // the buckets past it are empty
    let got = 0
    if (b <= top) got = this.flush(got, n, this.collectInto(b, 0, exclude, exHash, skipSuspect), target, ordered)
    if (got < n) {
      let g = 0
      for (let j = b + 1; j <= top; j++) g = this.collectInto(j, g, exclude, exHash, skipSuspect)
      got = this.flush(got, n, g, target, ordered)
    }
    for (let j = Math.min(b, top + 1) - 1; j >= 0 && got < n; j--) {
      got = this.flush(got, n, this.collectInto(j, 0, exclude, exHash, skipSuspect), target, ordered)
    }
    // One exact-size copy: cheaper than growing a fresh array push by push.
    return this.scratch.out.slice(0, got)
  }

  /** Appends the first g scratch slots' contacts to the scratch result (sorted unless `ordered` is off and all fit). */
  private flush(got: number, n: number, g: number, target: NodeId, ordered: boolean): number {
    if (ordered || g > n - got) return this.flushSorted(got, n, g, target)
    const ss = this.scratch.slots
    const out = this.scratch.out
    const cs = this.contacts
    for (let i = 0; i < g; i++) out[got + i] = cs[ss[i]!]!
    return got + g
  }

  /** Appends bucket i's eligible slots to the scratch group. */
  private collectInto(i: number, g: number, exclude: string | undefined, exHash: number, skipSuspect: boolean): number {
    const s0 = this.i32[i * META_STRIDE + M_BASE]!
    const end = s0 + this.i32[i * META_STRIDE + M_LEN]!
    const slots = this.scratch.slots
    for (let s = s0; s < end; s++) {
      if (skipSuspect && failsOf(this.i32[this.oHi + s]!) > 0) continue
      if (exclude !== undefined && this.i32[this.oPeer + s] === exHash && this.contacts[s]!.peer === exclude) continue
      slots[g++] = s
    }
    return g
  }

  /**
   * Insertion-sorts the first g scratch slots by a 48-bit distance prefix (ties fall back to the
   * full distance) and appends their contacts to the scratch result (which holds `got`) until it holds n.
   * Returns how many the scratch result holds.
   */
  private flushSorted(got: number, n: number, g: number, target: NodeId): number {
    const ss = this.scratch.slots
    const ks = this.scratch.keys
    const out = this.scratch.out
    const cs = this.contacts
    const thi = (target[0]! << 8) | target[1]!
    const tlo = (target[2]! << 24) | (target[3]! << 16) | (target[4]! << 8) | target[5]!
    for (let i = 0; i < g; i++) {
      const s = ss[i]!
      ks[i] = (hiOf(this.i32[this.oHi + s]!) ^ thi) * 4294967296 + ((this.i32[this.oLo + s]! ^ tlo) >>> 0)
    }
    // Only the first `need` of the sorted order are used: keep a sorted prefix of that length
    // (the group past bucket b can hold a hundred contacts when one or two are wanted). Same
    // order as a stable insertion sort: an equal newcomer goes after the ones already there.
    const need = n - got
    let m = 0
    for (let i = 0; i < g; i++) {
      const s = ss[i]!
      const k = ks[i]!
      if (m === need) {
        const l = m - 1
        if (l < 0 || !(ks[l]! > k || (ks[l] === k && compareDistance(cs[ss[l]!]!.id, cs[s]!.id, target) > 0))) continue
        m--
      }
      let j = m - 1
      while (j >= 0 && (ks[j]! > k || (ks[j] === k && compareDistance(cs[ss[j]!]!.id, cs[s]!.id, target) > 0))) {
        ss[j + 1] = ss[j]!
        ks[j + 1] = ks[j]!
        j--
      }
      ss[j + 1] = s
      ks[j + 1] = k
      m++
    }
    for (let i = 0; i < m; i++) out[got + i] = cs[ss[i]!]!
    return got + m
  }

  /** Marks the bucket that `target` falls in as recently looked up. */
  touch(target: NodeId, nowMs: number): void {
    const i = this.bucketIndex(target)
    if (i < KEY_BITS) {
      this.ensureBucket(i)
      this.f64[i] = nowMs
    }
  }

  /**
   * Indices of buckets in [0, upTo] that need a refresh, lowest (farthest) first: not looked up
   * since `sinceMs`, and either not full or with a head (stalest contact) not heard from since then.
   * A full bucket whose members all spoke recently is as fresh as a refresh would make it.
   */
  staleBuckets(sinceMs: number, upTo: number): number[] {
    const out: number[] = []
    for (let i = 0; i <= Math.min(upTo, KEY_BITS - 1); i++) {
      if (!this.exists(i)) {
        out.push(i)
        continue
      }
      if (this.f64[i]! >= sinceMs) continue
      if (this.i32[i * META_STRIDE + M_LEN]! < this.k || this.f64[this.oSeen + this.headSlot(i)]! < sinceMs) out.push(i)
    }
    return out
  }

  /** The least-recently-seen slot of a non-empty bucket (ties: the earliest inserted). */
  private headSlot(i: number): number {
    const s0 = this.i32[i * META_STRIDE + M_BASE]!
    const end = s0 + this.i32[i * META_STRIDE + M_LEN]!
    const seen = this.f64
    const o = this.oSeen
    let h = s0
    for (let s = s0 + 1; s < end; s++) if (seen[o + s]! < seen[o + h]!) h = s
    return h
  }

  /** Deepest non-empty bucket index, or -1 for an empty table. */
  deepestBucket(): number {
    return this.deepest
  }

  private scanDeepest(): number {
    for (let i = this.buckets - 1; i >= 0; i--) if (this.i32[i * META_STRIDE + M_LEN]! > 0) return i
    return -1
  }

  /** Contacts in bucket i. */
  bucketSize(i: number): number {
    return i < this.buckets ? this.i32[i * META_STRIDE + M_LEN]! : 0
  }

  bucketSizes(): number[] {
    const out: number[] = []
    for (let i = 0; i < KEY_BITS; i++) out.push(this.bucketSize(i))
    return out
  }

  /** Every contact, bucket by bucket (farthest first), least-recently-seen first in a bucket. */
  all(): Contact[] {
    const out: Contact[] = []
    for (let i = 0; i < this.buckets; i++) {
      const s0 = this.i32[i * META_STRIDE + M_BASE]!
      const order: number[] = []
      for (let s = s0; s < s0 + this.i32[i * META_STRIDE + M_LEN]!; s++) order.push(s)
      order.sort((x, y) => this.f64[this.oSeen + x]! - this.f64[this.oSeen + y]! || x - y)
      for (const s of order) out.push(this.contacts[s]!)
    }
    return out
  }

  /** Checks the table's invariants; returns a description of the first violation, or undefined. */
  checkInvariants(): string | undefined {
    const broken = this.checkSlots()
    if (broken !== undefined) return broken
    let total = 0
    for (let i = 0; i < this.buckets; i++) {
      const n = this.i32[i * META_STRIDE + M_LEN]!
      if (n > this.k) return `bucket ${i} holds ${n} > k=${this.k}`
      const seen = new Set<string>()
      const s0 = this.i32[i * META_STRIDE + M_BASE]!
      for (let s = s0; s < s0 + n; s++) {
        const c = this.contacts[s]!
        if (idEquals(c.id, this.selfId)) return `bucket ${i} holds self`
        if (commonPrefixLength(this.selfId, c.id) !== i) return `contact ${c.peer} in wrong bucket ${i}`
        if (seen.has(c.peer)) return `duplicate ${c.peer} in bucket ${i}`
        if (this.i32[this.oPeer + s] !== hashString(c.peer)) return `stale handle hash for ${c.peer} in bucket ${i}`
        seen.add(c.peer)
      }
      total += n
    }
    if (total !== this.count) return `size ${this.count} != sum of buckets ${total}`
    if (this.deepest !== this.scanDeepest()) return `deepest ${this.deepest} != ${this.scanDeepest()}`
    return undefined
  }
}

/**
 * A bucket's range is cut into 2^SUBRANGE_BITS sub-ranges by the bits after its prefix, over which
 * the balanced admission (balanceVictim) and the refresh's aim keep its contacts spread.
 */
export const SUBRANGE_BITS = 5
const SUBRANGES = 1 << SUBRANGE_BITS

/** Bits in the id prefix columns (hi 16 + lo 32). */
const PREFIX_BITS = 48

/**
 * The SUBRANGE_BITS bits after bit i of a 48-bit id prefix stored as hi 16 / lo 32 bits (i +
 * SUBRANGE_BITS < 48): floor(prefix / 2^(47 - i - SUBRANGE_BITS)) mod 2^SUBRANGE_BITS, in 32-bit
 * integer shifts. It runs once per contact of a full bucket that a newcomer is judged against
 * (balanceVictim), where the same figure as a double's division and floor cost more than the
 * rest of the scan.
 */
export function subrangeOfPrefix(hi: number, lo: number, i: number): number {
  const sh = PREFIX_BITS - 1 - i - SUBRANGE_BITS
  if (sh >= 32) return ((hi & 0xffff) >>> (sh - 32)) & (SUBRANGES - 1)
  if (sh === 0) return lo & (SUBRANGES - 1)
  return ((lo >>> sh) | (hi << (32 - sh))) & (SUBRANGES - 1)
}

/** Bit b (0 = the most significant) of an id. */
function idBit(id: NodeId, b: number): number {
  return (id[b >> 3]! >> (7 - (b & 7))) & 1
}

/** Bit b (< 48) of an id prefix stored as hi 16 / lo 32 bits. */
function prefixBit(hi: number, lo: number, b: number): number {
  return b < 16 ? (hi >> (15 - b)) & 1 : (lo >>> (47 - b)) & 1
}

function decrement(m: Map<string, number>, key: string): void {
  const n = (m.get(key) ?? 0) - 1
  if (n <= 0) m.delete(key)
  else m.set(key, n)
}

/** Whether the /24 group `g` lies in the /16 group `g16` (no string is made). */
function sameGroup16(g: string, g16: string): boolean {
  return g.length > g16.length && g.charCodeAt(g16.length) === 46 && g.startsWith(g16)
}

const UPDATED: ObserveResult = Object.freeze({ kind: 'updated' })
const ADDED: ObserveResult = Object.freeze({ kind: 'added' })
const SELF: ObserveResult = Object.freeze({ kind: 'self' })

/**
 * closest()'s working space, reused from call to call so that the hot path allocates only its
 * result: slot indexes and their distance keys while a bucket group is ranked, and the result
 * before its one exact-size copy (entries past the last result are stale, never read). It grows
 * to the largest group ranked (about a table's size), so tables on one thread may share one:
 * closest() never re-enters, and its contents do not outlive a call. Plain arrays: no ArrayBuffer.
 */
export class TableScratch {
  readonly slots: number[] = []
  /** balanceVictim's contacts per sub-range of a bucket's range. */
  readonly subranges: number[] = new Array<number>(SUBRANGES).fill(0)
  readonly keys: number[] = []
  readonly out: Contact[] = []
}
