// The Sybil-density detector's statistics: clean neighbourhoods (a Poisson process of honest ids)
// are never flagged, packed or ground clusters always are, and distances keep their precision
// past the 56 bits a 7-byte reading sees.
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import { distanceFraction } from '../../src/engine/ids.js'
import { densityEvidence, distanceFractionFull, LOG_P_FLAG, logPoissonTail, sortedDistances } from '../../src/engine/query/density-evidence.js'
import { idAtDistance, idNear } from '../../src/sim/adversary/plan.js'

const K = 20

/** The k nearest of N uniform ids to a point: gaps of a Poisson process of rate N. */
function cleanDistances(rng: SeededRng, n: number, k = K): number[] {
  const d: number[] = []
  let x = 0
  for (let i = 0; i < k; i++) {
    x += -Math.log(1 - rng.next()) / n
    d.push(x)
  }
  return d
}

describe('density evidence', () => {
  it('Poisson tails match the exact sums', () => {
    // P(X >= 3) for Poisson(1) = 1 - e^-1 (1 + 1 + 1/2)
    expect(Math.exp(logPoissonTail(3, 1))).toBeCloseTo(1 - Math.exp(-1) * 2.5, 12)
    expect(Math.exp(logPoissonTail(20, 5)) / 3.452135820914455e-7).toBeCloseTo(1, 9)
    expect(logPoissonTail(3, 5)).toBe(0)
  })

  it('flags none of 10^5 clean lookups, with the size estimate exact or up to 2x too large', () => {
    const rng = new SeededRng('clean-lookups')
    let flagged = 0
    let worst = 0
    for (let i = 0; i < 100_000; i++) {
      const n = 200 + rng.int(100_000)
      const d = cleanDistances(rng, n)
      // The estimate the detector has: an upper quartile over lookups, so the true size or above it.
      const est = n * [1, 1.5, 2][i % 3]!
      const ev = densityEvidence(d, est)!
      if (ev.logP < LOG_P_FLAG) flagged++
      worst = Math.min(worst, ev.logP)
    }
    expect(flagged).toBe(0)
    // Far from the threshold (at least 100x more probable than a flag), not just under it.
    expect(worst).toBeGreaterThan(LOG_P_FLAG + Math.log(100))
  })

  it('an estimate half the true size (every clean lookup looks 2x packed) flags rarely, not never', () => {
    // What the detector is sensitive to: this is why it judges by the upper quartile of the
    // lookups' estimates and not the median.
    const rng = new SeededRng('clean-lookups-low')
    let flagged = 0
    for (let i = 0; i < 30_000; i++) {
      const n = 200 + rng.int(100_000)
      if (densityEvidence(cleanDistances(rng, n), n / 2)!.logP < LOG_P_FLAG) flagged++
    }
    expect(flagged).toBeLessThan(10)
  })

  it('flags a cluster of k ids ground far past the expected density, and one at 10x density', () => {
    const rng = new SeededRng('attacks')
    const key = rng.bytes(32)
    const n = 1000
    for (const bits of [18, 40, 64, 120]) {
      const ids = Array.from({ length: K }, () => idNear(key, bits, rng))
      const ev = densityEvidence(sortedDistances(key, ids), n)!
      expect(ev.logP).toBeLessThan(LOG_P_FLAG)
      expect(ev.to).toBe(K - 1)
    }
    // 20x the honest density, 3 honest spacings from the key, behind 3 honest peers: the gap test
    // finds the window that holds the cluster and not the honest peers before it.
    const honest = [0.4, 1.3, 2.2].map((s) => idAtDistance(key, s / n, rng))
    const cluster = Array.from({ length: K - 3 }, (_, j) => idAtDistance(key, (3 + (j + rng.next()) / 20) / n, rng))
    const ev = densityEvidence(sortedDistances(key, [...honest, ...cluster]), n)!
    expect(ev.logP).toBeLessThan(LOG_P_FLAG)
    expect(ev.from).toBeGreaterThanOrEqual(3)
    expect(ev.to).toBe(K - 1)
  })

  it('reads distances at full precision past 56 shared bits', () => {
    const rng = new SeededRng('precision')
    const key = rng.bytes(32)
    const a = idNear(key, 64, rng)
    const b = idNear(key, 100, rng)
    expect(distanceFraction(a, key)).toBe(0) // what a 7-byte reading sees
    expect(distanceFractionFull(a, key)).toBeGreaterThan(0)
    expect(distanceFractionFull(a, key)).toBeLessThan(2 ** -64)
    expect(distanceFractionFull(b, key)).toBeLessThan(2 ** -100)
    expect(distanceFractionFull(b, key)).toBeGreaterThan(0)
    expect(distanceFractionFull(key, key)).toBe(0)
    const at = idAtDistance(key, 3.25e-30, rng)
    expect(distanceFractionFull(at, key) / 3.25e-30).toBeCloseTo(1, 9)
  })
})
