// Which direction is "worse" for each gate metric, and how much worse than the baseline a run may
// be before `dht-sim gate` calls it a regression. Defaults live here; reports/baseline.json may
// override them per metric (bare name, e.g. "lookup_p95_ms") or per windowed key
// ("lookup_p95_ms@during:loss"). A metric known nowhere gets its direction from its gate's
// operator (an upper bound means higher is worse) and a 10 % relative tolerance.
import type { GateOp } from '../sim/report-types.js'

/** higher: a larger value is worse (latency, hops); lower: a smaller value is worse (success). */
export type Worse = 'higher' | 'lower' | 'either'

export interface Tolerance {
  readonly worse: Worse
  /** Allowed change in the worse direction, in the metric's own unit. */
  readonly absolute?: number
  /** Allowed change in the worse direction, as a fraction of the baseline value (0.1 = 10 %). */
  readonly relative?: number
}

export const DEFAULT_TOLERANCES: Readonly<Record<string, Tolerance>> = {
  // Latency quantiles move with the latency model's jitter; 10 % catches a real slowdown.
  lookup_p95_ms: { worse: 'higher', relative: 0.1 },
  lookup_p99_ms: { worse: 'higher', relative: 0.1 },
  lookup_p50_ms: { worse: 'higher', relative: 0.1 },
  // Hop counts are small integers: one extra hop at p99 is noise at a fixed seed, two is not.
  hops_p99: { worse: 'higher', absolute: 1 },
  hops_p95: { worse: 'higher', absolute: 1 },
  hops_p50: { worse: 'higher', absolute: 1 },
  hops_mean: { worse: 'higher', relative: 0.1 },
  // One failed lookup in a thousand more than the baseline.
  lookup_success: { worse: 'lower', absolute: 0.001 },
  provider_success: { worse: 'lower', absolute: 0.001 },
  provider_success_by_age_min: { worse: 'lower', absolute: 0.001 },
  unshed_success: { worse: 'lower', absolute: 0.001 },
  lookup_accuracy: { worse: 'lower', absolute: 0.001 },
  // Under attack the honest share moves with the adversary's placement: half a percent.
  honest_provider_success: { worse: 'lower', absolute: 0.005 },
  victim_found: { worse: 'lower', absolute: 0.005 },
  outside_lookup_p95_ms: { worse: 'higher', relative: 0.1 },
  time_to_ready_p99_s: { worse: 'higher', relative: 0.1, absolute: 0.5 },
  time_to_ready_p50_s: { worse: 'higher', relative: 0.1, absolute: 0.5 },
  mttr_s: { worse: 'higher', relative: 0.1, absolute: 10 },
  alert_delay_s: { worse: 'higher', relative: 0.1, absolute: 10 },
  time_to_alert_s: { worse: 'higher', relative: 0.1, absolute: 10 },
  // How long before lookups collapse /readyz flips: losing more than 5 s of warning is a regression.
  readiness_lead_s: { worse: 'lower', relative: 0.2, absolute: 5 },
  cpu_queue_peak: { worse: 'higher', relative: 0.25, absolute: 2 },
  // "It happened" counters (the node shed or rejected under overload): their gate (> 0) is the
  // check and their size moves with timing, so the baseline allows a wide fall, but not to zero:
  // a tolerance of -100 % could never fail (refused by the baseline loader).
  load_shed: { worse: 'lower', relative: 0.5 },
  rejected_overloaded: { worse: 'lower', relative: 0.5 },
  messages_per_lookup: { worse: 'higher', relative: 0.1 },
  crashes: { worse: 'higher', absolute: 0 },
  // A page left firing is a page: none more than the baseline.
  pages_firing_at_end: { worse: 'higher', absolute: 0 },
}

const FALLBACK_RELATIVE = 0.1

/** The direction implied by a gate: "x < t" bounds x from above, so higher is worse. */
export function worseFromOp(op: GateOp): Worse {
  if (op === '<' || op === '<=') return 'higher'
  if (op === '>' || op === '>=') return 'lower'
  return 'either'
}

/** "lookup_p95_ms@during:loss" -> "lookup_p95_ms" */
export function bareMetric(key: string): string {
  const at = key.indexOf('@')
  return at < 0 ? key : key.slice(0, at)
}

export function resolveTolerance(
  key: string,
  op: GateOp | undefined,
  overrides: Readonly<Record<string, Tolerance>> | undefined,
): Tolerance {
  const bare = bareMetric(key)
  return (
    overrides?.[key] ??
    overrides?.[bare] ??
    DEFAULT_TOLERANCES[bare] ?? { worse: op === undefined ? 'either' : worseFromOp(op), relative: FALLBACK_RELATIVE }
  )
}

/** How much worse `current` is than `base` in the metric's bad direction (<= 0: not worse). */
export function worsening(worse: Worse, base: number, current: number): number {
  if (worse === 'higher') return current - base
  if (worse === 'lower') return base - current
  return Math.abs(current - base)
}

/** The largest worsening the tolerance allows from `base`: the larger of its two parts. */
export function allowedWorsening(tol: Tolerance, base: number): number {
  return Math.max(tol.absolute ?? 0, (tol.relative ?? 0) * Math.abs(base))
}

/** "+10 %", "+1", "-0.001", "+10 % or +0.5" in the metric's bad direction. */
export function describeTolerance(tol: Tolerance): string {
  const sign = tol.worse === 'lower' ? '-' : tol.worse === 'higher' ? '+' : '±'
  const parts: string[] = []
  if (tol.relative !== undefined) parts.push(`${sign}${Number((tol.relative * 100).toPrecision(4))} %`)
  if (tol.absolute !== undefined) parts.push(`${sign}${tol.absolute}`)
  return parts.length === 0 ? `${sign}0` : parts.join(' or ')
}

/**
 * Why a tolerance can never fail, or null: "lower is worse" with a relative part of 100 % or more
 * lets a non-negative metric fall to zero and still pass.
 */
export function neverFails(tol: Tolerance): string | null {
  if (tol.worse === 'lower' && tol.relative !== undefined && tol.relative >= 1) {
    return `relative ${tol.relative} allows a fall of ${Number((tol.relative * 100).toPrecision(4))} %: it can never fail (use less than 1, e.g. 0.5)`
  }
  return null
}
