// When each peer (re)started, for the restart-burst alert: per peer a ring of its latest starts
// (what the rule counts), and all starts in time order, so that an evaluation can visit only the
// peers that started within its window instead of every peer of the fleet.
const KEPT_PER_PEER = 8

export class RestartLog {
  private readonly rings: (Float64Array | undefined)[]
  /** Every start as (time, peer), in time order: starts are noted at the simulation's clock. */
  private readonly timesMs: number[] = []
  private readonly peers: number[] = []

  constructor(n: number) {
    this.rings = new Array<Float64Array | undefined>(n).fill(undefined)
  }

  note(peer: number, nowMs: number): void {
    let ring = this.rings[peer]
    if (ring === undefined) {
      ring = new Float64Array(KEPT_PER_PEER).fill(-Infinity)
      this.rings[peer] = ring
    }
    ring.copyWithin(1, 0, KEPT_PER_PEER - 1)
    ring[0] = nowMs
    this.timesMs.push(nowMs)
    this.peers.push(peer)
  }

  /** Starts of `peer` in (fromMs, toMs], among its latest KEPT_PER_PEER. */
  count(peer: number, fromMs: number, toMs: number): number {
    const ring = this.rings[peer]
    let c = 0
    if (ring !== undefined) for (const t of ring) if (t > fromMs && t <= toMs) c++
    return c
  }

  /** Every peer with a start in (fromMs, toMs] (one that started more than once comes as often). */
  peersIn(fromMs: number, toMs: number): number[] {
    const times = this.timesMs
    let lo = 0
    let hi = times.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (times[mid]! > fromMs) hi = mid
      else lo = mid + 1
    }
    let end = lo
    while (end < times.length && times[end]! <= toMs) end++
    return this.peers.slice(lo, end)
  }
}
