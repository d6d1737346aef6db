// Adaptive RPC timeout (Jacobson/Karels, as TCP's RTO): a smoothed round-trip time and its mean
// deviation over the answers this node gets; timeout = srtt + 4 * rttvar, clamped to
// [MIN_RPC_TIMEOUT_MS, configured per-hop timeout]. A dead peer then costs a lookup a few round
// trips instead of the full 750 ms. A peer that answers after its timeout is not lost: the late
// answer still proves it alive to the routing table.
import { MIN_RPC_TIMEOUT_MS } from './constants.js'

/** Answers needed before the estimate replaces the configured timeout. */
const WARM_SAMPLES = 8

export class RttEstimator {
  private srttMs = 0
  private rttvarMs = 0
  private samples = 0

  sample(rttMs: number): void {
    if (!(rttMs >= 0) || !Number.isFinite(rttMs)) return
    if (this.samples === 0) {
      this.srttMs = rttMs
      this.rttvarMs = rttMs / 2
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - rttMs)
      this.srttMs = 0.875 * this.srttMs + 0.125 * rttMs
    }
    this.samples++
  }

  /** The timeout to arm for the next RPC, never above `maxMs` (the configured per-hop timeout). */
  timeoutMs(maxMs: number): number {
    if (this.samples < WARM_SAMPLES) return maxMs
    return Math.min(maxMs, Math.max(MIN_RPC_TIMEOUT_MS, Math.ceil(this.srttMs + 4 * this.rttvarMs)))
  }

  get smoothedMs(): number {
    return this.srttMs
  }
}
