// renderHtml / renderSweepHtml without a browser: structure, escaping of every report string,
// self-containment (no external URL), deterministic bytes and the chart specs it embeds.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { escapeHtml, escapeMarkdownCell, escapeXml, inlineScriptSource, jsonForScript } from '../../src/report/escape.js'
import { activeFaultAt, renderHtml, windowRange } from '../../src/report/html.js'
import { renderSweepHtml } from '../../src/report/sweep-html.js'
import type { SweepReport } from '../../src/sim/sweep/sweep-types.js'
import type { ChartSpec } from '../../src/report/chart-spec.js'
import type { Report } from '../../src/sim/report-types.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const load = <T = Report>(name: string): T => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as T

/** The chart specs embedded in the page. */
function specsOf(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)
  if (m === null) throw new Error('no report-data script')
  return (JSON.parse(m[1]!) as { charts: ChartSpec[] }).charts
}

/** The page without the inlined chart.js bundle (which is someone else's minified text). */
function ownText(html: string): string {
  return html.replace(/<script>\/\*![\s\S]*?<\/script>/, '<script>CHARTJS</script>')
}

describe('escaping', () => {
  it('escapes HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;')
  })
  it('JSON for a script element contains no tag or comment opener and round-trips', () => {
    const value = { s: '</script><!-- & \u2028 \u2029 >' }
    const text = jsonForScript(value)
    expect(text).not.toMatch(/[<>&\u2028\u2029]/)
    expect(JSON.parse(text)).toEqual(value)
  })
  it('inline script source cannot close its element', () => {
    expect(inlineScriptSource('var s = "</SCRIPT><!--"')).toBe('var s = "<\\/SCRIPT><\\!--"')
  })
  it('XML escaping drops characters XML 1.0 forbids', () => {
    expect(escapeXml('a\u0000b\u001bc<&>"\'\n')).toBe('abc&lt;&amp;&gt;&quot;&apos;\n')
  })
  it('Markdown cells cannot split a row or inject HTML', () => {
    expect(escapeMarkdownCell('a|b\nc<img>')).toBe('a\\|b c&lt;img>')
  })
})

describe('renderHtml', () => {
  const report = load('drill-loss-fail.json')
  const html = renderHtml(report)

  it('puts the gate table first, with every gate, measured value, threshold and window', () => {
    const firstTable = html.indexOf('<table>')
    const charts = html.indexOf('<h2>Charts</h2>')
    expect(firstTable).toBeGreaterThan(0)
    expect(firstTable).toBeLessThan(charts)
    const table = html.slice(firstTable, html.indexOf('</table>', firstTable))
    expect(table.match(/<tr>/g)?.length).toBe(1 + report.gates.length)
    expect(table).toContain('<span class="fail">FAIL</span></td><td><a href="#chart-gate-1">lookup_p95_ms</a></td><td>&lt; 800</td><td class="num">912.5</td><td>during:bootstrap-loss</td>')
    expect(html).toContain('<span class="verdict fail">FAIL</span>')
  })

  it('shows the seed and the exact replay command', () => {
    expect(html).toContain('<code>7</code>')
    expect(html).toContain('<pre><code id="replay">dht-sim run scenarios/bootstrap-loss.yaml --seed 7</code></pre>')
  })

  it('is self-contained: chart.js inlined, no external URL, no source map', () => {
    expect(html).toContain('Chart.js v4')
    expect(html).not.toMatch(/sourceMappingURL/)
    expect(ownText(html)).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/i)
    expect(html).toContain(`default-src 'none'`)
  })

  it('is deterministic', () => {
    expect(renderHtml(load('drill-loss-fail.json'))).toBe(html)
  })

  it('embeds one chart per canvas, with fault bands, thresholds over gate windows and alert marks', () => {
    const specs = specsOf(html)
    const canvases = [...html.matchAll(/<canvas id="([^"]+)"/g)].map((m) => m[1])
    expect(specs.map((s) => s.id)).toEqual(canvases)
    expect(canvases).toEqual(['chart-latency-cdf', 'chart-hops', 'chart-p95-time', 'chart-hops-time', 'chart-success-time', 'chart-ready', 'chart-alerts'])
    const p95 = specs.find((s) => s.id === 'chart-p95-time')!
    expect(p95.bands).toEqual([{ from: 1200, to: 1800, label: 'bootstrap-loss (loss)' }])
    expect(p95.thresholds).toEqual([
      { y: 800, from: 1200, to: 1800, label: 'gate < 800 (during:bootstrap-loss)' },
      { y: 500, from: 1800, to: 3600, label: 'gate < 500 (after:bootstrap-loss)' },
    ])
    expect(p95.marks?.filter((m) => m.label.startsWith('▲')).map((m) => m.x)).toEqual([1275, 1216, 2400])
    // An alert still firing at the end has no cleared mark, and its bar runs to the end of the run.
    expect(p95.marks?.filter((m) => m.label.startsWith('▼')).map((m) => m.x)).toEqual([1920, 1815])
    const alerts = specs.find((s) => s.id === 'chart-alerts')!
    expect(alerts.labels).toEqual(['DhtLookupP95High', 'DhtNotReady', 'DhtLookupP95High (2)'])
    expect(alerts.series[0]?.ranges).toEqual([[1275, 1920], [1216, 1815], [2400, 3600]])
    // The y axis reaches past the highest threshold so the line is on the chart.
    expect(p95.ySuggestedMax).toBeGreaterThan(800)
  })

  it('says "no data" instead of drawing an empty chart', () => {
    const empty: Report = { ...report, latency_cdf: [], hops_histogram: [0, 0], alerts: [], series: { window_s: 60, points: [] } }
    const out = renderHtml(empty)
    expect(out).toContain('No lookup completed: no latency distribution.')
    expect(out).toContain('No alert fired.')
    expect(specsOf(out)).toEqual([])
    expect(out).not.toContain('<canvas')
  })

  it('escapes every string that comes from the report', () => {
    const evil = `<script>alert("x")</script>&'`
    const hostile: Report = {
      ...report,
      scenario: { name: evil, resolved: { name: evil } },
      seed: evil,
      replay: evil,
      tool: { name: 'dht-sim', version: evil },
      metrics: { [evil]: 1 },
      gates: report.gates.map((g) => ({ ...g, metric: evil, window: evil })),
      faults: report.faults.map((f) => ({ ...f, id: evil, kind: evil })),
      alerts: report.alerts.map((a) => ({ ...a, name: evil })),
      variants: [{ label: evil, metrics: { [evil]: 2 }, gates: [] }],
    }
    const out = ownText(renderHtml(hostile))
    // The only <script> elements are the three the page itself opens.
    expect(out.match(/<script/g)?.length).toBe(3)
    expect(out).not.toContain('alert("x")')
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;')
    // In the embedded JSON the same strings are \u-escaped, and parse back intact.
    expect(specsOf(out).find((s) => s.id === 'chart-alerts')?.labels?.[0]).toBe(evil)
  })

  it('shows variants beside the run, each with its gates', () => {
    const out = renderHtml(load('eclipse-variants.json'))
    expect(out).toContain('<th>metric</th><th>this run</th><th>defences off</th>')
    expect(out).toContain('<tr><td>verdict</td><td class="num"><span class="pass">PASS</span></td><td class="num"><span class="fail">FAIL</span></td></tr>')
    expect(out).toContain('<tr><td>lookup_success &gt;= 0.99 (during:eclipse)</td><td class="num">0.9952 <span class="pass">PASS</span></td><td class="num">0.7313 <span class="fail">FAIL</span></td></tr>')
    expect(out).toContain('<span class="verdict pass">PASS</span>')
  })

  it('does not trust a pass flag that contradicts the numbers', () => {
    const lying: Report = { ...load('baseline-pass.json') }
    const gates = lying.gates.map((g, i) => (i === 0 ? { ...g, measured: 9 } : g))
    const out = renderHtml({ ...lying, gates })
    expect(out).toContain('<span class="verdict fail">FAIL</span>')
    expect(out).toContain('Failed: hops_p99 &lt;= 5')
  })
})

describe('gate windows on the time axis', () => {
  const faults = [
    { id: 'a', kind: 'loss', at_s: 100, until_s: 200 },
    { id: 'b', kind: 'partition', at_s: 150, until_s: 400 },
  ]
  it('maps all/during/after to x ranges', () => {
    expect(windowRange('all', faults, 1000)).toEqual({ from: null, to: null })
    expect(windowRange('during:a', faults, 1000)).toEqual({ from: 100, to: 200 })
    expect(windowRange('after:b', faults, 1000)).toEqual({ from: 400, to: 1000 })
    expect(windowRange('during:nope', faults, 1000)).toEqual({ from: null, to: null })
  })
  it('attributes an alert to the latest fault active when it fired', () => {
    expect(activeFaultAt(faults, 120)?.id).toBe('a')
    expect(activeFaultAt(faults, 170)?.id).toBe('b')
    expect(activeFaultAt(faults, 500)).toBeUndefined()
  })
})

describe('renderSweepHtml', () => {
  const sweep = load<SweepReport>('sweep-eclipse.json')
  const html = renderSweepHtml(sweep)

  it('charts each gate metric with x = adversary fraction and one line per disjoint-path count', () => {
    const specs = specsOf(html)
    expect(specs.map((s) => s.yLabel)).toEqual(['lookup_success', 'lookup_p95_ms'])
    const success = specs[0]!
    expect(success.xLabel).toBe('adversary_fraction')
    expect(success.series.map((s) => s.label)).toEqual(['disjoint_paths=1', 'disjoint_paths=2', 'disjoint_paths=4'])
    expect(success.series[0]?.points?.map((p) => p.x)).toEqual([0, 0.1, 0.2, 0.3, 0.4])
    const cell = sweep.cells.find((c) => c.params.adversary_fraction === 0.3 && c.params.disjoint_paths === 2)!
    expect(success.series[1]?.points?.[3]?.y).toBe(cell.metrics.lookup_success)
    expect(success.thresholds).toEqual([{ y: 0.99, from: null, to: null, label: 'gate >= 0.99' }])
  })

  it('does not depend on the order the cells were written in', () => {
    const shuffled: SweepReport = { ...sweep, cells: [...sweep.cells].reverse() }
    expect(renderSweepHtml(shuffled)).toBe(html)
  })

  it('counts passing cells and lists failed gates', () => {
    const passing = sweep.cells.filter((c) => c.pass).length
    expect(html).toContain(`<p>${passing} of ${sweep.cells.length} grid cells pass every gate.</p>`)
    expect(html).toContain('<td>0.4</td><td>1</td><td><span class="fail">FAIL</span></td><td>0.6476 ✗</td>')
  })
})
