// Entries keyed by ids that their owner issues in increasing order and that leave soon after:
// the engine's pending RPCs (each leaves by its timeout) and its running lookups (each ends
// within its query budget).
//
// Theory of operation: the live ids lie in a window [lo, hi) that only slides forward, so they
// live in a ring of slots indexed by id modulo the ring's size (a power of two), each slot with
// its id beside it: a stale, forged or fractional id finds a slot holding another id, or none.
// The ring doubles when the window outgrows it, and goes back to its first size when the window
// empties: a join's burst of requests grows it many times over, which an engine that
// then holds a request or two would keep for hours (empty, every slot is empty, so the arrays are
// only shortened, in place). Why not a Map: a Map that sees a steady stream of inserts and
// deletes rebuilds its hash table every few operations, and each
// rebuild allocates; with ten thousand engines in the simulator, each table outlives a young-
// generation GC (its engine is long-lived), so that GC copies and promotes them by the thousand.
// Iteration (values) is in id order, which is also the order the entries were set.

const EMPTY = NaN // equal to no id

export class IdWindow<T> {
  /** A plain array of doubles (NaN: empty), not a Float64Array: that would be an ArrayBuffer per engine. */
  private ids: number[]
  private vals: (T | undefined)[]
  private mask: number
  /** The ring's first size, which it returns to when empty. */
  private readonly minCap: number
  /** Every live id is in [lo, hi); hi is one past the last id set. */
  private lo = 0
  private hi = 0
  private n = 0

  constructor(capacity = 16) {
    let cap = 1
    while (cap < capacity) cap *= 2
    this.ids = new Array<number>(cap).fill(EMPTY)
    this.vals = new Array<T | undefined>(cap).fill(undefined)
    this.mask = cap - 1
    this.minCap = cap
  }

  get size(): number {
    return this.n
  }

  /** Slots in the ring now (a power of two, at least the size). */
  get capacity(): number {
    return this.vals.length
  }

  get(id: number): T | undefined {
    const i = id & this.mask
    return this.ids[i] === id ? this.vals[i] : undefined
  }

  has(id: number): boolean {
    return this.ids[id & this.mask] === id
  }

  /** Adds an entry; `id` must be an integer above every id set before. */
  set(id: number, value: T): void {
    if (!Number.isSafeInteger(id) || id < this.hi) throw new RangeError(`id ${id} is not above the last one set (${this.hi - 1})`)
    if (this.n === 0) this.lo = id
    while (id - this.lo >= this.vals.length) this.grow()
    const i = id & this.mask
    this.ids[i] = id
    this.vals[i] = value
    this.hi = id + 1
    this.n++
  }

  delete(id: number): boolean {
    const i = id & this.mask
    if (this.ids[i] !== id) return false
    this.ids[i] = EMPTY
    this.vals[i] = undefined
    if (--this.n === 0) {
      this.lo = this.hi
      if (this.vals.length > this.minCap) this.shrink()
    } else if (id === this.lo) {
      do this.lo++
      while (this.ids[this.lo & this.mask] !== this.lo)
    }
    return true
  }

  /** The live entries, in id order. */
  values(): T[] {
    const out: T[] = []
    for (let id = this.lo; id < this.hi; id++) {
      const i = id & this.mask
      if (this.ids[i] === id) out.push(this.vals[i]!)
    }
    return out
  }

  clear(): void {
    this.ids.fill(EMPTY)
    this.vals.fill(undefined)
    this.n = 0
    this.lo = this.hi
  }

  /** Back to the first size; only when empty (every slot is then EMPTY, whatever the mask). */
  private shrink(): void {
    this.ids.length = this.minCap
    this.vals.length = this.minCap
    this.mask = this.minCap - 1
  }

  private grow(): void {
    const cap = this.vals.length * 2
    const ids = new Array<number>(cap).fill(EMPTY)
    const vals = new Array<T | undefined>(cap).fill(undefined)
    for (let id = this.lo; id < this.hi; id++) {
      const i = id & this.mask
      if (this.ids[i] !== id) continue
      ids[id & (cap - 1)] = id
      vals[id & (cap - 1)] = this.vals[i]
    }
    this.ids = ids
    this.vals = vals
    this.mask = cap - 1
  }
}
