// Number and gate formatting shared by the console table, summary.md, junit.xml, compare and the
// HTML report, so that one figure reads the same everywhere. Pure and deterministic.
import type { FaultWindow, GateResult, Report } from '../sim/report-types.js'

/** A figure for people: integers as is, others with up to 4 significant digits; null as "n/a". */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a'
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1000) return value.toFixed(1)
  if (abs >= 1) return String(Number(value.toPrecision(4)))
  if (abs >= 0.001) {
    // Never round a fraction to a whole number: 0.999966 is not 1 (one lost lookup in 30,000).
    for (let p = 4; p <= 8; p++) {
      const r = Number(value.toPrecision(p))
      if (!Number.isInteger(r)) return String(r)
    }
    return String(value)
  }
  return value.toExponential(2)
}

/** A figure for the Markdown reports: integers as is, others rounded to 4 decimals; null as "n/a". */
export function formatDecimal(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a'
  if (Number.isInteger(value)) return String(value)
  if (Math.abs(value) >= 1) return String(Math.round(value * 1e4) / 1e4)
  // A fraction never reads as a whole number: 0.999966 is not 1.
  for (let d = 4; d <= 8; d++) {
    const f = 10 ** d
    const r = Math.round(value * f) / f
    if (!Number.isInteger(r)) return String(r)
  }
  return String(value)
}

/** A span of whole seconds for people: "1 h", "65 min", "90 s" (the largest unit that divides it). */
export function formatSpan(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds % 60 !== 0 || seconds === 0) return `${formatNumber(seconds)} s`
  const min = seconds / 60
  return min % 60 === 0 ? `${min / 60} h` : `${min} min`
}

/** A signed delta ("+12.5", "-0.001", "0"). */
export function formatDelta(value: number | null): string {
  if (value === null) return 'n/a'
  const s = formatNumber(value)
  return value > 0 ? `+${s}` : s
}

/** A signed relative delta as a percentage ("+10.2 %"); null when the base is zero or missing. */
export function formatPercent(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'n/a'
  const pct = value * 100
  const s = Math.abs(pct) >= 100 ? pct.toFixed(0) : pct.toFixed(1)
  return pct > 0 ? `+${s} %` : `${s} %`
}

/** "hops_p99 <= 5" */
export function formatGate(gate: Pick<GateResult, 'metric' | 'op' | 'threshold'>): string {
  return `${gate.metric} ${gate.op} ${formatNumber(gate.threshold)}`
}

/** A stable identity for a gate within one report: metric, op, threshold and window. */
export function gateKey(gate: Pick<GateResult, 'metric' | 'op' | 'threshold' | 'window'>): string {
  return `${gate.metric} ${gate.op} ${gate.threshold} [${gate.window}]`
}

/**
 * A gate's measured value for people; when the metric did not happen (null), "not reached" with
 * the reason and the verdict the scenario gives that case, or "missed" when the system missed
 * what the gate times; never a stand-in figure.
 */
export function gateMeasuredText(gate: Pick<GateResult, 'measured' | 'not_reached' | 'if_not_reached' | 'missed'>, fmt: (v: number) => string = formatNumber): string {
  if (gate.measured !== null) return fmt(gate.measured)
  if (gate.missed === true) return `missed (${gate.not_reached ?? 'not measured'}; fails)`
  return `not reached (${gate.not_reached ?? 'not measured in the window'}; counts as ${gate.if_not_reached ?? 'fail'})`
}

/** Why a gate failed, in one line: "measured 612 ms, needs lookup_p95_ms < 500". */
export function gateFailureMessage(gate: GateResult): string {
  const measured = gate.measured === null ? gateMeasuredText(gate) : `measured ${formatNumber(gate.measured)}`
  return `${measured}; needs ${formatGate(gate)} (window ${gate.window})`
}

/** Pads cells into an aligned plain-text table with a header rule. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n'
}

/**
 * The metric names of a report in the one order every rendering uses (HTML and Markdown alike):
 * the report's own order (the simulator's metrics, then the chaos ones, then rejected_<reason>),
 * then names only a variant has, in the order first seen.
 */
export function orderedMetricNames(report: Pick<Report, 'metrics' | 'variants'>): string[] {
  const names = Object.keys(report.metrics)
  const seen = new Set(names)
  for (const v of report.variants) {
    for (const k of Object.keys(v.metrics)) {
      if (!seen.has(k)) {
        seen.add(k)
        names.push(k)
      }
    }
  }
  return names
}

export type FaultMeasure = 'readiness_flip_s' | 'collapse_s' | 'readiness_lead_s' | 'mttr_s' | 'recovery_s' | 'time_to_alert_s'

/** The fault measures the tables show, with their column titles, in one order for HTML and Markdown. */
export const FAULT_MEASURES: readonly (readonly [FaultMeasure, string])[] = [
  ['readiness_flip_s', 'readiness flip'],
  ['collapse_s', 'collapse'],
  ['readiness_lead_s', 'readiness lead'],
  ['mttr_s', 'MTTR'],
  ['recovery_s', 'recovery'],
  ['time_to_alert_s', 'time to alert'],
]

/** A fault measure's cell: the figure, or what did not happen ("no collapse") when it is null with a reason. */
export function faultMeasureText(f: FaultWindow, k: FaultMeasure, fmt: (v: number) => string = formatDecimal): string {
  const v = f[k]
  if (v !== null && v !== undefined) return fmt(v)
  if (f.notes?.[k] === undefined) return 'n/a'
  if (k === 'collapse_s') return 'no collapse'
  if (f.missed?.includes(k) === true) return k === 'readiness_lead_s' ? 'missed: never flipped' : 'missed'
  if (k === 'readiness_lead_s') return 'no collapse to lead'
  if (k === 'time_to_alert_s') return 'no alert'
  return 'not reached'
}
