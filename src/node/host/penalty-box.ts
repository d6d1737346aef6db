// The penalty box: a peer that keeps exceeding its request budget, or keeps opening streams past
// its per-connection limit, is cut off for a while.
//
// Theory of operation: the per-peer token bucket and the stream limit refuse a flooding peer's
// streams cheaply (a RST of the SYN), but not for free — each refusal still costs the node a
// frame to decrypt and one to send, so a peer refused thousands of times a second still takes
// CPU from honest peers. Refusals of either kind are therefore counted per peer in a fixed
// window (PENALTY_WINDOW_MS); the one
// that reaches `refusals` in a window puts the peer in the box for `penaltyMs`: its connections
// are closed, and until the penalty ends the connection gater refuses its new connections (after
// the handshake names it) and any stream that still reaches the host is reset before its echo.
// A peer that honestly runs into its budget now and then is refused a few requests and never
// comes near the threshold.
//
// Memory: one entry per peer refused in the current window and one per peer in the box, each
// table bounded (MAX_TRACKED): when full, expired entries are swept, then the oldest dropped.
// `refusals` 0 switches the box off.

/** Refusals are counted over windows this long. */
export const PENALTY_WINDOW_MS = 10_000
/** Peers tracked at most, in the window counts and in the box each. */
export const MAX_TRACKED = 10_000

interface Strikes {
  windowStartMs: number
  count: number
}

export class PenaltyBox {
  private readonly strikes = new Map<string, Strikes>()
  private readonly until = new Map<string, number>()

  constructor(
    private refusals: number,
    private penaltyMs: number,
  ) {}

  /** New thresholds (a config reload); peers in the box keep the penalty they were given. */
  configure(refusals: number, penaltyMs: number): void {
    this.refusals = refusals
    this.penaltyMs = penaltyMs
    if (refusals === 0) this.strikes.clear()
  }

  get threshold(): number {
    return this.refusals
  }

  get durationMs(): number {
    return this.penaltyMs
  }

  /** Peers with refusals counted in their current window. */
  get tracked(): number {
    return this.strikes.size
  }

  /** Peers in the box now (expired entries not yet swept may be counted until the next check). */
  get boxed(): number {
    return this.until.size
  }

  /** True while `peer` serves a penalty at nowMs. */
  penalized(peer: string, nowMs: number): boolean {
    if (this.until.size === 0) return false
    const end = this.until.get(peer)
    if (end === undefined) return false
    if (nowMs < end) return true
    this.until.delete(peer)
    return false
  }

  /**
   * One refused request of `peer` at nowMs. Returns true when it is the one that puts the peer
   * in the box (the caller then closes its connections and reports it).
   */
  strike(peer: string, nowMs: number): boolean {
    if (this.refusals <= 0) return false
    let s = this.strikes.get(peer)
    if (s === undefined || nowMs - s.windowStartMs >= PENALTY_WINDOW_MS) {
      if (s === undefined && this.strikes.size >= MAX_TRACKED) this.sweepStrikes(nowMs)
      s = { windowStartMs: nowMs, count: 0 }
      this.strikes.set(peer, s)
    }
    s.count++
    if (s.count < this.refusals) return false
    this.strikes.delete(peer)
    if (!this.until.has(peer) && this.until.size >= MAX_TRACKED) this.sweepBox(nowMs)
    this.until.set(peer, nowMs + this.penaltyMs)
    return true
  }

  private sweepStrikes(nowMs: number): void {
    for (const [peer, s] of this.strikes) if (nowMs - s.windowStartMs >= PENALTY_WINDOW_MS) this.strikes.delete(peer)
    // Still full: forget the oldest window (Maps iterate in insertion order).
    if (this.strikes.size >= MAX_TRACKED) this.strikes.delete(this.strikes.keys().next().value!)
  }

  private sweepBox(nowMs: number): void {
    for (const [peer, end] of this.until) if (nowMs >= end) this.until.delete(peer)
    if (this.until.size >= MAX_TRACKED) this.until.delete(this.until.keys().next().value!)
  }
}
