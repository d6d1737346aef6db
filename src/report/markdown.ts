// report.md of one run: the verdict, the scenario's description, seed and replay command, the
// variants side by side, the gates and what each judges, the metrics (in the same order as
// report.html), provider success by record age (multi-day runs), the hops histogram, the latency CDF, the series over time, faults and alerts.
import type { Report } from '../sim/report-types.js'
import { gateText } from '../sim/gates.js'
import { escapeMarkdownCell } from './escape.js'
import { FAULT_MEASURES, faultMeasureText, formatDecimal, gateMeasuredText, orderedMetricNames } from './format.js'
import { gateCharts, scenarioDescription } from './gate-charts.js'
import { variantRows } from './variants.js'
import { referenceMarkdown } from './reference.js'
import { recordAgeMarkdown } from './record-age.js'

/** The gate summary as table rows: [status, gate, measured, threshold, window]. */
export function gateRows(report: Report): string[][] {
  return report.gates.map((g) => [g.pass ? 'PASS' : 'FAIL', g.metric, gateMeasuredText(g, formatDecimal), `${g.op} ${g.threshold}`, g.window])
}

export function renderMarkdown(report: Report): string {
  const out: string[] = []
  const verdict = report.gates.length === 0 ? 'no gates' : report.pass ? 'PASS' : 'FAIL'
  out.push(`# dht-sim report: ${report.scenario.name}`, '')
  const description = scenarioDescription(report)
  if (description !== '') out.push(escapeMarkdownCell(description), '')
  out.push(`- result: **${verdict}**`)
  out.push(`- seed: \`${report.seed}\``)
  out.push(`- replay: \`${report.replay}\``)
  out.push(`- virtual duration: ${report.virtual_duration_s} s`)
  out.push(`- tool: ${report.tool.name} ${report.tool.version}`, '')
  out.push(...variantsTable(report))
  if (report.gates.length > 0) {
    out.push('## Gates', '', '| result | gate | measured | window |', '|---|---|---|---|')
    for (const g of report.gates) out.push(`| ${g.pass ? 'PASS' : 'FAIL'} | \`${gateText(g)}\` | ${escapeMarkdownCell(gateMeasuredText(g, formatDecimal))} | ${g.window} |`)
    out.push('')
    const judged = gateCharts(report).flatMap((c) => c.sentences)
    if (judged.length > 0) out.push('### What each gate judges', '', ...judged.map((t) => `- ${escapeMarkdownCell(t)}`), '')
  }
  const names = orderedMetricNames(report)
  const labels = report.variants.map((v) => escapeMarkdownCell(v.label))
  out.push('## Metrics (after warm-up)', '', `| metric | this run |${labels.map((l) => ` ${l} |`).join('')}`, `|---|---|${labels.map(() => '---|').join('')}`)
  for (const k of names) out.push(`| ${k} | ${formatDecimal(report.metrics[k])} |${report.variants.map((v) => ` ${formatDecimal(v.metrics[k])} |`).join('')}`)
  out.push('')
  out.push(...referenceMarkdown(report))
  out.push(...recordAgeMarkdown(report))
  if (report.hops_histogram.length > 0) {
    out.push('## Hops (successful lookups)', '', '| hops | lookups |', '|---|---|')
    report.hops_histogram.forEach((n, i) => {
      if (n > 0) out.push(`| ${i} | ${n} |`)
    })
    out.push('')
  }
  if (report.latency_cdf.length > 0) {
    out.push('## Lookup latency', '', '| fraction | ms |', '|---|---|')
    for (const p of report.latency_cdf) out.push(`| ${p.fraction} | ${formatDecimal(p.ms)} |`)
    out.push('')
  }
  out.push(`## Over time (windows of ${report.series.window_s} s)`, '')
  out.push('| t (s) | lookups | p95 ms | hops p99 | success | online | ready |', '|---|---|---|---|---|---|---|')
  for (const p of report.series.points) {
    out.push(`| ${p.t_s} | ${p.lookups} | ${formatDecimal(p.lookup_p95_ms)} | ${formatDecimal(p.hops_p99)} | ${formatDecimal(p.lookup_success)} | ${p.online_nodes} | ${p.ready_nodes} |`)
  }
  out.push('')
  if (report.faults.length > 0) {
    out.push('## Faults', '', 'Seconds; readiness lead = collapse − readiness flip (positive: /readyz turned first).', '')
    out.push(`| id | kind | from | until |${FAULT_MEASURES.map(([, t]) => ` ${t} |`).join('')}`, `|---|---|---|---|${FAULT_MEASURES.map(() => '---|').join('')}`)
    for (const f of report.faults) {
      out.push(`| ${escapeMarkdownCell(f.id)} | ${f.kind} | ${f.at_s} | ${f.until_s} |${FAULT_MEASURES.map(([k]) => ` ${faultMeasureText(f, k)} |`).join('')}`)
    }
    out.push('')
    const notes: string[] = []
    for (const f of report.faults) {
      const id = escapeMarkdownCell(f.id)
      if (f.flipped_nodes !== undefined) notes.push(`- ${id}: ${f.flipped_nodes} peers flipped not-ready, ${f.false_alarms ?? 0} of them while their own lookups still succeeded (false alarms)`)
      for (const [k, why] of Object.entries(f.notes ?? {})) notes.push(`- ${id}: ${k} ${f.missed?.includes(k) === true ? 'missed' : 'not reached'}: ${escapeMarkdownCell(why)}`)
    }
    if (notes.length > 0) out.push(...notes, '')
  }
  if (report.alerts.length > 0) {
    out.push('## Alerts', '', '| alert | fired (s) | cleared (s) | instances |', '|---|---|---|---|')
    for (const a of report.alerts) out.push(`| ${escapeMarkdownCell(a.name)} | ${a.fired_s} | ${a.cleared_s ?? 'still firing'} | ${formatDecimal(a.instances)} |`)
    out.push('')
  }
  return out.join('\n')
}

/** The run and its variants side by side, at the top (empty without variants). */
function variantsTable(report: Report): string[] {
  const rows = variantRows(report, formatDecimal)
  if (rows.length === 0) return []
  const labels = report.variants.map((v) => escapeMarkdownCell(v.label))
  const cell = (c: { text: string; pass?: boolean }): string => escapeMarkdownCell(c.pass === undefined ? c.text : `${c.text} ${c.pass ? 'PASS' : 'FAIL'}`.trim())
  return [
    '## This run and its variants',
    '',
    "The same scenario and seed with each variant's changes; only this run's gates decide the verdict.",
    '',
    `| | this run |${labels.map((l) => ` ${l} |`).join('')}`,
    `|---|---|${labels.map(() => '---|').join('')}`,
    ...rows.map((r) => `| ${escapeMarkdownCell(r.label)} |${r.cells.map((c) => ` ${cell(c)} |`).join('')}`),
    '',
  ]
}
