// report.html for one run: the verdict and the scenario's description, the variants side by side
// (the gated metric and what the defences cost), the gate table (PASS/FAIL, measured, threshold,
// window), the seed and the exact replay command; then "what each gate judges" (one chart per
// gate of its own metric over time, threshold and window drawn, with a sentence when the
// per-window line and the gated figure disagree), then the general charts (latency CDF on a log
// axis, hops histogram, p95 and hop p99 over time with the warm-up and fault windows shaded,
// success, ready and online nodes, an alert timeline) and the tables behind them, metrics in the
// same order as report.md. Self-contained and deterministic: the same report, the same bytes.
import type { FaultWindow, GateResult, Report } from '../sim/report-types.js'
import {
  COLOR_CLEARED,
  COLOR_FIRED,
  paletteColor,
  type ChartBand,
  type ChartMark,
  type ChartSpec,
  type ChartThreshold,
} from './chart-spec.js'
import { escapeHtml } from './escape.js'
import { FAULT_MEASURES, faultMeasureText, formatGate, formatNumber, gateMeasuredText, orderedMetricNames } from './format.js'
import { checkGate } from './gate.js'
import { gateCharts, scenarioDescription, shareAxis, timeBands, type GateChart } from './gate-charts.js'
import { variantRows } from './variants.js'
import { chartBlock, htmlTable, keyValueTable, renderPage } from './html-page.js'
import { referenceHtml } from './reference.js'
import { recordAgeChart, recordAgeRows } from './record-age.js'

const num = (v: number | null | undefined): string => escapeHtml(formatNumber(v))
const passCell = (pass: boolean): string => (pass ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>')

/** The x-range a gate's window covers: whole run, during a fault, after a fault. */
export function windowRange(window: string, faults: readonly FaultWindow[], durationS: number): { from: number | null; to: number | null } {
  const sep = window.indexOf(':')
  if (sep < 0) return { from: null, to: null }
  const kind = window.slice(0, sep)
  const fault = faults.find((f) => f.id === window.slice(sep + 1))
  if (fault === undefined) return { from: null, to: null }
  if (kind === 'during') return { from: fault.at_s, to: fault.until_s }
  if (kind === 'after') return { from: fault.until_s, to: durationS }
  return { from: null, to: null }
}

function thresholdsFor(report: Report, metric: string): ChartThreshold[] {
  return report.gates
    .filter((g) => g.metric === metric)
    .map((g) => ({ y: g.threshold, ...windowRange(g.window, report.faults, report.virtual_duration_s), label: `gate ${g.op} ${formatNumber(g.threshold)}${g.window === 'all' ? '' : ` (${g.window})`}` }))
}

function bands(report: Report): ChartBand[] {
  return timeBands(report)
}

function alertMarks(report: Report): ChartMark[] {
  const marks: ChartMark[] = []
  for (const a of report.alerts) {
    marks.push({ x: a.fired_s, label: `▲ ${a.name}`, color: COLOR_FIRED })
    if (a.cleared_s !== null) marks.push({ x: a.cleared_s, label: `▼ ${a.name}`, color: COLOR_CLEARED })
  }
  return marks
}

/** Largest of the values and thresholds, with headroom, so threshold lines stay on the chart. */
function suggestedMax(values: readonly (number | null)[], thresholds: readonly ChartThreshold[]): number | undefined {
  let max = -Infinity
  for (const v of values) if (v !== null && v > max) max = v
  for (const t of thresholds) if (t.y > max) max = t.y
  return Number.isFinite(max) && max > 0 ? Number((max * 1.1).toPrecision(6)) : undefined
}

function timeSeriesChart(report: Report, id: string, metric: 'lookup_p95_ms' | 'hops_p99' | 'lookup_success', yLabel: string, color: string): ChartSpec {
  const points = report.series.points.map((p) => ({ x: p.t_s, y: p[metric] }))
  const thresholds = thresholdsFor(report, metric)
  const spec: ChartSpec = {
    id,
    kind: 'line',
    xLabel: 'virtual time (s)',
    yLabel,
    series: [{ label: metric, color, points, stepped: metric === 'hops_p99' }],
    bands: bands(report),
    thresholds,
    marks: alertMarks(report),
    xMin: 0,
    xMax: report.virtual_duration_s,
    ...(metric === 'lookup_success'
      ? shareAxis(
          points.map((p) => p.y).filter((v): v is number => v !== null),
          thresholds.map((t) => t.y),
        )
      : { yMin: 0 }),
  }
  const sMax = metric === 'lookup_success' ? undefined : suggestedMax(points.map((p) => p.y), thresholds)
  return sMax === undefined ? spec : { ...spec, ySuggestedMax: sMax }
}

/** Every chart of the run report: [spec, title, hasData, note when empty]. */
function charts(report: Report): { spec: ChartSpec; title: string; hasData: boolean; empty: string }[] {
  const pts = report.series.points
  const out: { spec: ChartSpec; title: string; hasData: boolean; empty: string }[] = []

  const cdfMarks: ChartMark[] = report.gates
    .filter((g) => g.metric === 'lookup_p95_ms')
    .map((g) => ({ x: g.threshold, label: `p95 gate ${g.op} ${formatNumber(g.threshold)} ms${g.window === 'all' ? '' : ` (${g.window})`}`, color: COLOR_FIRED }))
  out.push({
    title: 'Lookup latency CDF',
    hasData: report.latency_cdf.some((c) => c.ms > 0),
    empty: 'No lookup completed: no latency distribution.',
    spec: {
      id: 'chart-latency-cdf',
      kind: 'line',
      xLabel: 'lookup latency (ms, log scale)',
      yLabel: 'fraction of lookups',
      // A log axis: the body (tens of ms) and the tail (seconds) are both readable.
      series: [{ label: 'CDF', color: paletteColor(0), points: report.latency_cdf.filter((c) => c.ms > 0).map((c) => ({ x: c.ms, y: c.fraction })), pointRadius: 2 }],
      thresholds: [{ y: 0.95, from: null, to: null, label: 'p95', color: '#57606a' }],
      marks: cdfMarks,
      xLog: true,
      yMin: 0,
      yMax: 1,
    },
  })

  const hopMarks: ChartMark[] = report.gates
    .filter((g) => g.metric === 'hops_p99' && g.window === 'all')
    .map((g) => ({ x: g.threshold, label: `hops p99 gate ${g.op} ${formatNumber(g.threshold)}`, color: COLOR_FIRED }))
  out.push({
    title: 'Hops per successful lookup',
    hasData: report.hops_histogram.some((n) => n > 0),
    empty: 'No successful lookup: no hop counts.',
    spec: {
      id: 'chart-hops',
      kind: 'bar',
      xLabel: 'hops',
      yLabel: 'lookups',
      labels: report.hops_histogram.map((_, i) => String(i)),
      series: [{ label: 'lookups', color: paletteColor(0), values: [...report.hops_histogram] }],
      marks: hopMarks,
      yMin: 0,
    },
  })

  const ageChart = recordAgeChart(report)
  if (ageChart !== undefined) out.push(ageChart)

  const hasSeries = pts.length > 0
  out.push({
    title: 'Lookup latency p95 over virtual time',
    hasData: pts.some((p) => p.lookup_p95_ms !== null),
    empty: 'No window had a completed lookup.',
    spec: timeSeriesChart(report, 'chart-p95-time', 'lookup_p95_ms', 'p95 latency (ms)', paletteColor(0)),
  })
  out.push({
    title: 'Hops p99 over virtual time',
    hasData: pts.some((p) => p.hops_p99 !== null),
    empty: 'No window had a successful lookup.',
    spec: timeSeriesChart(report, 'chart-hops-time', 'hops_p99', 'hops p99', paletteColor(1)),
  })
  out.push({
    title: 'Lookup success over virtual time',
    hasData: pts.some((p) => p.lookup_success !== null),
    empty: 'No window had a lookup.',
    spec: timeSeriesChart(report, 'chart-success-time', 'lookup_success', 'success fraction', paletteColor(2)),
  })
  out.push({
    title: 'Ready and online nodes over virtual time',
    hasData: hasSeries,
    empty: 'No time series recorded.',
    spec: {
      id: 'chart-ready',
      kind: 'line',
      xLabel: 'virtual time (s)',
      yLabel: 'nodes',
      series: [
        { label: 'ready', color: paletteColor(2), points: pts.map((p) => ({ x: p.t_s, y: p.ready_nodes })) },
        { label: 'online', color: paletteColor(7), points: pts.map((p) => ({ x: p.t_s, y: p.online_nodes })), dashed: true },
      ],
      bands: bands(report),
      marks: alertMarks(report),
      xMin: 0,
      xMax: report.virtual_duration_s,
      yMin: 0,
    },
  })

  const labels = alertLabels(report)
  out.push({
    title: 'Alerts: fired → cleared',
    hasData: report.alerts.length > 0,
    empty: 'No alert fired.',
    spec: {
      id: 'chart-alerts',
      kind: 'timeline',
      xLabel: 'virtual time (s)',
      yLabel: 'alert',
      labels,
      series: [{ label: 'firing', color: COLOR_FIRED, ranges: report.alerts.map((a) => [a.fired_s, a.cleared_s ?? report.virtual_duration_s] as const) }],
      bands: bands(report),
      xMin: 0,
      xMax: report.virtual_duration_s,
    },
  })
  return out
}

/** One row label per alert record; repeated names get "(2)", "(3)". */
function alertLabels(report: Report): string[] {
  const seen = new Map<string, number>()
  return report.alerts.map((a) => {
    const n = (seen.get(a.name) ?? 0) + 1
    seen.set(a.name, n)
    return n === 1 ? a.name : `${a.name} (${n})`
  })
}

function gateTable(gates: readonly GateResult[], charts: readonly GateChart[] = []): string {
  if (gates.length === 0) return '<p class="fail">This scenario declares no gates.</p>'
  return htmlTable(
    ['result', 'metric', 'threshold', 'measured', 'window'],
    gates.map((g) => {
      const c = checkGate(g)
      const chart = charts.find((x) => x.gates.includes(g))
      const metric = chart === undefined ? escapeHtml(g.metric) : `<a href="#${escapeHtml(chart.spec.id)}">${escapeHtml(g.metric)}</a>`
      return [passCell(c.pass), metric, escapeHtml(`${g.op} ${formatNumber(g.threshold)}`), escapeHtml(gateMeasuredText(g)), escapeHtml(g.window)]
    }),
    [3],
  )
}

function gateChartsSection(charts: readonly GateChart[]): string[] {
  if (charts.length === 0) return []
  return [
    '<h2>What each gate judges</h2>',
    '<p>Each gate\'s own metric over virtual time, one point per series window; the red dashed line is the gate\'s threshold over the span its window covers (a vertical one: a deadline). Shaded: the warm-up (grey, not gated) and fault windows (orange).</p>',
    '<div class="charts">',
    ...charts.map((c) => `<div>${chartBlock(c.title, c.spec.id, c.hasData, c.empty)}${c.sentences.map((t) => `<p class="judges">${escapeHtml(t)}</p>`).join('')}</div>`),
    '</div>',
  ]
}

function metricsTable(report: Report): string {
  const names = orderedMetricNames(report)
  if (names.length === 0) return '<p class="empty">No metrics.</p>'
  const header = ['metric', 'this run', ...report.variants.map((v) => v.label)]
  const rows = names.map((n) => [escapeHtml(n), num(report.metrics[n]), ...report.variants.map((v) => num(v.metrics[n]))])
  return htmlTable(header, rows, header.map((_, i) => i).slice(1))
}

/** provider_success by record age (record-age.ts); '' when the run is too short to have more than one band. */
function recordAgeTable(report: Report): string {
  const rows = recordAgeRows(report)
  if (rows.length === 0) return ''
  return `<h2>Provider success by record age</h2>\n${htmlTable(['record age', 'lookups', 'success'], rows.map((r) => [escapeHtml(r.band), num(r.lookups), num(r.success)]), [1, 2])}`
}

/** The variants beside this run, at the top: verdicts, the gated metrics, and what the defences cost. */
function variantsSection(report: Report): string {
  if (report.variants.length === 0) return ''
  const header = ['', 'this run', ...report.variants.map((v) => v.label)]
  const rows = variantRows(report).map((r) => [
    escapeHtml(r.label),
    ...r.cells.map((c) => (c.pass === undefined ? escapeHtml(c.text) : `${escapeHtml(c.text)} ${passCell(c.pass)}`.trim())),
  ])
  return [
    '<h2>This run and its variants</h2>',
    '<p>The same scenario and seed with the variant\'s changes. Only this run\'s gates decide the verdict; the variants show what its settings buy and what they cost.</p>',
    htmlTable(header, rows, header.map((_, i) => i).slice(1)),
  ].join('\n')
}

function faultsAndAlerts(report: Report): string {
  const parts = ['<h2>Faults and alerts</h2>']
  parts.push(
    report.faults.length === 0
      ? '<p class="empty">No fault injected.</p>'
      : htmlTable(
          ['fault', 'kind', 'from (s)', 'until (s)', ...FAULT_MEASURES.map(([, t]) => `${t} (s)`)],
          report.faults.map((f) => [
            escapeHtml(f.id),
            escapeHtml(f.kind),
            num(f.at_s),
            num(f.until_s),
            ...FAULT_MEASURES.map(([k]) => escapeHtml(faultMeasureText(f, k, formatNumber))),
          ]),
          [2, 3, 4, 5, 6, 7, 8, 9],
        ),
  )
  if (report.faults.length > 0) parts.push('<p>Readiness lead = collapse − readiness flip (positive: /readyz turned first).</p>')
  const notes: string[] = []
  for (const f of report.faults) {
    if (f.flipped_nodes !== undefined) notes.push(`${f.id}: ${f.flipped_nodes} peers flipped not-ready, ${f.false_alarms ?? 0} of them while their own lookups still succeeded (false alarms)`)
    for (const [k, why] of Object.entries(f.notes ?? {})) notes.push(`${f.id}: ${k} ${f.missed?.includes(k) === true ? 'missed' : 'not reached'}: ${why}`)
  }
  if (notes.length > 0) parts.push(`<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`)
  parts.push(
    report.alerts.length === 0
      ? '<p class="empty">No alert fired.</p>'
      : htmlTable(
          ['alert', 'fired (s)', 'cleared (s)', 'after fault start'],
          report.alerts.map((a) => {
            const fault = activeFaultAt(report.faults, a.fired_s)
            const since = fault === undefined ? '' : `${formatNumber(a.fired_s - fault.at_s)} s after ${fault.id}`
            return [escapeHtml(a.name), num(a.fired_s), a.cleared_s === null ? 'still firing' : num(a.cleared_s), escapeHtml(since)]
          }),
          [1, 2],
        ),
  )
  return parts.join('\n')
}

/** Of the faults active at t, the one that started last (ties: the later-listed fault). */
export function activeFaultAt(faults: readonly FaultWindow[], t: number): FaultWindow | undefined {
  let best: FaultWindow | undefined
  for (const f of faults) if (f.at_s <= t && t <= f.until_s && (best === undefined || f.at_s >= best.at_s)) best = f
  return best
}

export function renderHtml(report: Report): string {
  const gatesPass = report.gates.length > 0 && report.gates.every((g) => checkGate(g).pass)
  const verdict = report.pass && gatesPass
  const failed = report.gates.filter((g) => !checkGate(g).pass).map((g) => formatGate(g))
  const chartList = charts(report)
  const perGate = gateCharts(report)
  const description = scenarioDescription(report)
  const body = [
    `<h1>dht-sim report: ${escapeHtml(report.scenario.name)} <span class="verdict ${verdict ? 'pass' : 'fail'}">${verdict ? 'PASS' : 'FAIL'}</span></h1>`,
    description === '' ? '' : `<p class="description">${escapeHtml(description)}</p>`,
    failed.length > 0 ? `<p class="fail">Failed: ${escapeHtml(failed.join(', '))}</p>` : '',
    variantsSection(report),
    '<h2>Gates</h2>',
    gateTable(report.gates, perGate),
    keyValueTable([
      ['seed', `<code>${escapeHtml(report.seed)}</code>`],
      ['virtual duration', `${num(report.virtual_duration_s)} s`],
      ['series window', `${num(report.series.window_s)} s`],
      ['tool', escapeHtml(`${report.tool.name} ${report.tool.version}`)],
      ['report schema', num(report.schema_version)],
    ]),
    '<h3>Replay this run</h3>',
    `<pre><code id="replay">${escapeHtml(report.replay)}</code></pre>`,
    ...gateChartsSection(perGate),
    '<h2>Charts</h2>',
    '<div class="charts">',
    ...chartList.map((c) => chartBlock(c.title, c.spec.id, c.hasData, c.empty)),
    '</div>',
    '<h2>Metrics</h2>',
    metricsTable(report),
    recordAgeTable(report),
    referenceHtml(report),
    faultsAndAlerts(report),
    '<h2>Scenario as resolved</h2>',
    `<details><summary>show</summary><pre>${escapeHtml(JSON.stringify(report.scenario.resolved, null, 2) ?? 'null')}</pre></details>`,
  ]
    .filter((s) => s !== '')
    .join('\n')
  return renderPage({
    title: `dht-sim ${report.scenario.name}: ${verdict ? 'PASS' : 'FAIL'}`,
    bodyHtml: body,
    charts: [...perGate, ...chartList].filter((c) => c.hasData).map((c) => c.spec),
  })
}
