// Per-peer token buckets for inbound requests. The map of buckets is bounded: when it is full the
// oldest-inserted peer is forgotten (it simply starts again with a full bucket).

interface TokenBucket {
  tokens: number
  updatedMs: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor(
    private ratePerS: number,
    private burst: number,
    private readonly maxPeers = 10_000,
  ) {}

  setRate(ratePerS: number, burst: number): void {
    this.ratePerS = ratePerS
    this.burst = burst
  }

  get unlimited(): boolean {
    return !Number.isFinite(this.ratePerS)
  }

  /** Takes one token for `peer`; false when the peer is over its rate. */
  allow(peer: string, nowMs: number): boolean {
    if (this.unlimited) return true
    let b = this.buckets.get(peer)
    if (b === undefined) {
      if (this.buckets.size >= this.maxPeers) {
        const oldest = this.buckets.keys().next().value
        if (oldest !== undefined) this.buckets.delete(oldest)
      }
      b = { tokens: this.burst, updatedMs: nowMs }
      this.buckets.set(peer, b)
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.updatedMs) / 1000) * this.ratePerS)
      b.updatedMs = nowMs
    }
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  /** Gives back a token taken by `allow` for work that turned out not to be charged for. */
  refund(peer: string): void {
    const b = this.buckets.get(peer)
    if (b !== undefined) b.tokens = Math.min(this.burst, b.tokens + 1)
  }
}
