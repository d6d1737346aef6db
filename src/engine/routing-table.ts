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
// Layout (the hot paths are every message received and every FIND_NODE answered): entries live
// in slots of flat typed arrays, one block of slots per bucket, in insertion order inside the
// block. Each slot keeps the contact's 48-bit id prefix (hi 16 + lo 32 bits), a 32-bit hash of
// its peer handle (and of its /24 group), lastSeenMs and its failure count, so scanning a bucket
// or ranking it by distance reads a few contiguous cache lines and touches a Contact object only
// when a hash matches (then the handles themselves are compared: a hash is never trusted alone).
//
// Memory follows the buckets in use (a table at 10,000 peers uses about a dozen buckets, the deep
// ones nearly empty, and every simulated peer has a table): the bookkeeping covers the buckets up
// to the deepest one ever observed or touched; a bucket's block starts at 2 slots and doubles, up
// to k, when it is full; blocks are packed in the order they were first needed, so growing one
// shifts the blocks after it (rare: a block grows at most log2(k) + 1 times); a bucket gets its
// replacement ring (rcap slots) with its first replacement (only full buckets have any). All the
// columns share one buffer, allocated at the table's first observe or touch with room for about
// what a table uses at 10,000 peers, and grown by half at least when something needs more room.
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

// Per-bucket fields in RoutingTable.meta.
/** 1 once the bucket exists (touched or observed into). */
const M_EXISTS = 0
/** First slot of the bucket's block (meaningful once M_CAP > 0). */
const M_BASE = 1
/** Entries in use (slots base .. base+len-1, insertion order). */
const M_LEN = 2
/** Slots in the bucket's block: 0 until it first holds an entry, then 2, 4, ... up to k. */
const M_CAP = 3
/**
 * The replacement cache is a ring of rcap replacement slots from M_REP_BASE (-1 until the bucket
 * first gets a replacement): M_REP_LEN entries from ring position M_REP_HEAD, oldest first
 * (freshest last).
 */
const M_REP_LEN = 4
const M_REP_HEAD = 5
const M_REP_BASE = 6
/** Fields per bucket (32 bytes: a bucket's bookkeeping rarely straddles two cache lines). */
const META_STRIDE = 8

/** Slots in a bucket's first block (most deep buckets hold one or two contacts). */
const FIRST_BLOCK_SLOTS = 2
/**
 * Room a table gets when it first needs any: buckets, full blocks' worth of slots and replacement
 * rings' worth of replacement slots. About what one holds at 10,000 peers after an hour (slots in
 * blocks p50 204, p99 220; replacement slots 64-72; 16 buckets, p90 24), so that most tables never
 * grow: each growth allocates a buffer, some 40 us each in the bench (with 8 blocks and 8 rings,
 * 24.9 k growths in the hour; now 12.4 k, 10.75 k of them first allocations).
 */
const FIRST_BUCKETS = 16
const FIRST_BLOCKS = 11
const FIRST_RINGS = 9

export class RoutingTable {
  // Every typed column lives in one of two views of the table's one buffer, at an offset (a view
  // is an object of its own: an observe that read six views touched six more cache lines, and
  // 10,000 tables do not stay in cache). i32: per bucket, interleaved (bucket i's fields from
  // i * META_STRIDE, see M_*; one cache line of bookkeeping per bucket), then per slot the 48-bit
  // id prefix (hi 16, lo 32 bits), handle hash, /24 group hash and failure count, then per
  // replacement slot the handle hash. f64: per bucket the virtual time a lookup last targeted its
  // range, then per slot lastSeenMs.
  private i32 = EMPTY_I32
  private f64 = EMPTY_F64
  private oHi = 0
  private oLo = 0
  private oPeer = 0
  private oGroup = 0
  private oFails = 0
  private oRep = 0
  private oSeen = 0
  /** Buckets the bookkeeping has room for (bucket indexes past them do not exist yet). */
  private buckets = 0
  /** Slots and replacement slots the columns have room for. */
  private slotCap = 0
  private repCap = 0

  // Slots: blocks packed from slot 0, slotsUsed in all (free ones included).
  private contacts: (Contact | undefined)[] = []
  private slotsUsed = 0
  // Replacement slots: rings of rcap slots, packed from slot 0.
  private readonly rcap: number
  private repContacts: (Contact | undefined)[] = []
  private repsUsed = 0

  /** Contacts per /24 group over the table: kept only while the per-table limit is finite. */
  private groupCounts: Map<string, number> | undefined
  private count = 0
  /** Deepest non-empty bucket index (-1 when empty); bounds closest()'s scan. */
  private deepest = -1
  /** The first 32 bits of selfId (bucketIndex). */
  private readonly selfWord: number

  constructor(
    readonly selfId: NodeId,
    private readonly k: number,
    private readonly replacementCacheSize: number,
    private policy: Pick<PolicyConfig, 'maxPerGroupPerBucket' | 'maxPerGroupPerTable'>,
  ) {
    this.selfWord = (selfId[0]! << 24) | (selfId[1]! << 16) | (selfId[2]! << 8) | selfId[3]!
    this.rcap = Math.max(0, replacementCacheSize)
    this.groupCounts = Number.isFinite(policy.maxPerGroupPerTable) ? new Map() : undefined
  }

  get size(): number {
    return this.count
  }

  setPolicy(policy: Pick<PolicyConfig, 'maxPerGroupPerBucket' | 'maxPerGroupPerTable'>): void {
    this.policy = policy
    if (!Number.isFinite(policy.maxPerGroupPerTable)) {
      this.groupCounts = undefined
    } else if (this.groupCounts === undefined) {
      this.groupCounts = new Map()
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

  /** Whether bucket i was ever touched or observed into. */
  private exists(i: number): boolean {
    return i < this.buckets && this.i32[i * META_STRIDE + M_EXISTS] !== 0
  }

  /** Gives the bookkeeping room for bucket i (and the buckets before it). */
  private ensureBucket(i: number): void {
    if (i >= this.buckets) this.reserve(i + 1, this.slotsUsed, this.repsUsed)
  }

  find(contact: Contact): TableEntry | undefined {
    const i = this.bucketIndex(contact.id)
    if (!this.exists(i)) return undefined
    const s = this.slotOf(i, contact, hashString(contact.peer))
    return s < 0 ? undefined : this.entryAt(s)
  }

  has(contact: Contact): boolean {
    return this.find(contact) !== undefined
  }

  private entryAt(s: number): TableEntry {
    return { contact: this.contacts[s]!, lastSeenMs: this.f64[this.oSeen + s]!, failures: this.i32[this.oFails + s]! }
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
        const i = this.bucketIndex(contact.id)
        return { kind: 'full', head: this.headEntry(i), bucket: i }
      }
    }
  }

  /** observe() as an OBS_* code (no allocation). After OBS_FULL, see headSeenMs / headEntry. */
  observeCode(contact: Contact, nowMs: number): number {
    const i = this.bucketIndex(contact.id)
    if (i >= KEY_BITS) return OBS_SELF
    this.ensureBucket(i)
    this.i32[i * META_STRIDE + M_EXISTS] = 1
    const h = hashString(contact.peer)
    const s = this.slotOf(i, contact, h)
    if (s >= 0) {
      if (nowMs > this.f64[this.oSeen + s]!) this.f64[this.oSeen + s] = nowMs
      this.i32[this.oFails + s] = 0
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
    this.addReplacement(i, contact, h)
    return OBS_FULL
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
    const m = i * META_STRIDE
    if (this.i32[m + M_LEN] === this.i32[m + M_CAP]) this.growBlock(i)
    const s = this.i32[m + M_BASE]! + this.i32[m + M_LEN]!++
    const id = contact.id
    this.contacts[s] = contact
    this.i32[this.oHi + s] = (id[0]! << 8) | id[1]!
    this.i32[this.oLo + s] = (id[2]! << 24) | (id[3]! << 16) | (id[4]! << 8) | id[5]!
    this.i32[this.oPeer + s] = h
    this.i32[this.oGroup + s] = hashString(contact.ipGroup)
    this.f64[this.oSeen + s] = nowMs
    this.i32[this.oFails + s] = 0
    this.count++
    this.addGroup(contact)
  }

  /** Gives bucket i's block (full, or not yet allocated) room for more entries. */
  private growBlock(i: number): void {
    const m = i * META_STRIDE
    const cap = this.i32[m + M_CAP]!
    const more = Math.min(this.k, cap === 0 ? FIRST_BLOCK_SLOTS : cap * 2) - cap
    this.reserve(this.buckets, this.slotsUsed + more, this.repsUsed)
    const end = this.i32[m + M_BASE]! + cap
    if (cap === 0) this.i32[m + M_BASE] = this.slotsUsed
    else if (end < this.slotsUsed) this.shiftSlots(end, more) // the last block grows in place
    this.i32[m + M_CAP] = cap + more
    this.slotsUsed += more
  }

  /** Moves the blocks from slot `from` on up by `by` slots (the caller reserved room). */
  private shiftSlots(from: number, by: number): void {
    // Slot by slot: a few dozen slots move, fewer than it takes six copyWithin calls to pay off.
    for (let s = this.slotsUsed - 1; s >= from; s--) this.copySlot(s + by, s)
    for (let s = from; s < from + by; s++) this.contacts[s] = undefined
    for (let m = 0; m < this.buckets * META_STRIDE; m += META_STRIDE) {
      if (this.i32[m + M_CAP]! > 0 && this.i32[m + M_BASE]! >= from) this.i32[m + M_BASE] = this.i32[m + M_BASE]! + by
    }
  }

  /** Gives bucket i a replacement ring. */
  private allocRing(i: number): void {
    this.reserve(this.buckets, this.slotsUsed, this.repsUsed + this.rcap)
    this.i32[i * META_STRIDE + M_REP_BASE] = this.repsUsed
    this.repsUsed += this.rcap
  }

  /** Makes room for `buckets` buckets, `slots` slots and `reps` replacement slots. */
  private reserve(buckets: number, slots: number, reps: number): void {
    const slotCap = this.slotCap
    const repCap = this.repCap
    if (buckets <= this.buckets && slots <= slotCap && reps <= repCap) return
    this.resize(
      Math.min(KEY_BITS, capacity(this.buckets, buckets, FIRST_BUCKETS)),
      capacity(slotCap, slots, FIRST_BLOCKS * this.k),
      capacity(repCap, reps, FIRST_RINGS * this.rcap),
    )
  }

  /** Moves every column to a new buffer with room for the given buckets, slots and replacement slots. */
  private resize(buckets: number, slots: number, reps: number): void {
    const to = new Layout(buckets, slots, reps)
    const buf = new ArrayBuffer(to.bytes)
    const f64 = new Float64Array(buf, 0, to.f64Length)
    const i32 = new Int32Array(buf, to.f64Length * 8, to.i32Length)
    const from = this.layout()
    i32.set(this.i32.subarray(0, from.buckets * META_STRIDE))
    for (let j = from.buckets; j < buckets; j++) i32[j * META_STRIDE + M_REP_BASE] = -1
    f64.fill(-Infinity, 0, buckets).set(this.f64.subarray(0, from.buckets))
    f64.set(this.f64.subarray(from.oSeen, from.oSeen + from.slots), to.oSeen)
    for (const [a, b] of [[from.oHi, to.oHi], [from.oLo, to.oLo], [from.oPeer, to.oPeer], [from.oGroup, to.oGroup], [from.oFails, to.oFails]] as const) {
      i32.set(this.i32.subarray(a, a + from.slots), b)
    }
    i32.set(this.i32.subarray(from.oRep, from.oRep + from.reps), to.oRep)
    this.i32 = i32
    this.f64 = f64
    this.oHi = to.oHi
    this.oLo = to.oLo
    this.oPeer = to.oPeer
    this.oGroup = to.oGroup
    this.oFails = to.oFails
    this.oRep = to.oRep
    this.oSeen = to.oSeen
    this.buckets = buckets
    this.slotCap = slots
    this.repCap = reps
    this.contacts = resized(this.contacts, slots)
    this.repContacts = resized(this.repContacts, reps)
  }

  /** The layout of the columns as they are. */
  private layout(): Layout {
    return new Layout(this.buckets, this.slotCap, this.repCap)
  }

  /** Removes slot s of bucket i, keeping the others in order. */
  private removeAt(i: number, s: number): void {
    const end = this.i32[i * META_STRIDE + M_BASE]! + this.i32[i * META_STRIDE + M_LEN]! - 1
    const c = this.contacts[s]!
    for (let t = s; t < end; t++) this.copySlot(t, t + 1)
    this.contacts[end] = undefined
    this.i32[i * META_STRIDE + M_LEN]!--
    this.count--
    this.removeGroup(c)
  }

  private copySlot(to: number, from: number): void {
    this.contacts[to] = this.contacts[from]
    this.i32[this.oHi + to] = this.i32[this.oHi + from]!
    this.i32[this.oLo + to] = this.i32[this.oLo + from]!
    this.i32[this.oPeer + to] = this.i32[this.oPeer + from]!
    this.i32[this.oGroup + to] = this.i32[this.oGroup + from]!
    this.f64[this.oSeen + to] = this.f64[this.oSeen + from]!
    this.i32[this.oFails + to] = this.i32[this.oFails + from]!
  }

  private diversityVerdict(i: number, contact: Contact): 'diversity-bucket' | 'diversity-table' | undefined {
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
    return undefined
  }

  private addGroup(c: Contact): void {
    const m = this.groupCounts
    if (m !== undefined && c.ipGroup !== '') m.set(c.ipGroup, (m.get(c.ipGroup) ?? 0) + 1)
  }

  private removeGroup(c: Contact): void {
    const m = this.groupCounts
    if (m === undefined || c.ipGroup === '') return
    const n = (m.get(c.ipGroup) ?? 0) - 1
    if (n <= 0) m.delete(c.ipGroup)
    else m.set(c.ipGroup, n)
  }

  /** The slot of the j-th oldest replacement of the bucket whose fields start at meta[m] (its block must exist). */
  private repSlot(m: number, j: number): number {
    let r = this.i32[m + M_REP_HEAD]! + j
    if (r >= this.rcap) r -= this.rcap // j < rcap
    return this.i32[m + M_REP_BASE]! + r
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
    if (this.i32[m + M_REP_BASE]! < 0) this.allocRing(i)
    const len = this.i32[m + M_REP_LEN]!
    const rcap = this.rcap
    if (len < rcap) {
      const r = this.repSlot(m, len)
      this.repContacts[r] = contact
      this.i32[this.oRep + r] = h
      this.i32[m + M_REP_LEN] = len + 1
    } else if (rcap > 0) {
      // Full: the oldest leaves and the newcomer takes its slot, which becomes the ring's end.
      const r = this.repSlot(m, 0)
      this.repContacts[r] = contact
      this.i32[this.oRep + r] = h
      const head = this.i32[m + M_REP_HEAD]! + 1
      this.i32[m + M_REP_HEAD] = head === rcap ? 0 : head
    }
  }

  private dropReplacement(i: number, contact: Contact, h: number): void {
    const m = i * META_STRIDE
    const n = this.i32[m + M_REP_LEN]!
    for (let j = 0; j < n; j++) {
      const r = this.repSlot(m, j)
      if (this.i32[this.oRep + r] !== h) continue
      const c = this.repContacts[r]!
      if (c !== contact && c.peer !== contact.peer) continue
      // Close the gap: the younger ones move one place toward the oldest.
      for (let t = j; t < n - 1; t++) {
        const a = this.repSlot(m, t)
        const b = this.repSlot(m, t + 1)
        this.repContacts[a] = this.repContacts[b]
        this.i32[this.oRep + a] = this.i32[this.oRep + b]!
      }
      this.repContacts[this.repSlot(m, n - 1)] = undefined
      this.i32[m + M_REP_LEN] = n - 1
      return
    }
  }

  /**
   * An RPC to the contact failed. After `maxFailures` consecutive failures (or at once when
   * `evictNow`), the contact is removed and the freshest replacement promoted. Returns true when
   * the contact left the table.
   */
  fail(contact: Contact, nowMs: number, maxFailures: number, evictNow = false): boolean {
    const i = this.bucketIndex(contact.id)
    if (!this.exists(i)) return false
    const h = hashString(contact.peer)
    const s = this.slotOf(i, contact, h)
    if (s < 0) {
      this.dropReplacement(i, contact, h)
      return false
    }
    const f = ++this.i32[this.oFails + s]!
    if (!evictNow && f < maxFailures) return false
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
   * from one full bucket and need no ranking at all.
   */
  closestSet(target: NodeId, n: number, exclude?: string, skipSuspect = false): Contact[] {
    return this.nearest(target, n, exclude, skipSuspect, false)
  }

  private nearest(target: NodeId, n: number, exclude: string | undefined, skipSuspect: boolean, ordered: boolean): Contact[] {
    if (n <= 0 || this.count === 0) return []
    const b = this.bucketIndex(target)
    const exHash = exclude === undefined ? 0 : hashString(exclude)
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
    return scratchOut.slice(0, got)
  }

  /** Appends the first g scratch slots' contacts to scratchOut (sorted unless `ordered` is off and all fit). */
  private flush(got: number, n: number, g: number, target: NodeId, ordered: boolean): number {
    if (ordered || g > n - got) return this.flushSorted(got, n, g, target)
    const ss = scratchSlots
    const cs = this.contacts
    for (let i = 0; i < g; i++) scratchOut[got + i] = cs[ss[i]!]!
    return got + g
  }

  /** Appends bucket i's eligible slots to the scratch group. */
  private collectInto(i: number, g: number, exclude: string | undefined, exHash: number, skipSuspect: boolean): number {
    const s0 = this.i32[i * META_STRIDE + M_BASE]!
    const end = s0 + this.i32[i * META_STRIDE + M_LEN]!
    if (g + this.k > scratchSlots.length) growScratch(g + this.k)
    const slots = scratchSlots
    for (let s = s0; s < end; s++) {
      if (skipSuspect && this.i32[this.oFails + s]! > 0) continue
      if (exclude !== undefined && this.i32[this.oPeer + s] === exHash && this.contacts[s]!.peer === exclude) continue
      slots[g++] = s
    }
    return g
  }

  /**
   * Insertion-sorts the first g scratch slots by a 48-bit distance prefix (ties fall back to the
   * full distance) and appends their contacts to scratchOut (which holds `got`) until it holds n.
   * Returns how many scratchOut holds.
   */
  private flushSorted(got: number, n: number, g: number, target: NodeId): number {
    const ss = scratchSlots
    const ks = scratchKeys
    const cs = this.contacts
    const thi = (target[0]! << 8) | target[1]!
    const tlo = (target[2]! << 24) | (target[3]! << 16) | (target[4]! << 8) | target[5]!
    for (let i = 0; i < g; i++) {
      const s = ss[i]!
      ks[i] = (this.i32[this.oHi + s]! ^ thi) * 4294967296 + ((this.i32[this.oLo + s]! ^ tlo) >>> 0)
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
    for (let i = 0; i < m; i++) scratchOut[got + i] = cs[ss[i]!]!
    return got + m
  }

  /** Marks the bucket that `target` falls in as recently looked up. */
  touch(target: NodeId, nowMs: number): void {
    const i = this.bucketIndex(target)
    if (i < KEY_BITS) {
      this.ensureBucket(i)
      this.i32[i * META_STRIDE + M_EXISTS] = 1
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
    let total = 0
    let slots = 0
    for (let i = 0; i < this.buckets; i++) {
      const n = this.i32[i * META_STRIDE + M_LEN]!
      if (n > this.k) return `bucket ${i} holds ${n} > k=${this.k}`
      if (n > this.i32[i * META_STRIDE + M_CAP]!) return `bucket ${i} holds ${n} > its block's ${this.i32[i * META_STRIDE + M_CAP]!} slots`
      slots += this.i32[i * META_STRIDE + M_CAP]!
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
    if (slots !== this.slotsUsed) return `blocks hold ${slots} slots, ${this.slotsUsed} in use`
    if (this.deepest !== this.scanDeepest()) return `deepest ${this.deepest} != ${this.scanDeepest()}`
    return undefined
  }
}

const UPDATED: ObserveResult = Object.freeze({ kind: 'updated' })
const ADDED: ObserveResult = Object.freeze({ kind: 'added' })
const SELF: ObserveResult = Object.freeze({ kind: 'self' })

/** 30-bit FNV-1a (a small integer in V8) of a string's UTF-16 code units: a filter before comparing handles, never an identity. */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h & 0x3fffffff
}

/**
 * Where each column starts in a table's two views, for `buckets` buckets, `slots` slots and `reps`
 * replacement slots (see RoutingTable.i32 / f64). One buffer per table: an ArrayBuffer costs
 * several hundred bytes of bookkeeping besides its contents. The float64 view comes first, so
 * that it is 8-byte aligned.
 */
class Layout {
  readonly oHi: number
  readonly oLo: number
  readonly oPeer: number
  readonly oGroup: number
  readonly oFails: number
  readonly oRep: number
  readonly i32Length: number
  readonly oSeen: number
  readonly f64Length: number

  constructor(
    readonly buckets: number,
    readonly slots: number,
    readonly reps: number,
  ) {
    this.oHi = buckets * META_STRIDE
    this.oLo = this.oHi + slots
    this.oPeer = this.oLo + slots
    this.oGroup = this.oPeer + slots
    this.oFails = this.oGroup + slots
    this.oRep = this.oFails + slots
    this.i32Length = this.oRep + reps
    this.oSeen = buckets
    this.f64Length = buckets + slots
  }

  get bytes(): number {
    return this.f64Length * 8 + this.i32Length * 4
  }
}

/** A copy of `a`, padded with undefined to n elements, with no spare capacity (growing by push leaves up to half again). */
function resized<T>(a: readonly (T | undefined)[], n: number): (T | undefined)[] {
  const b = new Array<T | undefined>(n) // Array.from({ length: n }) takes ten times as long
  for (let i = 0; i < a.length; i++) b[i] = a[i]
  for (let i = a.length; i < n; i++) b[i] = undefined
  return b
}

/** `cap` if it holds `need` (and `first`), else a capacity grown by half at least, so that growing stays rare. */
function capacity(cap: number, need: number, first: number): number {
  return need <= cap && first <= cap ? cap : Math.max(need, first, cap + (cap >> 1))
}

const EMPTY_I32 = new Int32Array(0)
const EMPTY_F64 = new Float64Array(0)

// Scratch space for closest(): reused across calls (the engine is single-threaded and closest()
// does not re-enter), so the hot path allocates only its result.
let scratchSlots = new Int32Array(64)
let scratchKeys = new Float64Array(64)
/** closest()'s result before its copy (entries past the last result are stale, never read). */
const scratchOut: Contact[] = []

function growScratch(min: number): void {
  let cap = scratchSlots.length
  while (cap < min) cap *= 2
  const s = new Int32Array(cap)
  s.set(scratchSlots)
  scratchSlots = s
  const k = new Float64Array(cap)
  k.set(scratchKeys)
  scratchKeys = k
}
