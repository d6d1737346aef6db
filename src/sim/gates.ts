// Service-level gates: "hops_p99 <= 5", "hops_p99 <= 7 during:x" (or {metric, op, threshold,
// window, if_not_reached}) parsed and checked against the measured metrics. A gate whose metric
// was not measured (null: the thing it measures did not happen, e.g. lookups never collapsed) is
// "not reached": it fails unless the scenario says `if_not_reached: pass`, and the report carries
// the reason. A null that means the system missed what the gate times (lookups collapsed and
// readiness never flipped; never recovered after the fault) is "missed": it fails whatever the
// scenario says.
import type { GateOp, GateResult } from './report-types.js'
import { METRIC_NAMES, isMetricName } from './metrics.js'
import { CHAOS_METRIC_NAMES, isChaosMetricName } from './chaos/metric-names.js'

export interface GateSpec {
  readonly metric: string
  readonly op: GateOp
  readonly threshold: number
  readonly window: string
  /** The verdict when the metric was not measured. */
  readonly if_not_reached: 'pass' | 'fail'
}

export type GateInput =
  | string
  | { readonly metric: string; readonly op: GateOp; readonly threshold: number; readonly window?: string; readonly if_not_reached?: 'pass' | 'fail' }

// "metric op number", optionally followed by its window: "hops_p99 <= 7 during:bootstrap-loss".
const GATE_RE = /^\s*([a-z][a-z0-9_]*)\s*(<=|>=|==|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?:\s+(\S+))?\s*$/
const WINDOW_RE = /^(all|(during|after):[a-z0-9][a-z0-9_-]*)$/

/** Parses one gate; `error` (without the field path) says what is wrong. */
export function parseGate(g: GateInput): { gate?: GateSpec; error?: string } {
  let spec: GateSpec
  if (typeof g === 'string') {
    const m = GATE_RE.exec(g)
    if (m === null) {
      return {
        error: `must look like "hops_p99 <= 5" or "hops_p99 <= 7 during:<fault id>" (metric, one of < <= > >= ==, number, optional window), or the object form {metric: hops_p99, op: "<=", threshold: 7, window: "during:<fault id>", if_not_reached: pass} (got ${JSON.stringify(g)})`,
      }
    }
    spec = { metric: m[1]!, op: m[2] as GateOp, threshold: Number(m[3]), window: m[4] ?? 'all', if_not_reached: 'fail' }
  } else {
    spec = { metric: g.metric, op: g.op, threshold: g.threshold, window: g.window ?? 'all', if_not_reached: g.if_not_reached ?? 'fail' }
  }
  if (!isMetricName(spec.metric) && !isChaosMetricName(spec.metric)) {
    return { error: `unknown metric "${spec.metric}" (known: ${[...METRIC_NAMES, ...CHAOS_METRIC_NAMES].join(', ')}, rejected_<reason>)` }
  }
  if (!Number.isFinite(spec.threshold)) return { error: `threshold must be a finite number (got ${spec.threshold})` }
  if (!WINDOW_RE.test(spec.window)) return { error: `window must be "all", "during:<fault id>" or "after:<fault id>" (got ${JSON.stringify(spec.window)})` }
  return { gate: spec }
}

export function compare(measured: number, op: GateOp, threshold: number): boolean {
  switch (op) {
    case '<':
      return measured < threshold
    case '<=':
      return measured <= threshold
    case '>':
      return measured > threshold
    case '>=':
      return measured >= threshold
    case '==':
      return measured === threshold
  }
}

/**
 * Checks each gate against the metrics of its window; `reasonsOf` says why a metric is null, and
 * `missedOf` which null metrics are missed rather than not reached (fail whatever the gate says).
 */
export function checkGates(
  gates: readonly GateSpec[],
  metricsOf: (window: string) => Readonly<Record<string, number | null>>,
  reasonsOf?: (window: string) => Readonly<Record<string, string>>,
  missedOf?: (window: string) => ReadonlySet<string>,
): GateResult[] {
  return gates.map((g) => {
    const v = metricsOf(g.window)[g.metric]
    const measured = v === undefined ? null : v
    const base = { metric: g.metric, op: g.op, threshold: g.threshold, measured }
    if (measured === null) {
      const why = reasonsOf?.(g.window)[g.metric] ?? 'not measured in this window'
      if (missedOf?.(g.window).has(g.metric) === true) return { ...base, pass: false, window: g.window, not_reached: why, if_not_reached: g.if_not_reached, missed: true }
      return { ...base, pass: g.if_not_reached === 'pass', window: g.window, not_reached: why, if_not_reached: g.if_not_reached }
    }
    return { ...base, pass: compare(measured, g.op, g.threshold), window: g.window }
  })
}

export function gateText(g: { metric: string; op: string; threshold: number }): string {
  return `${g.metric} ${g.op} ${g.threshold}`
}
