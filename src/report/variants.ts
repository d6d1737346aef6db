// A run and its variants side by side (e.g. the eclipse with defences on and off): the verdict,
// each gated metric, and what the settings cost (latency, messages per lookup, success, alerts).
// One table shape for report.html, report.md and summary.md, so the three say the same thing.
import type { GateResult, Report } from '../sim/report-types.js'
import { formatGate, formatNumber, gateMeasuredText } from './format.js'
import { checkGate } from './gate.js'

/** Whole-run figures shown as the cost of a setting, in this order, when the report has them. */
export const COST_METRICS = ['lookup_p95_ms', 'messages_per_lookup', 'lookup_success', 'alerts_fired'] as const

export interface VariantCell {
  /** The figure; empty on the verdict row, where the verdict is all there is. */
  readonly text: string
  /** Set on gate rows: the cell's own verdict. */
  readonly pass?: boolean
}

export interface VariantRow {
  readonly label: string
  /** This run first, then one cell per variant. */
  readonly cells: readonly VariantCell[]
}

function gateCell(g: GateResult | undefined, fmt: (v: number | null) => string): VariantCell {
  if (g === undefined) return { text: 'n/a' }
  return { text: g.measured === null ? gateMeasuredText(g) : fmt(g.measured), pass: checkGate(g).pass }
}

/** Rows of the side-by-side table; empty when the report has no variants. */
export function variantRows(report: Report, fmt: (v: number | null) => string = formatNumber): VariantRow[] {
  if (report.variants.length === 0) return []
  const runs = [{ metrics: report.metrics, gates: report.gates }, ...report.variants]
  const verdict = (gates: readonly GateResult[]): VariantCell => {
    const pass = gates.length > 0 && gates.every((g) => checkGate(g).pass)
    return { text: '', pass }
  }
  const rows: VariantRow[] = [{ label: 'verdict', cells: runs.map((r) => verdict(r.gates)) }]
  for (const g of report.gates) {
    const label = `${formatGate(g)}${g.window === 'all' ? '' : ` (${g.window})`}`
    rows.push({ label, cells: runs.map((r) => gateCell(r.gates.find((x) => x.metric === g.metric && x.window === g.window && x.op === g.op && x.threshold === g.threshold), fmt)) })
  }
  for (const m of COST_METRICS) {
    if (!runs.some((r) => r.metrics[m] !== undefined && r.metrics[m] !== null)) continue
    rows.push({ label: `${m} (cost, whole run)`, cells: runs.map((r) => ({ text: fmt(r.metrics[m] ?? null) })) })
  }
  return rows
}
