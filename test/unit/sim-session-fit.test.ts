// Session lengths fitted to published CDF points (session-fit.ts), and the churn sampler drawing
// from the fit: the fit recomputes the parameters quoted in scenarios/ipfs-2025.yaml from the
// published points, recovers a known distribution from points on its own CDF, and a seeded
// sample of fitted sessions reproduces the fitted CDF (Kolmogorov-Smirnov distance).
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import { drawLengthMs, drawResidualMs } from '../../src/sim/churn.js'
import { fitProblem, fitSessions, fittedCdf, normalCdf, probit, type CdfPoint, type FitFamily } from '../../src/sim/session-fit.js'
import { parseScenarioText, readScenarioText } from '../../src/sim/scenario.js'

/** ProbeLab, 2025: sessions have a median of about 23 minutes and ~60 % end within an hour. */
const PROBELAB_2025: CdfPoint[] = [
  { s: 23 * 60, fraction: 0.5 },
  { s: 3600, fraction: 0.6 },
]

const N = 20_000

/** Sup distance between the empirical CDF of sorted seconds and a model CDF. */
function ksDistance(sortedS: number[], cdf: (t: number) => number): number {
  let d = 0
  for (let i = 0; i < sortedS.length; i++) {
    const f = cdf(sortedS[i]!)
    d = Math.max(d, Math.abs(f - i / sortedS.length), Math.abs(f - (i + 1) / sortedS.length))
  }
  return d
}

describe('session-length fit', () => {
  it('recomputes the Weibull of scenarios/ipfs-2025.yaml from the published points', () => {
    const fit = fitSessions(PROBELAB_2025, 'weibull')
    expect(fit.shape).toBeCloseTo(0.291, 3)
    expect(fit.scaleS).toBeCloseTo(4861, 0)
    expect(fit.meanS / 3600).toBeCloseTo(14.37, 1)
    // Two points, two parameters: the fit goes through both.
    for (const p of PROBELAB_2025) expect(fittedCdf(fit, p.s)).toBeCloseTo(p.fraction, 9)
    // An older, independent point: "80 % of peers stay online 8 hours or less" (ProbeLab, 2022).
    expect(fittedCdf(fit, 8 * 3600)).toBeCloseTo(0.81, 2)
    // The scenario names exactly these points.
    const s = parseScenarioText(readScenarioText('scenarios/ipfs-2025.yaml'), 'scenarios/ipfs-2025.yaml')
    expect(s.churn.session).toBe('weibull')
    expect(s.churn.session_cdf).toEqual(PROBELAB_2025)
  })

  it('recovers a known distribution from points on its own CDF', () => {
    const cases: { family: FitFamily; model: { meanS: number; shape: number } }[] = [
      { family: 'weibull', model: { meanS: 7200, shape: 0.6 } },
      { family: 'lognormal', model: { meanS: 5000, shape: 1.3 } },
      { family: 'exponential', model: { meanS: 900, shape: 1 } },
    ]
    for (const c of cases) {
      const truth = { distribution: c.family, ...c.model, scaleS: 0, medianS: 0 }
      // Build the truth's CDF through a fit of itself: take its quantiles at known fractions.
      const fractions = [0.1, 0.3, 0.5, 0.7, 0.9]
      const rng = new SeededRng(`fit-${c.family}`)
      const xs = Array.from({ length: 200_000 }, () => drawLengthMs(rng, truth) / 1000).sort((a, b) => a - b)
      const points = fractions.map((f) => ({ s: xs[Math.floor(f * xs.length)]!, fraction: f }))
      const fit = fitSessions(points, c.family)
      expect(Math.abs(fit.meanS / c.model.meanS - 1)).toBeLessThan(0.05)
      if (c.family !== 'exponential') expect(Math.abs(fit.shape / c.model.shape - 1)).toBeLessThan(0.03)
    }
  })

  it('the churn sampler reproduces the fitted CDF (seeded, KS distance < 0.015)', () => {
    for (const family of ['weibull', 'lognormal'] as const) {
      const fit = fitSessions(PROBELAB_2025, family)
      const rng = new SeededRng(`sessions-${family}`)
      const xs = Array.from({ length: N }, () => drawLengthMs(rng, fit) / 1000).sort((a, b) => a - b)
      expect(ksDistance(xs, (t) => fittedCdf(fit, t))).toBeLessThan(0.015)
      // At the published points themselves.
      for (const p of PROBELAB_2025) {
        const below = xs.filter((x) => x <= p.s).length / N
        expect(Math.abs(below - p.fraction)).toBeLessThan(0.015)
      }
    }
  })

  it('a session under way at the start has the equilibrium residual life: P(R <= t) = (1/E[S]) * integral of (1 - F) up to t', () => {
    for (const family of ['weibull', 'lognormal'] as const) {
      const fit = fitSessions([{ s: 600, fraction: 0.4 }, { s: 3600, fraction: 0.8 }], family)
      const rng = new SeededRng(`residual-${family}`)
      const xs = Array.from({ length: N }, () => drawResidualMs(rng, fit) / 1000)
      for (const t of [300, 1800, 7200]) {
        // Trapezoid on a log-spaced grid from 1e-3 s (the CDF below it is negligible).
        let integral = 1e-3
        let prev = 1e-3
        for (let i = 1; i <= 4000; i++) {
          const u = 1e-3 * Math.pow(t / 1e-3, i / 4000)
          integral += ((2 - fittedCdf(fit, prev) - fittedCdf(fit, u)) / 2) * (u - prev)
          prev = u
        }
        const want = integral / fit.meanS
        const got = xs.filter((x) => x <= t).length / N
        expect(Math.abs(got - want)).toBeLessThan(0.015)
      }
    }
  })

  it('refuses points it cannot fit, naming the point', () => {
    expect(fitProblem([{ s: 60, fraction: 0.5 }], 'weibull')).toMatch(/needs at least 2 points/)
    expect(fitProblem([{ s: 60, fraction: 0.5 }], 'exponential')).toBeUndefined()
    expect(fitProblem([{ s: 60, fraction: 0.5 }, { s: 30, fraction: 0.6 }], 'weibull')).toMatch(/^point 1: s must be greater/)
    expect(fitProblem([{ s: 60, fraction: 0.5 }, { s: 90, fraction: 0.5 }], 'lognormal')).toMatch(/^point 1: fraction must be greater/)
  })

  it('normal CDF and probit are inverses', () => {
    for (const p of [0.001, 0.02, 0.3, 0.5, 0.6, 0.97, 0.999]) expect(normalCdf(probit(p))).toBeCloseTo(p, 6)
  })
})
