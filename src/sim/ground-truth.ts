// Ground truth for lookup accuracy: which online peer is truly XOR-closest to a target.
//
// Theory of operation: peer ids never change (a returning peer keeps its id), so the ids are
// sorted once. Ids sharing a prefix form a contiguous range of that order, and within such a
// range the next bit is monotone, so the range splits at a point found by binary search. A
// Fenwick tree over sorted positions counts online peers in any range in O(log n). The closest
// online peer to t is found by descending bit by bit: keep the half whose next bit matches t's
// if it holds an online peer, else take the other half. O(log^2 n) per query, O(n) memory.
//
// The same descent gives a peer's ideal routing table: at bit i the half not holding the peer is
// exactly the part of the keyspace its bucket i covers, so the online peers counted there are
// what that bucket could hold (at most k of them): the yardstick of the table_fill metric.
import { compareBytes, type NodeId } from '../engine/ids.js'

export class GroundTruth {
  private readonly ids: readonly NodeId[]
  /** order[pos] = peer index at sorted position pos. */
  private readonly order: Int32Array
  /** posOf[peer] = sorted position of the peer. */
  private readonly posOf: Int32Array
  private readonly tree: Int32Array
  private readonly online: Uint8Array
  private readonly n: number

  constructor(ids: readonly NodeId[]) {
    this.ids = ids
    this.n = ids.length
    const idx = Array.from({ length: this.n }, (_, i) => i)
    // Ties (equal ids) broken by index: deterministic.
    idx.sort((a, b) => compareBytes(ids[a]!, ids[b]!) || a - b)
    this.order = Int32Array.from(idx)
    this.posOf = new Int32Array(this.n)
    for (let p = 0; p < this.n; p++) this.posOf[this.order[p]!] = p
    this.tree = new Int32Array(this.n + 1)
    this.online = new Uint8Array(this.n)
  }

  isOnline(peer: number): boolean {
    return this.online[peer] === 1
  }

  setOnline(peer: number, on: boolean): void {
    const v = on ? 1 : 0
    if (this.online[peer] === v) return
    this.online[peer] = v
    const d = on ? 1 : -1
    for (let i = this.posOf[peer]! + 1; i <= this.n; i += i & -i) this.tree[i]! += d
  }

  /** Online peers among sorted positions [lo, hi). */
  private count(lo: number, hi: number): number {
    let s = 0
    for (let i = hi; i > 0; i -= i & -i) s += this.tree[i]!
    for (let i = lo; i > 0; i -= i & -i) s -= this.tree[i]!
    return s
  }

  /** First position in [lo, hi) whose id has bit `bit` set (ids in range share the bits before). */
  private split(lo: number, hi: number, bit: number): number {
    const byte = bit >> 3
    const mask = 0x80 >> (bit & 7)
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((this.ids[this.order[mid]!]![byte]! & mask) !== 0) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  /**
   * How many contacts each bucket of `peer`'s table could hold: out[i] = min(k, online peers other
   * than `peer` whose ids share exactly i leading bits with its id), for i up to the last bucket
   * with any (the array's length; deeper buckets are empty in any table).
   */
  idealBuckets(peer: number, k: number): number[] {
    const id = this.ids[peer]!
    const out: number[] = []
    let lo = 0
    let hi = this.n
    // Other online peers left in the range that holds `peer` (the range shrinks bit by bit).
    let left = this.count(lo, hi) - this.online[peer]!
    for (let bit = 0; bit < 256 && left > 0; bit++) {
      const mid = this.split(lo, hi, bit)
      const one = (id[bit >> 3]! & (0x80 >> (bit & 7))) !== 0
      const other = one ? this.count(lo, mid) : this.count(mid, hi)
      out.push(Math.min(k, other))
      left -= other
      if (one) lo = mid
      else hi = mid
    }
    return out
  }

  /** The online peer XOR-closest to target, ignoring `exclude` (-1: none); -1 when none is online. */
  closestOnline(target: NodeId, exclude = -1): number {
    const restore = exclude >= 0 && this.online[exclude] === 1
    if (restore) this.setOnline(exclude, false)
    let lo = 0
    let hi = this.n
    let result = -1
    if (this.count(lo, hi) > 0) {
      for (let bit = 0; bit < 256 && hi - lo > 1; bit++) {
        const mid = this.split(lo, hi, bit)
        const wantOne = (target[bit >> 3]! & (0x80 >> (bit & 7))) !== 0
        if (wantOne) {
          if (this.count(mid, hi) > 0) lo = mid
          else hi = mid
        } else if (this.count(lo, mid) > 0) hi = mid
        else lo = mid
      }
      // Equal ids (or 256 bits consumed): the first online one in the range.
      for (let p = lo; p < hi; p++) {
        const peer = this.order[p]!
        if (this.online[peer] === 1) {
          result = peer
          break
        }
      }
    }
    if (restore) this.setOnline(exclude, true)
    return result
  }
}
