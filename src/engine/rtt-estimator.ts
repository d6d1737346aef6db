// Adaptive lookup timeout (Jacobson/Karels, as TCP's RTO): a smoothed round-trip time and its
// mean deviation over the lookup answers that came in time; timeout = srtt + 4 * rttvar, clamped
// to [MIN_RPC_TIMEOUT_MS, configured per-hop timeout]. Past it a lookup stops waiting for the
// query (Slow) but still takes a late answer; the per-hop timeout alone charges the contact a
// failure. So a dead peer costs a lookup a few round trips, and a far one costs it nothing.
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
