// Network-size estimate for Sybil-density detection.
//
// With N peers whose ids are uniform, the i-th closest peer to any point sits at an expected
// keyspace fraction of about i / N. A lookup's k closest answers give a least-squares estimate
// N ≈ Σ i² / Σ i·d_i. The estimator keeps the last few estimates from lookups that looked normal
// and answers their upper quartile: misrouting attackers can only make a lookup miss close peers,
// which biases estimates low (a low estimate widens the exclusion and would drop honest peers),
// so the high side is the trustworthy one. A lookup whose own estimate is `factor` times denser than the median
// found a cluster packed around its target: more peers there than the network's size predicts,
// which is what an eclipse attacker has to build.
import type { NodeId } from './ids.js'
import { distanceFraction } from './ids.js'
import type { Contact } from './types.js'

/** Estimates kept; the median of a small window follows churn yet ignores outliers. */
const WINDOW = 33
/** Estimates needed before the detector judges anything. */
export const MIN_SAMPLES = 5

export function estimateSize(target: NodeId, closest: readonly Contact[]): number | undefined {
  return sizeFromDistances(closest.map((c) => distanceFraction(c.id, target)))
}

/**
 * The least-squares network-size estimate from the sorted distances of a lookup's closest peers
 * (the i-th closest sits at about i/N): N ≈ Σ i² / Σ i·d_i. Undefined for fewer than 4.
 */
export function sizeFromDistances(d: readonly number[]): number | undefined {
  if (d.length < 4) return undefined
  let num = 0
  let den = 0
  for (let i = 0; i < d.length; i++) {
    const rank = i + 1
    num += rank * rank
    den += rank * d[i]!
  }
  return den > 0 ? num / den : undefined
}

export class SizeEstimator {
  private readonly samples: number[] = []
  private next = 0

  add(estimate: number): void {
    if (!Number.isFinite(estimate) || estimate <= 0) return
    if (this.samples.length < WINDOW) this.samples.push(estimate)
    else this.samples[this.next] = estimate
    this.next = (this.next + 1) % WINDOW
  }

  get count(): number {
    return this.samples.length
  }

  /** Upper quartile of the window, or undefined before MIN_SAMPLES. */
  estimate(): number | undefined {
    if (this.samples.length < MIN_SAMPLES) return undefined
    const s = [...this.samples].sort((a, b) => a - b)
    return s[Math.floor((s.length - 1) * 0.75)]
  }
}
