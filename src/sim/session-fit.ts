// Session lengths fitted to published points of their CDF (`churn.session_cdf` in a scenario).
//
// A measurement study publishes a few points of the session-length CDF ("median 23 minutes",
// "60 % end within an hour"). Each family below has a transform under which its CDF is a
// straight line in log time, so the fit is an ordinary least-squares line through the
// transformed points, closed form and deterministic (with two points it goes through both):
//   Weibull(k, scale):      ln(-ln(1 - F)) = k ln t - k ln scale
//   log-normal(mu, sigma):  Phi^-1(F)      = (ln t - mu) / sigma
//   exponential(mean):      -ln(1 - F)     = t / mean          (a line through the origin)
// The fitted model is returned as the churn module's LengthModel (a mean and a shape; for the
// log-normal the shape is sigma), so churn.ts draws from it as from any other.
import type { LengthModel } from './churn.js'
import { gamma } from '../engine/rng.js'

export type FitFamily = 'exponential' | 'weibull' | 'lognormal'

/** One published point: a fraction `fraction` of sessions ended within `s` seconds. */
export interface CdfPoint {
  readonly s: number
  readonly fraction: number
}

export interface SessionFit extends LengthModel {
  readonly distribution: FitFamily
  /** Weibull: scale; log-normal: median; exponential: the mean. Seconds. */
  readonly scaleS: number
  /** The fitted CDF's median, seconds. */
  readonly medianS: number
}

/** Fits `family` to the points (at least 1 for exponential, 2 otherwise; s > 0, 0 < fraction < 1). */
export function fitSessions(points: readonly CdfPoint[], family: FitFamily): SessionFit {
  if (family === 'exponential') {
    // Least squares through the origin: mean = sum(t^2) / sum(t * y), y = -ln(1 - F).
    let tt = 0
    let ty = 0
    for (const p of points) {
      const y = -Math.log(1 - p.fraction)
      tt += p.s * p.s
      ty += p.s * y
    }
    const mean = tt / ty
    return { distribution: 'exponential', meanS: mean, shape: 1, scaleS: mean, medianS: mean * Math.LN2 }
  }
  const xs = points.map((p) => Math.log(p.s))
  const ys = points.map((p) => (family === 'weibull' ? Math.log(-Math.log(1 - p.fraction)) : probit(p.fraction)))
  const { slope, intercept } = leastSquares(xs, ys)
  if (family === 'weibull') {
    const k = slope
    const scale = Math.exp(-intercept / k)
    return { distribution: 'weibull', meanS: scale * gamma(1 + 1 / k), shape: k, scaleS: scale, medianS: scale * Math.pow(Math.LN2, 1 / k) }
  }
  const sigma = 1 / slope
  const median = Math.exp(-intercept * sigma)
  return { distribution: 'lognormal', meanS: median * Math.exp((sigma * sigma) / 2), shape: sigma, scaleS: median, medianS: median }
}

/** The fitted CDF at t seconds. */
export function fittedCdf(fit: SessionFit, t: number): number {
  if (t <= 0) return 0
  if (fit.distribution === 'exponential') return 1 - Math.exp(-t / fit.meanS)
  if (fit.distribution === 'weibull') return 1 - Math.exp(-Math.pow(t / fit.scaleS, fit.shape))
  return normalCdf(Math.log(t / fit.scaleS) / fit.shape)
}

/**
 * Why the points cannot be fitted (one line), or undefined: times and fractions must both rise,
 * and a two-parameter family needs two distinct points.
 */
export function fitProblem(points: readonly CdfPoint[], family: FitFamily): string | undefined {
  for (let i = 1; i < points.length; i++) {
    if (!(points[i]!.s > points[i - 1]!.s)) return `point ${i}: s must be greater than the point before (got ${points[i]!.s} after ${points[i - 1]!.s})`
    if (!(points[i]!.fraction > points[i - 1]!.fraction)) return `point ${i}: fraction must be greater than the point before (got ${points[i]!.fraction} after ${points[i - 1]!.fraction})`
  }
  if (family !== 'exponential' && points.length < 2) return `a ${family} fit needs at least 2 points (got ${points.length})`
  return undefined
}

function leastSquares(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = xs.length
  let mx = 0
  let my = 0
  for (let i = 0; i < n; i++) {
    mx += xs[i]! / n
    my += ys[i]! / n
  }
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my)
    sxx += (xs[i]! - mx) * (xs[i]! - mx)
  }
  const slope = sxy / sxx
  return { slope, intercept: my - slope * mx }
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 on erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x)
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function probit(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]
  const lo = 0.02425
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  }
  if (p > 1 - lo) return -probit(1 - p)
  const q = p - 0.5
  const r = q * q
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
}
