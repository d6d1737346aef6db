// "What each gate judges": one chart per gated (metric, window) from report.metric_series, with
// the gate's threshold drawn over the span its window covers, fault windows and the warm-up
// shaded, and one sentence per gate saying what is gated, and when the per-window line and the
// gated whole-window figure disagree, which of the two the gate judges. Shared by report.html
// (charts and sentences) and report.md (sentences). Pure and deterministic.
import { compare } from '../sim/gates.js'
import type { FaultWindow, GateResult, MetricSeries, Report } from '../sim/report-types.js'
import { COLOR_CRITERION, COLOR_EVENT, COLOR_WARMUP, paletteColor, type ChartBand, type ChartMark, type ChartSpec, type ChartThreshold, type ChartXThreshold } from './chart-spec.js'
import { formatGate, formatNumber, gateMeasuredText } from './format.js'
import { checkGate } from './gate.js'

export interface GateChart {
  /** The gates this chart judges (several gates may share a metric and window). */
  readonly gates: readonly GateResult[]
  readonly series: MetricSeries | undefined
  readonly title: string
  readonly spec: ChartSpec
  readonly hasData: boolean
  readonly empty: string
  /** One line per gate: what it judges; disagreement or "not reached" when there is one. */
  readonly sentences: readonly string[]
}

/** The x-range a gate's window covers: "all" is the run after warm-up, "during"/"after" a fault's span. */
export function gateSpan(report: Report, window: string): { from: number; to: number } {
  const end = report.virtual_duration_s
  const warmup = warmupS(report)
  const sep = window.indexOf(':')
  if (sep < 0) return { from: warmup, to: end }
  const f = report.faults.find((x) => x.id === window.slice(sep + 1))
  if (f === undefined) return { from: warmup, to: end }
  return window.startsWith('during:') ? { from: f.at_s, to: Math.min(f.until_s, end) } : { from: Math.min(f.until_s, end), to: end }
}

/** The scenario's warm-up (s), read from the resolved scenario; 0 when absent. */
export function warmupS(report: Report): number {
  const r = report.scenario.resolved as { warmup_s?: unknown } | null | undefined
  return typeof r?.warmup_s === 'number' && Number.isFinite(r.warmup_s) ? r.warmup_s : 0
}

/** The scenario's one-line description, when it has one. */
export function scenarioDescription(report: Report): string {
  const r = report.scenario.resolved as { description?: unknown } | null | undefined
  return typeof r?.description === 'string' ? r.description : ''
}

/** Fault windows and the warm-up, as chart bands. */
export function timeBands(report: Report): ChartBand[] {
  const w = warmupS(report)
  const bands: ChartBand[] = w > 0 ? [{ from: 0, to: w, label: 'warm-up (not gated)', color: COLOR_WARMUP }] : []
  for (const f of report.faults) bands.push({ from: f.at_s, to: f.until_s, label: `${f.id} (${f.kind})` })
  return bands
}

const isShare = (metric: string): boolean => /(_success|_accuracy|^victim_found)$/.test(metric)
const isCount = (metric: string): boolean => /^(rejected_|load_shed$|lost_lookups$|sybil_suspected$|alerts_fired$|probe_lookups$)/.test(metric)

/** "per-minute" for 60 s windows, "per-30 s" otherwise. */
export function perWindowWord(windowS: number): string {
  return windowS === 60 ? 'per-minute' : `per-${formatNumber(windowS)} s`
}

function unitWord(windowS: number, n: number): string {
  if (windowS === 60) return n === 1 ? 'minute' : 'minutes'
  return n === 1 ? `${formatNumber(windowS)} s window` : `${formatNumber(windowS)} s windows`
}

/** Windows of a level series lying inside the gate's span, and those whose own value misses the gate. */
export function windowMisses(report: Report, g: GateResult, s: MetricSeries): { inside: number; missing: number } {
  const w = report.series.window_s
  const span = gateSpan(report, g.window)
  let inside = 0
  let missing = 0
  for (const p of s.points) {
    // A point is the window ending at t_s; it counts when the window lies inside the span.
    if (p.value === null || p.t_s - w < span.from - 1e-9 || p.t_s > span.to + 1e-9) continue
    inside++
    if (!compare(p.value, g.op, g.threshold)) missing++
  }
  return { inside, missing }
}

/** The sentence under a gate's chart. */
export function gateSentence(report: Report, g: GateResult, s: MetricSeries | undefined): string {
  const c = checkGate(g)
  const verdict = c.pass ? 'PASS' : 'FAIL'
  const head = `${formatGate(g)} (${g.window}): ${verdict}, measured ${gateMeasuredText(g)}.`
  if (s === undefined) return head
  if (s.kind === 'elapsed') return `${head} ${elapsedExplanation(g, s)}`
  const w = report.series.window_s
  const m = windowMisses(report, g, s)
  const scope = g.window === 'all' ? 'the whole run after warm-up' : g.window.startsWith('during:') ? `the whole fault window (${g.window})` : `everything after the fault (${g.window})`
  if (c.pass && g.measured !== null && m.missing > 0) {
    return `${head} The ${perWindowWord(w)} ${g.metric} misses the threshold in ${m.missing} of ${m.inside} ${unitWord(w, m.inside)} while the gated whole-window ${g.metric} passes; the gate judges the window (${scope}).`
  }
  if (!c.pass && g.measured !== null && m.inside > 0 && m.missing === 0) {
    return `${head} Every ${perWindowWord(w)} value passes, but the gate judges ${scope} as one window, and that fails.`
  }
  return `${head} The gate judges ${scope} as one window; the line shows the same figure ${perWindowWord(w)}.`
}

function elapsedExplanation(g: GateResult, s: MetricSeries): string {
  if (g.metric === 'mttr_s' || g.metric === 'recovery_s') {
    return `Counted from the fault's end (the red line is the deadline, ${formatNumber(g.threshold)} s later) until lookups hold ${s.criterion?.label ?? 'the nominal gates'} for the whole hold span.`
  }
  if (g.metric === 'time_to_alert_s') return `Counted from the fault's start until the first alert concerning it fires (the red line is the deadline).`
  if (g.metric === 'readiness_lead_s') {
    return `Lead = collapse − readiness flip: /readyz must turn not-ready (the ready share below ${formatNumber(s.criterion?.value ?? null)}) before lookups collapse (the red line, when they do).`
  }
  return 'Read from the series shown.'
}

function sameGateChart(a: GateResult, b: GateResult): boolean {
  return a.metric === b.metric && a.window === b.window
}

/** The gate charts of a report, one per distinct (metric, window), in gate order. */
export function gateCharts(report: Report): GateChart[] {
  const out: GateChart[] = []
  const series = report.metric_series ?? []
  report.gates.forEach((g) => {
    if (out.some((c) => sameGateChart(c.gates[0]!, g))) return
    const gates = report.gates.filter((x) => sameGateChart(x, g))
    const s = series.find((x) => x.metric === g.metric && x.window === g.window)
    const id = `chart-gate-${out.length}`
    const title = `${g.metric}${g.window === 'all' ? '' : ` (${g.window})`}`
    const sentences = gates.map((x) => gateSentence(report, x, s))
    const spec = s === undefined ? emptySpec(id, g.metric) : s.kind === 'level' ? levelSpec(report, id, gates, s) : elapsedSpec(report, id, gates, s)
    const hasData = s !== undefined && s.points.some((p) => p.value !== null)
    const empty = s === undefined ? 'This report has no per-window series for this gate (written before they existed).' : `No per-window value: ${s.label}.`
    out.push({ gates, series: s, title, spec, hasData, empty, sentences })
  })
  return out
}

function emptySpec(id: string, metric: string): ChartSpec {
  return { id, kind: 'line', xLabel: 'virtual time (s)', yLabel: metric, series: [] }
}

function gateThreshold(report: Report, g: GateResult): ChartThreshold {
  const span = gateSpan(report, g.window)
  return { y: g.threshold, from: span.from, to: span.to, label: `gate ${g.op} ${formatNumber(g.threshold)}${g.window === 'all' ? '' : ` (${g.window})`}` }
}

function levelSpec(report: Report, id: string, gates: readonly GateResult[], s: MetricSeries): ChartSpec {
  const metric = s.metric
  const points = s.points.map((p) => ({ x: p.t_s, y: p.value }))
  const thresholds = gates.map((g) => gateThreshold(report, g))
  const values = points.map((p) => p.y).filter((v): v is number => v !== null)
  const base: ChartSpec = {
    id,
    kind: 'line',
    xLabel: 'virtual time (s)',
    yLabel: s.label,
    series: [{ label: `${metric} (${perWindowWord(report.series.window_s)})`, color: paletteColor(0), points, stepped: /hops/.test(metric), pointRadius: 2 }],
    bands: timeBands(report),
    thresholds,
    xMin: 0,
    xMax: report.virtual_duration_s,
  }
  if (isShare(metric)) return { ...base, ...shareAxis(values, thresholds.map((t) => t.y)) }
  const top = Math.max(0, ...values, ...thresholds.map((t) => t.y))
  // Room above the highest value or threshold; a count gate of "> 0" still gets a visible axis.
  const max = top > 0 ? Number((top * 1.15).toPrecision(6)) : 1
  return { ...base, yMin: 0, ySuggestedMax: isCount(metric) ? Math.max(1, max) : max }
}

/**
 * The y range of a share (success, accuracy): up to 1, down far enough that the threshold sits
 * well inside and a dip is seen, but never so tight that one lost lookup in a thousand looks like
 * a cliff (at least the top 1 % is shown).
 */
export function shareAxis(values: readonly number[], thresholds: readonly number[]): { yMin: number; yMax: number } {
  const lo = Math.min(1, ...values, ...thresholds)
  const span = Math.max(0.01, 1 - lo)
  const yMin = Math.max(0, Math.floor((1 - span * 1.5) * 1000 + 1e-6) / 1000)
  return { yMin, yMax: 1 }
}

function elapsedSpec(report: Report, id: string, gates: readonly GateResult[], s: MetricSeries): ChartSpec {
  const g = gates[0]!
  const points = s.points.map((p) => ({ x: p.t_s, y: p.value }))
  const fault = faultNamed(report.faults, g.window)
  const thresholds: ChartThreshold[] = []
  const xThresholds: ChartXThreshold[] = []
  if (s.criterion !== undefined) thresholds.push({ y: s.criterion.value, from: null, to: null, label: s.criterion.label, color: COLOR_CRITERION })
  for (const x of gates) {
    if (x.metric === 'readiness_lead_s') {
      // Positive lead: readiness flipped before the collapse. The deadline is the collapse itself.
      const collapse = fault?.collapse_s
      if (fault !== undefined && collapse !== null && collapse !== undefined) {
        xThresholds.push({ x: fault.at_s + collapse - x.threshold, label: `flip before collapse (gate ${x.op} ${formatNumber(x.threshold)} s)` })
      }
    } else if (s.origin_s !== undefined) {
      xThresholds.push({ x: s.origin_s + x.threshold, label: `gate ${x.op} ${formatNumber(x.threshold)} s` })
    }
  }
  const marks: ChartMark[] = (s.events ?? []).map((e) => ({ x: e.t_s, label: e.label, color: COLOR_EVENT }))
  const values = points.map((p) => p.y).filter((v): v is number => v !== null)
  const share = g.metric.startsWith('readiness') || g.metric === 'collapse_s'
  const base: ChartSpec = {
    id,
    kind: 'line',
    xLabel: 'virtual time (s)',
    yLabel: s.label,
    series: [{ label: s.label, color: paletteColor(0), points, stepped: g.metric === 'time_to_alert_s', pointRadius: 2 }],
    bands: timeBands(report),
    thresholds,
    xThresholds,
    marks,
    xMin: 0,
    xMax: report.virtual_duration_s,
  }
  if (share) return { ...base, yMin: 0, yMax: 1 }
  const top = Math.max(1, ...values, ...thresholds.map((t) => t.y))
  return { ...base, yMin: 0, ySuggestedMax: Number((top * 1.15).toPrecision(6)) }
}

function faultNamed(faults: readonly FaultWindow[], window: string): FaultWindow | undefined {
  const sep = window.indexOf(':')
  return sep < 0 ? undefined : faults.find((f) => f.id === window.slice(sep + 1))
}
