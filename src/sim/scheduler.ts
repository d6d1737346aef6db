// Discrete-event scheduler: a binary min-heap of events ordered by (timeMs, seq).
//
// Theory of operation: every scheduled event gets the next value of a monotonically increasing
// sequence number, so two events at the same virtual time run in the order they were scheduled
// (ties broken explicitly, never by heap layout). The heap holds (time, seq, slot) in parallel
// typed arrays; an event's fields (kind, node, aux, payload) live in a slot pool with a free
// list, so pushing and popping allocates nothing once the arrays have grown. `pop()` advances
// the virtual clock and exposes the popped event through the `cur*` fields (valid until the
// next pop). Limits: at most `maxPending` events queued and `maxEvents` events processed; going
// past either is a runaway simulation and throws an InvariantError.
import { InvariantError } from '../engine/errors.js'

export interface SchedulerLimits {
  /** Events that may be processed in one run. */
  readonly maxEvents: number
  /** Events that may be pending at once. */
  readonly maxPending: number
}

export const DEFAULT_SCHEDULER_LIMITS: SchedulerLimits = { maxEvents: 2_000_000_000, maxPending: 1 << 26 }

const INITIAL_CAPACITY = 1024

export class Scheduler {
  /** Virtual time of the event being processed (ms since the start of the run). */
  nowMs = 0
  /** Fields of the event returned by the last pop(). */
  curKind = 0
  curNode = 0
  curAux = 0
  curPayload: unknown = undefined
  /** Events processed so far. */
  processed = 0

  private hTime: Float64Array
  private hSeq: Float64Array
  private hSlot: Int32Array
  private size = 0
  private nextSeq = 0

  private sKind: Uint8Array
  private sNode: Int32Array
  private sAux: Int32Array
  private sPayload: unknown[]
  private free: Int32Array
  private freeTop = 0
  private capacity: number
  private readonly limits: SchedulerLimits

  constructor(limits: SchedulerLimits = DEFAULT_SCHEDULER_LIMITS) {
    this.limits = limits
    this.capacity = INITIAL_CAPACITY
    this.hTime = new Float64Array(this.capacity)
    this.hSeq = new Float64Array(this.capacity)
    this.hSlot = new Int32Array(this.capacity)
    this.sKind = new Uint8Array(this.capacity)
    this.sNode = new Int32Array(this.capacity)
    this.sAux = new Int32Array(this.capacity)
    this.sPayload = new Array<unknown>(this.capacity).fill(undefined)
    this.free = new Int32Array(this.capacity)
    for (let i = 0; i < this.capacity; i++) this.free[i] = this.capacity - 1 - i
    this.freeTop = this.capacity
  }

  get pending(): number {
    return this.size
  }

  /** Time of the earliest pending event; Infinity when none. */
  peekTimeMs(): number {
    return this.size === 0 ? Infinity : this.hTime[0]!
  }

  /** Schedules an event. `timeMs` must not be in the past. */
  push(timeMs: number, kind: number, node: number, aux: number, payload?: unknown): void {
    if (!(timeMs >= this.nowMs) || timeMs === Infinity) {
      throw new InvariantError(`event scheduled at ${timeMs} ms, before now (${this.nowMs} ms) or never`)
    }
    if (this.size >= this.limits.maxPending) {
      throw new InvariantError(`event queue over its limit of ${this.limits.maxPending} pending events`)
    }
    if (this.freeTop === 0) this.grow()
    const slot = this.free[--this.freeTop]!
    this.sKind[slot] = kind
    this.sNode[slot] = node
    this.sAux[slot] = aux
    this.sPayload[slot] = payload
    const seq = this.nextSeq++
    // Sift up.
    let i = this.size++
    while (i > 0) {
      const p = (i - 1) >> 1
      const pt = this.hTime[p]!
      if (pt < timeMs || (pt === timeMs && this.hSeq[p]! < seq)) break
      this.hTime[i] = pt
      this.hSeq[i] = this.hSeq[p]!
      this.hSlot[i] = this.hSlot[p]!
      i = p
    }
    this.hTime[i] = timeMs
    this.hSeq[i] = seq
    this.hSlot[i] = slot
  }

  /** Pops the earliest event into the cur* fields and advances the clock; false when empty. */
  pop(): boolean {
    if (this.size === 0) return false
    if (++this.processed > this.limits.maxEvents) {
      throw new InvariantError(`more than ${this.limits.maxEvents} events processed: runaway simulation`)
    }
    const slot = this.hSlot[0]!
    this.nowMs = this.hTime[0]!
    this.curKind = this.sKind[slot]!
    this.curNode = this.sNode[slot]!
    this.curAux = this.sAux[slot]!
    this.curPayload = this.sPayload[slot]
    this.sPayload[slot] = undefined
    this.free[this.freeTop++] = slot
    // Move the last entry to the root and sift it down.
    const n = --this.size
    if (n > 0) {
      const t = this.hTime[n]!
      const s = this.hSeq[n]!
      const sl = this.hSlot[n]!
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        let c = l
        if (r < n) {
          const lt = this.hTime[l]!
          const rt = this.hTime[r]!
          if (rt < lt || (rt === lt && this.hSeq[r]! < this.hSeq[l]!)) c = r
        }
        const ct = this.hTime[c]!
        if (t < ct || (t === ct && s < this.hSeq[c]!)) break
        this.hTime[i] = ct
        this.hSeq[i] = this.hSeq[c]!
        this.hSlot[i] = this.hSlot[c]!
        i = c
      }
      this.hTime[i] = t
      this.hSeq[i] = s
      this.hSlot[i] = sl
    }
    return true
  }

  private grow(): void {
    const old = this.capacity
    const cap = old * 2
    const grow64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap)
      b.set(a)
      return b
    }
    const grow32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap)
      b.set(a)
      return b
    }
    this.hTime = grow64(this.hTime)
    this.hSeq = grow64(this.hSeq)
    this.hSlot = grow32(this.hSlot)
    const kind = new Uint8Array(cap)
    kind.set(this.sKind)
    this.sKind = kind
    this.sNode = grow32(this.sNode)
    this.sAux = grow32(this.sAux)
    for (let i = old; i < cap; i++) this.sPayload.push(undefined)
    this.free = new Int32Array(cap)
    // Only called when the free list is empty: every new slot is free.
    this.freeTop = 0
    for (let i = cap - 1; i >= old; i--) this.free[this.freeTop++] = i
    this.capacity = cap
  }
}
