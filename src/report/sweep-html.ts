// sweep.html: one chart per gate metric across the sweep grid (x: one swept parameter; one line
// per value of the other parameters, e.g. success vs adversary fraction, one line per disjoint-
// path count) with the gate thresholds drawn, then the table of every cell. Deterministic: lines
// and rows follow the axes' declared value order, never the order cells were written in.
import { paletteColor, type ChartSeries, type ChartSpec, type ChartThreshold } from './chart-spec.js'
import { escapeHtml } from './escape.js'
import { formatNumber } from './format.js'
import { checkGate } from './gate.js'
import { chartBlock, htmlTable, keyValueTable, renderPage } from './html-page.js'
import { shareAxis } from './gate-charts.js'
import { sweepColumns, sweepTable } from './sweep-markdown.js'
import type { SweepAxis, SweepCell, SweepReport } from '../sim/sweep/sweep-types.js'

/** Position of a value in its axis's declared order (unknown values last, in string order). */
function rank(axis: SweepAxis, v: number | string | undefined): number {
  const i = axis.values.findIndex((x) => x === v)
  return i < 0 ? axis.values.length : i
}

function compareCells(axes: readonly SweepAxis[], a: SweepCell, b: SweepCell): number {
  for (const ax of axes) {
    const d = rank(ax, a.params[ax.name]) - rank(ax, b.params[ax.name])
    if (d !== 0) return d
    const sa = String(a.params[ax.name])
    const sb = String(b.params[ax.name])
    if (sa !== sb) return sa < sb ? -1 : 1
  }
  return 0
}

/** The metrics charted: declared, or every gated metric in first-seen order over sorted cells, then the cost columns. */
function plotMetrics(sweep: SweepReport, cells: readonly SweepCell[]): string[] {
  if (sweep.plot?.metrics !== undefined && sweep.plot.metrics.length > 0) return [...sweep.plot.metrics]
  const seen: string[] = []
  for (const c of cells) for (const g of c.gates) if (!seen.includes(g.metric)) seen.push(g.metric)
  for (const m of sweepColumns(sweep)) if (!seen.includes(m)) seen.push(m)
  return seen
}

const isShare = (metric: string): boolean => /(_success|_accuracy|^victim_found)$/.test(metric)

function seriesKey(cell: SweepCell, lineAxes: readonly SweepAxis[]): string {
  return lineAxes.map((a) => `${a.name}=${String(cell.params[a.name])}`).join(', ')
}

function sweepChart(sweep: SweepReport, cells: readonly SweepCell[], metric: string, index: number): { spec: ChartSpec; hasData: boolean } {
  const xAxis = sweep.axes.find((a) => a.name === sweep.plot?.x) ?? sweep.axes[0]
  const id = `chart-sweep-${index}`
  if (xAxis === undefined) return { spec: { id, kind: 'line', xLabel: '', yLabel: metric, series: [] }, hasData: false }
  const groupName = sweep.plot?.group ?? sweep.axes.find((a) => a.name !== xAxis.name)?.name
  const others = sweep.axes.filter((a) => a.name !== xAxis.name)
  // The grouping axis first, then any further axes, so labels read "paths=3, other=..".
  const lineAxes = [...others.filter((a) => a.name === groupName), ...others.filter((a) => a.name !== groupName)]
  const numericX = xAxis.values.every((v) => typeof v === 'number')
  const lines = new Map<string, { x: number; y: number | null }[]>()
  for (const c of cells) {
    const key = seriesKey(c, lineAxes)
    const xv = c.params[xAxis.name]
    const x = numericX && typeof xv === 'number' ? xv : rank(xAxis, xv)
    const list = lines.get(key) ?? []
    list.push({ x, y: c.metrics[metric] ?? null })
    lines.set(key, list)
  }
  const series: ChartSeries[] = [...lines.entries()].map(([label, points], i) => ({
    label: label === '' ? metric : label,
    color: paletteColor(i),
    points: [...points].sort((a, b) => a.x - b.x),
    pointRadius: 3,
  }))
  const seen = new Set<string>()
  const thresholds: ChartThreshold[] = []
  for (const c of cells) {
    for (const g of c.gates) {
      if (g.metric !== metric) continue
      const label = `gate ${g.op} ${formatNumber(g.threshold)}${g.window === 'all' ? '' : ` (${g.window})`}`
      if (seen.has(label)) continue
      seen.add(label)
      thresholds.push({ y: g.threshold, from: null, to: null, label })
    }
  }
  const ys = series.flatMap((s) => (s.points ?? []).map((p) => p.y)).filter((y): y is number => y !== null)
  const hasData = ys.length > 0
  const lo = Math.min(...ys, ...thresholds.map((t) => t.y))
  const hi = Math.max(...ys, ...thresholds.map((t) => t.y))
  const pad = hi > lo ? (hi - lo) * 0.08 : Math.abs(hi) * 0.05 + 0.01
  const spec: ChartSpec = {
    id,
    kind: 'line',
    xLabel: numericX ? xAxis.name : `${xAxis.name} (${xAxis.values.map(String).join(', ')})`,
    yLabel: metric,
    series,
    thresholds,
    // A share stays within [0, 1]; other metrics get room around the values and thresholds, but a
    // metric that cannot be negative never gets a negative axis.
    ...(hasData
      ? isShare(metric)
        ? shareAxis(ys, thresholds.map((t) => t.y))
        : { ySuggestedMin: Math.max(lo >= 0 ? 0 : -Infinity, Number((lo - pad).toPrecision(6))), ySuggestedMax: Number((hi + pad).toPrecision(6)) }
      : {}),
  }
  return { spec, hasData }
}

export function renderSweepHtml(sweep: SweepReport): string {
  const cells = [...sweep.cells].sort((a, b) => compareCells(sweep.axes, a, b))
  const metrics = plotMetrics(sweep, cells)
  const charts = metrics.map((m, i) => ({ metric: m, ...sweepChart(sweep, cells, m, i) }))
  const cellPass = (c: SweepCell): boolean => c.pass && c.gates.length > 0 && c.gates.every((g) => checkGate(g).pass)
  const passed = cells.filter(cellPass).length
  const [header, rows] = sweepTable({ ...sweep, cells })
  const resultCol = sweep.axes.length
  const table = htmlTable(
    [...header, 'report'],
    rows.map((r, i) => [
      ...r.map((cell, j) => (j === resultCol ? (cellPass(cells[i]!) ? '<span class="pass">PASS</span>' : '<span class="fail">FAIL</span>') : escapeHtml(cell))),
      cells[i]!.report_path ? `<a href="${escapeHtml(cells[i]!.report_path!.replace(/report\.json$/, 'report.html'))}">report</a>` : '',
    ]),
  )
  const body = [
    `<h1>dht-sim sweep: ${escapeHtml(sweep.scenario.name)}</h1>`,
    `<p>${passed} of ${cells.length} grid cells pass every gate.</p>`,
    keyValueTable([
      ['seed', `<code>${escapeHtml(sweep.seed)}</code>`],
      ...sweep.axes.map((a): [string, string] => [a.name, escapeHtml(a.values.map(String).join(', '))]),
      ['tool', escapeHtml(`${sweep.tool.name} ${sweep.tool.version}`)],
    ]),
    '<h3>Replay this sweep</h3>',
    `<pre><code id="replay">${escapeHtml(sweep.replay)}</code></pre>`,
    '<h2>Gate metrics across the grid</h2>',
    '<div class="charts">',
    ...charts.map((c) => chartBlock(c.metric, c.spec.id, c.hasData, 'No cell measured this metric.')),
    '</div>',
    '<h2>Cells</h2>',
    table,
    '<h2>Scenario as resolved</h2>',
    `<details><summary>show</summary><pre>${escapeHtml(JSON.stringify(sweep.scenario.resolved, null, 2) ?? 'null')}</pre></details>`,
  ].join('\n')
  return renderPage({
    title: `dht-sim sweep ${sweep.scenario.name}`,
    bodyHtml: body,
    charts: charts.filter((c) => c.hasData).map((c) => c.spec),
  })
}
