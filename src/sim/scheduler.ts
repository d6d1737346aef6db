// Discrete-event scheduler: the simulator's events in virtual-time order.
//
// Theory of operation: events are ordered by (timeMs, seq) in the engine's own timer heap
// (src/engine/timer-heap.ts: one heap for the engine's timers and the simulator's events), whose
// sequence numbers break ties by scheduling order, never by heap layout. The heap holds a slot
// number per event; an event's fields (kind, node, aux, payload) live in a slot pool with a free
// list, so pushing and popping allocates nothing once the arrays have grown. `pop()` advances the
// virtual clock and exposes the popped event through the `cur*` fields (valid until the next
// pop). Limits: at most `maxPending` events queued and `maxEvents` events processed; going past
// either is a runaway simulation and throws an InvariantError.
import { InvariantError } from '../engine/errors.js'
import { TimerHeap } from '../engine/timer-heap.js'

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

  /** Pending events by (time, scheduling order); the payload is the event's slot. */
  private readonly heap = new TimerHeap<number>()

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
    this.sKind = new Uint8Array(this.capacity)
    this.sNode = new Int32Array(this.capacity)
    this.sAux = new Int32Array(this.capacity)
    this.sPayload = new Array<unknown>(this.capacity).fill(undefined)
    this.free = new Int32Array(this.capacity)
    for (let i = 0; i < this.capacity; i++) this.free[i] = this.capacity - 1 - i
    this.freeTop = this.capacity
  }

  get pending(): number {
    return this.heap.size
  }

  /** Time of the earliest pending event; Infinity when none. */
  peekTimeMs(): number {
    return this.heap.peekMs()
  }

  /** Schedules an event. `timeMs` must not be in the past. */
  push(timeMs: number, kind: number, node: number, aux: number, payload?: unknown): void {
    if (!(timeMs >= this.nowMs) || timeMs === Infinity) {
      throw new InvariantError(`event scheduled at ${timeMs} ms, before now (${this.nowMs} ms) or never`)
    }
    if (this.heap.size >= this.limits.maxPending) {
      throw new InvariantError(`event queue over its limit of ${this.limits.maxPending} pending events`)
    }
    if (this.freeTop === 0) this.grow()
    const slot = this.free[--this.freeTop]!
    this.sKind[slot] = kind
    this.sNode[slot] = node
    this.sAux[slot] = aux
    this.sPayload[slot] = payload
    this.heap.push(timeMs, slot)
  }

  /** Pops the earliest event into the cur* fields and advances the clock; false when empty. */
  pop(): boolean {
    const heap = this.heap
    if (heap.size === 0) return false
    if (++this.processed > this.limits.maxEvents) {
      throw new InvariantError(`more than ${this.limits.maxEvents} events processed: runaway simulation`)
    }
    this.nowMs = heap.peekMs()
    const slot = heap.popDuePayload(Infinity)!
    this.curKind = this.sKind[slot]!
    this.curNode = this.sNode[slot]!
    this.curAux = this.sAux[slot]!
    this.curPayload = this.sPayload[slot]
    this.sPayload[slot] = undefined
    this.free[this.freeTop++] = slot
    return true
  }

  private grow(): void {
    const old = this.capacity
    const cap = old * 2
    const grow32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap)
      b.set(a)
      return b
    }
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
