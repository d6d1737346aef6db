// A 4-ary min-heap of timers ordered by (atMs, seq): ties break by insertion order, so the
// order never depends on anything but the pushes (nor on the heap's shape: no two entries have
// the same key, so any heap pops the same sequence). The one heap of the project: each engine's
// timers, and the simulator's event queue (src/sim/scheduler.ts, whose payloads are event slots).
// Cancelled timers are left in place and skipped by their owner when they pop, or dropped from
// the front (lazy deletion); the heap is bounded by the caller's own limits.
// Times and sequence numbers live side by side in one array of doubles and payloads in a parallel
// array, so pushing and popping allocate nothing once the arrays have grown (an RPC timeout is
// armed per request), and a sift step reads one cache line for both keys. Plain arrays, not typed
// ones: a small heap's numbers stay on the JS heap, unboxed, where a typed array would cost an
// ArrayBuffer of its own (bookkeeping and a zeroed allocation outside the heap) — every simulated
// engine has a heap, and most hold a few dozen timers.
// The arrays give back what a burst grew them to: an engine's join or refresh round arms a
// timeout per request, many at once, and then holds a handful for hours. Shrinking
// when a quarter full (to twice what is held) keeps every engine's arrays near what it holds,
// and a heap that swings around one size never shrinks and regrows at each step.
// Four children per entry, not two: the simulator's event queue holds about one event per peer
// and more (a hundred thousand and more at 10^5 peers), where each level of a sift is a cache
// miss. A 4-ary heap is half as deep, and an entry's four children's keys are 64 contiguous
// bytes (one or two cache lines), where a binary heap's two children are one: a pop compares
// more keys but waits on about half as many lines.

export interface Timer<T> {
  readonly atMs: number
  readonly seq: number
  readonly payload: T
}

/** Entries below which the arrays are never shrunk (an idle engine holds a few timers). */
const MIN_CAPACITY = 16

export class TimerHeap<T> {
  /** Entry i's time at [2i] and sequence number at [2i + 1]; grows by push, shrinks in popDuePayload. */
  private readonly h: number[] = []
  private payloads: (T | undefined)[] = []
  private n = 0
  private seq = 0

  get size(): number {
    return this.n
  }

  /** Entries the arrays have room for now (at least `size`). */
  get capacity(): number {
    return this.h.length / 2
  }

  push(atMs: number, payload: T): void {
    if (2 * this.n === this.h.length) this.h.push(0, 0)
    const seq = this.seq++
    const h = this.h
    const ps = this.payloads
    let i = this.n++
    while (i > 0) {
      const p = (i - 1) >> 2
      const pt = h[2 * p]!
      if (pt < atMs || (pt === atMs && h[2 * p + 1]! < seq)) break
      h[2 * i] = pt
      h[2 * i + 1] = h[2 * p + 1]!
      ps[i] = ps[p]
      i = p
    }
    h[2 * i] = atMs
    h[2 * i + 1] = seq
    ps[i] = payload
  }

  peekMs(): number {
    return this.n === 0 ? Infinity : this.h[0]!
  }

  /** The earliest timer's payload (undefined when empty). */
  peekPayload(): T | undefined {
    return this.n === 0 ? undefined : this.payloads[0]
  }

  /** Removes the earliest timer, due or not. */
  drop(): void {
    this.popDuePayload(Infinity)
  }

  /** Removes and returns the earliest timer due at or before nowMs, if any. */
  popDue(nowMs: number): Timer<T> | undefined {
    if (this.n === 0 || this.h[0]! > nowMs) return undefined
    const atMs = this.h[0]!
    const seq = this.h[1]!
    return { atMs, seq, payload: this.popDuePayload(nowMs) as T }
  }

  /** Removes the earliest timer due at or before nowMs and returns its payload (no allocation). */
  popDuePayload(nowMs: number): T | undefined {
    const h = this.h
    if (this.n === 0 || h[0]! > nowMs) return undefined
    const ps = this.payloads
    const top = ps[0]
    const n = --this.n
    if (n > 0) {
      const t = h[2 * n]!
      const s = h[2 * n + 1]!
      const p = ps[n]
      let i = 0
      for (;;) {
        const first = 4 * i + 1
        if (first >= n) break
        const last = Math.min(first + 4, n)
        // The least of the (up to four) children.
        let c = first
        let ct = h[2 * first]!
        let cs = h[2 * first + 1]!
        for (let j = first + 1; j < last; j++) {
          const jt = h[2 * j]!
          if (jt < ct || (jt === ct && h[2 * j + 1]! < cs)) {
            c = j
            ct = jt
            cs = h[2 * j + 1]!
          }
        }
        if (t < ct || (t === ct && s < cs)) break
        h[2 * i] = ct
        h[2 * i + 1] = cs
        ps[i] = ps[c]
        i = c
      }
      h[2 * i] = t
      h[2 * i + 1] = s
      ps[i] = p
    }
    ps[n] = undefined
    if (4 * n < this.h.length / 2 && this.h.length > 2 * MIN_CAPACITY) this.shrink(n)
    return top
  }

  /** Shortens the arrays to twice `n` entries (at least MIN_CAPACITY); V8 trims their storage in place. */
  private shrink(n: number): void {
    const cap = Math.max(MIN_CAPACITY, 2 * n)
    this.h.length = 2 * cap
    this.payloads.length = cap
  }

  clear(): void {
    for (let i = 0; i < this.n; i++) this.payloads[i] = undefined
    this.n = 0
  }
}
