import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import { drawLengthMs, drawResidualMs, gammaVariate, meanSessionS } from '../../src/sim/churn.js'
import { gamma } from '../../src/engine/rng.js'

const N = 20_000

function stats(xs: number[]): { mean: number; cv: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length
  return { mean, cv: Math.sqrt(v) / mean }
}

describe('churn lengths', () => {
  it('maps a turnover rate per hour to a mean session', () => {
    expect(meanSessionS(0.1)).toBe(36_000)
    expect(meanSessionS(0.08)).toBe(45_000)
    expect(meanSessionS(0)).toBe(Infinity)
  })

  it('exponential: mean within 3 % and coefficient of variation ~1', () => {
    const rng = new SeededRng('churn-exp')
    const xs = Array.from({ length: N }, () => drawLengthMs(rng, { distribution: 'exponential', meanS: 600, shape: 1 }))
    const s = stats(xs)
    expect(Math.abs(s.mean / 600_000 - 1)).toBeLessThan(0.03)
    expect(Math.abs(s.cv - 1)).toBeLessThan(0.05)
  })

  it('weibull with shape 0.6: mean within 5 % and a heavier tail than exponential', () => {
    const rng = new SeededRng('churn-weibull')
    const xs = Array.from({ length: N }, () => drawLengthMs(rng, { distribution: 'weibull', meanS: 3600, shape: 0.6 }))
    const s = stats(xs)
    expect(Math.abs(s.mean / 3_600_000 - 1)).toBeLessThan(0.05)
    // CV of Weibull(k=0.6) is about 1.76.
    expect(s.cv).toBeGreaterThan(1.5)
    // Many short sessions: the median is well below the mean.
    xs.sort((a, b) => a - b)
    expect(xs[N / 2]! / 3_600_000).toBeLessThan(0.6)
  })

  it('weibull with shape 1 is exponential; no churn means sessions never end', () => {
    const rng = new SeededRng('churn-w1')
    const xs = Array.from({ length: N }, () => drawLengthMs(rng, { distribution: 'weibull', meanS: 100, shape: 1 }))
    expect(Math.abs(stats(xs).mean / 100_000 - 1)).toBeLessThan(0.03)
    expect(drawLengthMs(rng, { distribution: 'exponential', meanS: Infinity, shape: 1 })).toBe(Infinity)
  })

  it('never draws a zero-length session', () => {
    const rng = new SeededRng('churn-min')
    for (let i = 0; i < 1000; i++) expect(drawLengthMs(rng, { distribution: 'exponential', meanS: 0.000001, shape: 1 })).toBeGreaterThanOrEqual(1)
  })

  it('gamma variates: mean = shape, variance = shape', () => {
    const rng = new SeededRng('gamma')
    for (const shape of [0.7, 2.667]) {
      const s = stats(Array.from({ length: N }, () => gammaVariate(rng, shape)))
      expect(Math.abs(s.mean / shape - 1)).toBeLessThan(0.03)
      expect(Math.abs((s.cv * s.mean) ** 2 / shape - 1)).toBeLessThan(0.08)
    }
  })

  it('first sessions are equilibrium residuals: mean E[X^2] / 2E[X]', () => {
    const rng = new SeededRng('residual')
    const k = 0.6
    const meanS = 3600
    const scale = meanS / gamma(1 + 1 / k)
    const want = (scale * scale * gamma(1 + 2 / k)) / (2 * meanS)
    const xs = Array.from({ length: N }, () => drawResidualMs(rng, { distribution: 'weibull', meanS, shape: k }) / 1000)
    // Heavy tail: a looser tolerance.
    expect(Math.abs(stats(xs).mean / want - 1)).toBeLessThan(0.1)
    // Exponential: memoryless, the residual has the session's mean.
    const ys = Array.from({ length: N }, () => drawResidualMs(rng, { distribution: 'exponential', meanS, shape: 1 }) / 1000)
    expect(Math.abs(stats(ys).mean / meanS - 1)).toBeLessThan(0.03)
  })
})
