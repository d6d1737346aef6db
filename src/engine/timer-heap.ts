// A binary min-heap of timers ordered by (atMs, seq): ties break by insertion order, so the
// engine's behaviour never depends on anything but its inputs. Cancelled timers are left in place
// and skipped by their owner (lazy deletion); the heap is bounded by the caller's own limits.

export interface Timer<T> {
  readonly atMs: number
  readonly seq: number
  readonly payload: T
}

export class TimerHeap<T> {
  private readonly items: Timer<T>[] = []
  private seq = 0

  get size(): number {
    return this.items.length
  }

  push(atMs: number, payload: T): void {
    const item: Timer<T> = { atMs, seq: this.seq++, payload }
    const a = this.items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(a[i]!, a[p]!)) break
      swap(a, i, p)
      i = p
    }
  }

  peekMs(): number {
    return this.items.length === 0 ? Infinity : this.items[0]!.atMs
  }

  /** Removes and returns the earliest timer due at or before nowMs, if any. */
  popDue(nowMs: number): Timer<T> | undefined {
    const a = this.items
    if (a.length === 0 || a[0]!.atMs > nowMs) return undefined
    const top = a[0]!
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && less(a[l]!, a[m]!)) m = l
        if (r < a.length && less(a[r]!, a[m]!)) m = r
        if (m === i) break
        swap(a, i, m)
        i = m
      }
    }
    return top
  }

  clear(): void {
    this.items.length = 0
  }
}

function less<T>(x: Timer<T>, y: Timer<T>): boolean {
  return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq)
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i]!
  a[i] = a[j]!
  a[j] = t
}
