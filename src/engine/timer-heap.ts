// A binary min-heap of timers ordered by (atMs, seq): ties break by insertion order, so the
// engine's behaviour never depends on anything but its inputs. Cancelled timers are left in place
// and skipped by their owner (lazy deletion); the heap is bounded by the caller's own limits.
// Times and sequence numbers live in typed arrays and payloads in a parallel array, so pushing
// and popping allocate nothing once the arrays have grown (an RPC timeout is armed per request).

export interface Timer<T> {
  readonly atMs: number
  readonly seq: number
  readonly payload: T
}

export class TimerHeap<T> {
  private at = new Float64Array(16)
  private sq = new Float64Array(16)
  private payloads: (T | undefined)[] = []
  private n = 0
  private seq = 0

  get size(): number {
    return this.n
  }

  push(atMs: number, payload: T): void {
    if (this.n === this.at.length) this.grow()
    const seq = this.seq++
    const at = this.at
    const sq = this.sq
    const ps = this.payloads
    let i = this.n++
    while (i > 0) {
      const p = (i - 1) >> 1
      const pt = at[p]!
      if (pt < atMs || (pt === atMs && sq[p]! < seq)) break
      at[i] = pt
      sq[i] = sq[p]!
      ps[i] = ps[p]
      i = p
    }
    at[i] = atMs
    sq[i] = seq
    ps[i] = payload
  }

  peekMs(): number {
    return this.n === 0 ? Infinity : this.at[0]!
  }

  /** Removes and returns the earliest timer due at or before nowMs, if any. */
  popDue(nowMs: number): Timer<T> | undefined {
    if (this.n === 0 || this.at[0]! > nowMs) return undefined
    const atMs = this.at[0]!
    const seq = this.sq[0]!
    return { atMs, seq, payload: this.popDuePayload(nowMs) as T }
  }

  /** Removes the earliest timer due at or before nowMs and returns its payload (no allocation). */
  popDuePayload(nowMs: number): T | undefined {
    if (this.n === 0 || this.at[0]! > nowMs) return undefined
    const at = this.at
    const sq = this.sq
    const ps = this.payloads
    const top = ps[0]
    const n = --this.n
    if (n > 0) {
      const t = at[n]!
      const s = sq[n]!
      const p = ps[n]
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        let c = l
        if (r < n && (at[r]! < at[l]! || (at[r] === at[l] && sq[r]! < sq[l]!))) c = r
        if (t < at[c]! || (t === at[c] && s < sq[c]!)) break
        at[i] = at[c]!
        sq[i] = sq[c]!
        ps[i] = ps[c]
        i = c
      }
      at[i] = t
      sq[i] = s
      ps[i] = p
    }
    ps[n] = undefined
    return top
  }

  clear(): void {
    for (let i = 0; i < this.n; i++) this.payloads[i] = undefined
    this.n = 0
  }

  private grow(): void {
    const cap = this.at.length * 2
    const at = new Float64Array(cap)
    at.set(this.at)
    this.at = at
    const sq = new Float64Array(cap)
    sq.set(this.sq)
    this.sq = sq
  }
}
