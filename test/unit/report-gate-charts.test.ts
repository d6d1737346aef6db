// What each gate judges: one chart per gated (metric, window) from report.metric_series, its
// threshold drawn over the span the window covers, and the sentence that says when the
// per-minute line and the gated whole-window figure disagree. Plus the renderings around it:
// figures never rounded to a whole number, the same metric order in HTML and Markdown, null
// measures as what did not happen, variants side by side at the top.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gateCharts, gateSentence, gateSpan, shareAxis, windowMisses } from '../../src/report/gate-charts.js'
import { formatDecimal, formatNumber, orderedMetricNames } from '../../src/report/format.js'
import { renderHtml } from '../../src/report/html.js'
import { renderMarkdown } from '../../src/report/markdown.js'
import type { ChartSpec } from '../../src/report/chart-spec.js'
import type { GateResult, MetricSeries, Report } from '../../src/sim/report-types.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const load = (name: string): Report => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Report

function specsOf(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)
  if (m === null) throw new Error('no report-data script')
  return (JSON.parse(m[1]!) as { charts: ChartSpec[] }).charts
}

/** A 30-minute run, 5-minute warm-up, a fault from 600 to 1200 s, one p95 gate during it. */
function latencyReport(perMinute: (t: number) => number, measured: number): Report {
  const base = load('drill-loss-fail.json')
  const gate: GateResult = { metric: 'lookup_p95_ms', op: '<', threshold: 800, measured, pass: measured < 800, window: 'during:wan' }
  const points = Array.from({ length: 30 }, (_, i) => ({ t_s: (i + 1) * 60, value: perMinute((i + 1) * 60) }))
  const series: MetricSeries = { metric: 'lookup_p95_ms', window: 'during:wan', kind: 'level', label: 'lookup_p95_ms over each 60 s window', points }
  return {
    ...base,
    scenario: { name: 'latency', resolved: { warmup_s: 300, description: '+300 ms on inter-region links' } },
    virtual_duration_s: 1800,
    series: { window_s: 60, points: [] },
    gates: [gate],
    pass: gate.pass,
    faults: [{ id: 'wan', kind: 'latency', at_s: 600, until_s: 1200 }],
    alerts: [],
    metric_series: [series],
  }
}

describe('gate charts', () => {
  it('the gate span: whole run after warm-up, during and after a fault', () => {
    const r = latencyReport(() => 500, 700)
    expect(gateSpan(r, 'all')).toEqual({ from: 300, to: 1800 })
    expect(gateSpan(r, 'during:wan')).toEqual({ from: 600, to: 1200 })
    expect(gateSpan(r, 'after:wan')).toEqual({ from: 1200, to: 1800 })
  })

  it('charts the gated metric with its threshold over the gate window, the warm-up and the fault shaded', () => {
    const r = latencyReport((t) => (t > 600 && t <= 1200 ? 700 : 100), 700)
    const [c] = gateCharts(r)
    expect(c?.hasData).toBe(true)
    expect(c?.spec.series[0]?.points?.length).toBe(30)
    expect(c?.spec.thresholds).toEqual([{ y: 800, from: 600, to: 1200, label: 'gate < 800 (during:wan)' }])
    expect(c?.spec.bands?.map((b) => [b.from, b.to])).toEqual([
      [0, 300],
      [600, 1200],
    ])
    // The page embeds it and links the gate row to it.
    const html = renderHtml(r)
    expect(specsOf(html).map((s) => s.id)).toContain('chart-gate-0')
    expect(html).toContain('<a href="#chart-gate-0">lookup_p95_ms</a>')
  })

  it('says when the per-minute line crosses the threshold while the gated window passes', () => {
    // Three minutes inside the fault at 1,040 ms, the whole-window p95 at 790 ms: the gate passes.
    const r = latencyReport((t) => (t === 900 || t === 960 || t === 1020 ? 1040 : t === 1500 ? 2000 : 600), 790)
    const g = r.gates[0]!
    expect(windowMisses(r, g, r.metric_series![0]!)).toEqual({ inside: 10, missing: 3 })
    const text = gateSentence(r, g, r.metric_series![0])
    expect(text).toContain('The per-minute lookup_p95_ms misses the threshold in 3 of 10 minutes while the gated whole-window lookup_p95_ms passes; the gate judges the window')
    // The minute after the fault (2,000 ms) is outside the gate's window and not counted.
    expect(renderMarkdown(r)).toContain('misses the threshold in 3 of 10 minutes')
    expect(renderHtml(r)).toContain('misses the threshold in 3 of 10 minutes')
  })

  it('no disagreement sentence when every minute passes', () => {
    const r = latencyReport(() => 600, 650)
    expect(gateSentence(r, r.gates[0]!, r.metric_series![0])).not.toContain('misses')
  })

  it('an MTTR gate is drawn as a deadline after the fault, with its criterion and the measured instant', () => {
    const base = latencyReport(() => 100, 100)
    const gate: GateResult = { metric: 'mttr_s', op: '<', threshold: 300, measured: 45, pass: true, window: 'after:wan' }
    const r: Report = {
      ...base,
      gates: [gate],
      faults: [{ id: 'wan', kind: 'loss', at_s: 600, until_s: 1200, mttr_s: 45 }],
      metric_series: [
        {
          metric: 'mttr_s',
          window: 'after:wan',
          kind: 'elapsed',
          label: 'lookup p95 (ms) over each 60 s window',
          points: [{ t_s: 60, value: 100 }],
          origin_s: 1200,
          criterion: { op: '<', value: 500, label: 'nominal p95 < 500 ms' },
          events: [{ t_s: 1245, label: 'back inside the nominal gates' }],
        },
      ],
    }
    const [c] = gateCharts(r)
    expect(c?.spec.xThresholds).toEqual([{ x: 1500, label: 'gate < 300 s' }])
    expect(c?.spec.thresholds?.[0]?.y).toBe(500)
    expect(c?.spec.marks?.[0]?.x).toBe(1245)
  })

  it('a report written before metric_series still renders, saying there is no series', () => {
    const r = load('drill-loss-fail.json')
    const charts = gateCharts(r)
    expect(charts.length).toBeGreaterThan(0)
    expect(charts.every((c) => !c.hasData)).toBe(true)
    expect(renderHtml(r)).toContain('no per-window series for this gate')
  })

  it('a share axis shows at least the top 1 %, and reaches below the threshold', () => {
    expect(shareAxis([0.9995, 1], [0.999])).toEqual({ yMin: 0.985, yMax: 1 })
    const a = shareAxis([0.62, 0.99], [0.99])
    expect(a.yMin).toBeLessThan(0.62)
    expect(a.yMin).toBeGreaterThanOrEqual(0)
  })
})

describe('figures and order', () => {
  it('never rounds a fraction to a whole number', () => {
    expect(formatNumber(0.999966)).toBe('0.99997')
    expect(formatDecimal(0.999966)).toBe('0.99997')
    expect(formatNumber(0.5)).toBe('0.5')
    expect(formatNumber(612.04)).toBe('612')
    expect(formatDecimal(1)).toBe('1')
  })

  it('HTML and Markdown list the metrics in the same order: the report\'s own', () => {
    const r = load('eclipse-variants.json')
    const names = orderedMetricNames(r)
    expect(names.slice(0, Object.keys(r.metrics).length)).toEqual(Object.keys(r.metrics))
    const html = renderHtml(r)
    const md = renderMarkdown(r)
    const htmlOrder = names.filter((n) => html.includes(`<td>${n}</td>`)).sort((a, b) => html.indexOf(`<td>${a}</td>`) - html.indexOf(`<td>${b}</td>`))
    const mdOrder = names.filter((n) => md.includes(`| ${n} |`)).sort((a, b) => md.indexOf(`| ${a} |`) - md.indexOf(`| ${b} |`))
    expect(htmlOrder).toEqual(names)
    expect(mdOrder).toEqual(names)
  })

  it('puts the description and the variants side by side at the top of HTML and Markdown', () => {
    const r: Report = { ...load('eclipse-variants.json'), scenario: { name: 'eclipse', resolved: { description: 'Sybils around a key', warmup_s: 300 } } }
    const html = renderHtml(r)
    expect(html).toContain('<p class="description">Sybils around a key</p>')
    expect(html.indexOf('This run and its variants')).toBeLessThan(html.indexOf('<h2>Gates</h2>'))
    const md = renderMarkdown(r)
    expect(md.indexOf('Sybils around a key')).toBeLessThan(md.indexOf('## Gates'))
    expect(md.indexOf('## This run and its variants')).toBeLessThan(md.indexOf('## Gates'))
    expect(md).toMatch(/\| messages_per_lookup \(cost, whole run\) \| [0-9.]+ \| [0-9.]+ \|/)
  })

  it('a fault measure that did not happen reads as what did not happen, in HTML as in Markdown', () => {
    const base = load('drill-loss-fail.json')
    const r: Report = {
      ...base,
      faults: [
        {
          ...base.faults[0]!,
          readiness_flip_s: 20,
          collapse_s: null,
          readiness_lead_s: null,
          mttr_s: 40,
          notes: { collapse_s: 'lookups never collapsed while the fault lasted', readiness_lead_s: 'lookups never collapsed: there is no collapse to lead' },
        },
      ],
    }
    const html = renderHtml(r)
    expect(html).toContain('<td class="num">no collapse</td><td class="num">no collapse to lead</td><td class="num">40</td>')
    expect(renderMarkdown(r)).toContain('| 20 | no collapse | no collapse to lead | 40 |')
  })
})
