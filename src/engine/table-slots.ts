// The routing table's storage: where its entries live, with no Kademlia in it (the policy — which
// contact goes where, who is evicted, who is closest — is routing-table.ts, which extends this).
//
// Entries live in slots of flat typed columns, one block of slots per bucket, in insertion order
// inside the block. Each slot keeps the contact's 48-bit id prefix (hi 16 + lo 32 bits; the hi
// word's upper half holds the slot's failure count), a hash of its peer handle and of its /24
// group, and lastSeenMs, so scanning a bucket or ranking it by distance reads a few contiguous
// cache lines and touches a Contact object only when a hash matches. Each bucket may also have a replacement ring: rcap slots holding a handle hash
// and a contact, oldest first.
//
// Memory follows the buckets in use (a table in a large network uses about a dozen buckets, the
// deep ones nearly empty, and every simulated peer has a table): the bookkeeping covers the buckets
// up to the deepest one ever used; a bucket's block starts at 2 slots and doubles, up to k, when it
// is full; blocks are packed in the order they were first needed, so growing one shifts the blocks
// after it (rare: a block grows at most log2(k) + 1 times); a bucket gets its replacement ring with
// its first replacement (only full buckets have any). All the columns share one buffer with two
// views (a view is an object of its own, one more cache line per read), allocated at first use
// with room for about what a table uses in a large network, and grown by half at least when
// something needs more room (docs/ARCHITECTURE.md: why the hot paths look as they do).
import type { Contact } from './types.js'
import { KEY_BITS } from './constants.js'
import { idHiOf, idLoOf } from './contact-keys.js'

// A bucket's fields, at bucket i * META_STRIDE of the i32 view.
/** 1 once the bucket exists (touched or observed into). */
const M_EXISTS = 0
/** First slot of the bucket's block (meaningful once M_CAP > 0). */
export const M_BASE = 1
/** Entries in use (slots base .. base+len-1, insertion order). */
export const M_LEN = 2
/** Slots in the bucket's block: 0 until it first holds an entry, then 2, 4, ... up to k. */
const M_CAP = 3
/**
 * The replacement ring: M_REP_LEN entries from ring position M_REP_HEAD, oldest first (freshest
 * last), in rcap replacement slots from M_REP_BASE (-1 until the bucket's first replacement).
 */
export const M_REP_LEN = 4
const M_REP_HEAD = 5
const M_REP_BASE = 6
/**
 * 1 when the bucket's contacts were last found spread evenly over its id range (no sub-range holds
 * two more than another: routing-table.ts, balanceVictim), so no newcomer can displace one; any
 * change of its members clears it.
 */
export const M_EVEN = 7
/** Fields per bucket (32 bytes: a bucket's bookkeeping rarely straddles two cache lines). */
export const META_STRIDE = 8

/** Slots in a bucket's first block (most deep buckets hold one or two contacts). */
const FIRST_BLOCK_SLOTS = 2
/**
 * Room a table gets when it first needs any: buckets, full blocks' worth of slots and replacement
 * rings' worth of replacement slots — about what one holds in a large network after an hour, so
 * that most tables never grow (each growth allocates a buffer).
 */
const FIRST_BUCKETS = 16
const FIRST_BLOCKS = 11
const FIRST_RINGS = 9

/** A slot's hi word: the id prefix's first 16 bits in the lower half, the failure count in the upper. */
export function hiOf(word: number): number {
  return word & 0xffff
}

/** A slot's failure count, from its hi word. */
export function failsOf(word: number): number {
  return word >>> 16
}

/** The hi word with one more failure (the count stops at 0xffff: only its being > 0 and its comparison with a small maximum are read). */
export function withFailure(word: number): number {
  const f = word >>> 16
  return f === 0xffff ? word : (word & 0xffff) | ((f + 1) << 16)
}

export class TableSlots {
  // The columns, each at an offset in one of the two views of the one buffer. i32: per bucket its
  // fields (M_*), then per slot the id prefix (hi with the failure count, lo), handle hash, group hash,
  // then per replacement slot the handle hash. f64: per bucket the time a lookup last targeted its
  // range, then per slot lastSeenMs.
  protected i32 = EMPTY_I32
  protected f64 = EMPTY_F64
  /**
   * Column offsets (i32): the id prefix's hi 16 bits with the failure count in the upper half of
   * the same word (hiOf / failsOf: a slot is 24 bytes, not 28, and the suspect check of closest()
   * reads the word the distance key reads next), its lo 32 bits, the handle hash, the group hash.
   */
  protected oHi = 0
  protected oLo = 0
  protected oPeer = 0
  protected oGroup = 0
  /** Column offsets: replacement slots' handle hash (i32), slots' lastSeenMs (f64). */
  protected oRep = 0
  protected oSeen = 0
  /** Buckets the bookkeeping has room for (bucket indexes past them do not exist yet). */
  protected buckets = 0
  /** Slots and replacement slots the columns have room for. */
  private slotCap = 0
  private repCap = 0

  // Slots: blocks packed from slot 0, slotsUsed in all (free ones included).
  protected contacts: (Contact | undefined)[] = []
  protected slotsUsed = 0
  // Replacement slots: rings of rcap slots, packed from slot 0.
  protected readonly rcap: number
  protected repContacts: (Contact | undefined)[] = []
  private repsUsed = 0

  constructor(
    protected readonly k: number,
    replacementCacheSize: number,
  ) {
    this.rcap = Math.max(0, replacementCacheSize)
  }

  /** Whether bucket i was ever touched or observed into. */
  protected exists(i: number): boolean {
    return i < this.buckets && this.i32[i * META_STRIDE + M_EXISTS] !== 0
  }

  /** Gives the bookkeeping room for bucket i (and the buckets before it) and marks it existing. */
  protected ensureBucket(i: number): void {
    if (i >= this.buckets) this.reserve(i + 1, this.slotsUsed, this.repsUsed)
    this.i32[i * META_STRIDE + M_EXISTS] = 1
  }

  /** Appends an entry to bucket i's block (the caller checked it has fewer than k). */
  protected appendSlot(i: number, contact: Contact, h: number, groupHash: number, nowMs: number): void {
    const m = i * META_STRIDE
    if (this.i32[m + M_LEN] === this.i32[m + M_CAP]) this.growBlock(i)
    const s = this.i32[m + M_BASE]! + this.i32[m + M_LEN]!++
    this.i32[m + M_EVEN] = 0
    this.contacts[s] = contact
    this.i32[this.oHi + s] = idHiOf(contact)
    this.i32[this.oLo + s] = idLoOf(contact)
    this.i32[this.oPeer + s] = h
    this.i32[this.oGroup + s] = groupHash
    this.f64[this.oSeen + s] = nowMs
  }

  /** Removes slot s of bucket i, keeping the others in order; returns its contact. */
  protected removeSlot(i: number, s: number): Contact {
    const end = this.i32[i * META_STRIDE + M_BASE]! + this.i32[i * META_STRIDE + M_LEN]! - 1
    const c = this.contacts[s]!
    for (let t = s; t < end; t++) this.copySlot(t, t + 1)
    this.contacts[end] = undefined
    this.i32[i * META_STRIDE + M_LEN]!--
    this.i32[i * META_STRIDE + M_EVEN] = 0
    return c
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

  private copySlot(to: number, from: number): void {
    this.contacts[to] = this.contacts[from]
    this.i32[this.oHi + to] = this.i32[this.oHi + from]!
    this.i32[this.oLo + to] = this.i32[this.oLo + from]!
    this.i32[this.oPeer + to] = this.i32[this.oPeer + from]!
    this.i32[this.oGroup + to] = this.i32[this.oGroup + from]!
    this.f64[this.oSeen + to] = this.f64[this.oSeen + from]!
  }

  // ------------------------------------------------------------------ replacement rings

  /** The slot of the j-th oldest replacement of the bucket whose fields start at i32[m] (its ring must exist). */
  protected repSlot(m: number, j: number): number {
    let r = this.i32[m + M_REP_HEAD]! + j
    if (r >= this.rcap) r -= this.rcap // j < rcap
    return this.i32[m + M_REP_BASE]! + r
  }

  /** Appends a replacement to bucket i's ring (made on first use); when full, the oldest leaves. */
  protected ringPush(i: number, contact: Contact, h: number): void {
    const m = i * META_STRIDE
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

  /** Removes the j-th oldest replacement of bucket i; the younger ones move one place toward the oldest. */
  protected ringRemove(i: number, j: number): void {
    const m = i * META_STRIDE
    const n = this.i32[m + M_REP_LEN]!
    for (let t = j; t < n - 1; t++) {
      const a = this.repSlot(m, t)
      const b = this.repSlot(m, t + 1)
      this.repContacts[a] = this.repContacts[b]
      this.i32[this.oRep + a] = this.i32[this.oRep + b]!
    }
    this.repContacts[this.repSlot(m, n - 1)] = undefined
    this.i32[m + M_REP_LEN] = n - 1
  }

  /** Gives bucket i a replacement ring. */
  private allocRing(i: number): void {
    this.reserve(this.buckets, this.slotsUsed, this.repsUsed + this.rcap)
    this.i32[i * META_STRIDE + M_REP_BASE] = this.repsUsed
    this.repsUsed += this.rcap
  }

  // ------------------------------------------------------------------ the buffer

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
    const from = new Layout(this.buckets, this.slotCap, this.repCap)
    i32.set(this.i32.subarray(0, from.buckets * META_STRIDE))
    for (let j = from.buckets; j < buckets; j++) i32[j * META_STRIDE + M_REP_BASE] = -1
    f64.fill(-Infinity, 0, buckets).set(this.f64.subarray(0, from.buckets))
    f64.set(this.f64.subarray(from.oSeen, from.oSeen + from.slots), to.oSeen)
    for (const [a, b] of [[from.oHi, to.oHi], [from.oLo, to.oLo], [from.oPeer, to.oPeer], [from.oGroup, to.oGroup]] as const) {
      i32.set(this.i32.subarray(a, a + from.slots), b)
    }
    i32.set(this.i32.subarray(from.oRep, from.oRep + from.reps), to.oRep)
    this.i32 = i32
    this.f64 = f64
    this.oHi = to.oHi
    this.oLo = to.oLo
    this.oPeer = to.oPeer
    this.oGroup = to.oGroup
    this.oRep = to.oRep
    this.oSeen = to.oSeen
    this.buckets = buckets
    this.slotCap = slots
    this.repCap = reps
    this.contacts = resized(this.contacts, slots)
    this.repContacts = resized(this.repContacts, reps)
  }

  /** Checks the storage's own bookkeeping; returns the first violation, or undefined. */
  protected checkSlots(): string | undefined {
    let slots = 0
    for (let i = 0; i < this.buckets; i++) {
      const n = this.i32[i * META_STRIDE + M_LEN]!
      const cap = this.i32[i * META_STRIDE + M_CAP]!
      if (n > cap) return `bucket ${i} holds ${n} > its block's ${cap} slots`
      slots += cap
      const reps = this.i32[i * META_STRIDE + M_REP_LEN]!
      if (reps > this.rcap) return `bucket ${i} has ${reps} replacements > ${this.rcap}`
    }
    if (slots !== this.slotsUsed) return `blocks hold ${slots} slots, ${this.slotsUsed} in use`
    return undefined
  }
}

/**
 * Where each column starts in a table's two views, for `buckets` buckets, `slots` slots and `reps`
 * replacement slots. One buffer per table: an ArrayBuffer costs several hundred bytes of
 * bookkeeping besides its contents. The float64 view comes first, so that it is 8-byte aligned.
 */
class Layout {
  readonly oHi: number
  readonly oLo: number
  readonly oPeer: number
  readonly oGroup: number
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
    this.oRep = this.oGroup + slots
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

/** Shared, never written: a table's columns before its first use (length 0). */
const EMPTY_I32 = new Int32Array(0)
const EMPTY_F64 = new Float64Array(0)
