// Churn: how long peers stay online (sessions) and offline (downtimes).
//
// A turnover rate r per hour means that, in steady state, a fraction r of the online peers leaves
// each hour: the mean session is 1/r hours. Sessions and downtimes are drawn from an exponential
// (memoryless) or a Weibull distribution (shape < 1: many short sessions and a long tail, as
// measured in deployed DHTs) with the given mean. Each peer draws from its own forked stream.
//
// Steady state from the first second: a run starts with every peer online, but the peers of a
// real network are part-way through their sessions. So a peer's FIRST session is drawn from the
// equilibrium residual-life distribution (a length-biased session, cut at a uniform point); only
// sessions after a rejoin are fresh. Without this, Weibull sessions (decreasing hazard) would
// make the first hours churn at several times the configured turnover.
// Log-normal sessions (mean and sigma) come from a fit to a published CDF (session-fit.ts).
import { exponential, gamma, logNormal, normal, weibull, type Rng } from '../engine/rng.js'

export type Distribution = 'exponential' | 'weibull' | 'lognormal'

export interface LengthModel {
  readonly distribution: Distribution
  /** Mean length, seconds. */
  readonly meanS: number
  /** Weibull shape; log-normal: sigma of the underlying normal (ignored for exponential). */
  readonly shape: number
}

/** Mean session length in seconds for a turnover rate per hour (0 = no churn: Infinity). */
export function meanSessionS(turnoverPerHour: number): number {
  return turnoverPerHour > 0 ? 3600 / turnoverPerHour : Infinity
}

/** One length in ms; at least 1 ms so a peer never leaves in the instant it joins. */
export function drawLengthMs(rng: Rng, model: LengthModel): number {
  if (!Number.isFinite(model.meanS)) return Infinity
  const s =
    model.distribution === 'weibull'
      ? weibull(rng, model.shape, model.meanS)
      : model.distribution === 'lognormal'
        ? logNormal(rng, lognormalMedianS(model), model.shape)
        : exponential(rng, model.meanS)
  return Math.max(1, s * 1000)
}

/** Remaining length (ms) of a session already in progress, in equilibrium (see above). */
export function drawResidualMs(rng: Rng, model: LengthModel): number {
  if (!Number.isFinite(model.meanS)) return Infinity
  // Exponential sessions are memoryless: the residual is a fresh session.
  if (model.distribution === 'exponential') return drawLengthMs(rng, model)
  // Length-biased log-normal(mu, sigma) is log-normal(mu + sigma^2, sigma).
  if (model.distribution === 'lognormal') {
    const biased = logNormal(rng, lognormalMedianS(model) * Math.exp(model.shape * model.shape), model.shape)
    return Math.max(1, rng.next() * biased * 1000)
  }
  // Length-biased Weibull(k, scale): (L/scale)^k ~ Gamma(1 + 1/k).
  const k = model.shape
  const scale = model.meanS / gamma(1 + 1 / k)
  const biased = scale * Math.pow(gammaVariate(rng, 1 + 1 / k), 1 / k)
  return Math.max(1, rng.next() * biased * 1000)
}

/** The median of a log-normal length model given by its mean and sigma. */
function lognormalMedianS(model: LengthModel): number {
  return model.meanS / Math.exp((model.shape * model.shape) / 2)
}

/** Gamma(shape, 1) by Marsaglia-Tsang (bounded retries: falls back to the mode's neighbourhood). */
export function gammaVariate(rng: Rng, shape: number): number {
  if (shape < 1) return gammaVariate(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (let i = 0; i < 1000; i++) {
    const x = normal(rng)
    const v0 = 1 + c * x
    if (v0 <= 0) continue
    const v = v0 * v0 * v0
    const u = 1 - rng.next()
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
  }
  return d
}
