// report.md of one run: the verdict, seed and replay command, the gates, the metrics, the hops
// histogram, the latency CDF, the series over time, faults, alerts and variants.
import type { FaultWindow, Report } from '../sim/report-types.js'
import { gateText } from '../sim/gates.js'
import { escapeMarkdownCell } from './escape.js'
import { formatDecimal, gateMeasuredText } from './format.js'

/** The gate summary as table rows: [status, gate, measured, threshold, window]. */
export function gateRows(report: Report): string[][] {
  return report.gates.map((g) => [g.pass ? 'PASS' : 'FAIL', g.metric, gateMeasuredText(g, formatDecimal), `${g.op} ${g.threshold}`, g.window])
}

export function renderMarkdown(report: Report): string {
  const out: string[] = []
  const verdict = report.gates.length === 0 ? 'no gates' : report.pass ? 'PASS' : 'FAIL'
  out.push(`# dht-sim report: ${report.scenario.name}`, '')
  out.push(`- result: **${verdict}**`)
  out.push(`- seed: \`${report.seed}\``)
  out.push(`- replay: \`${report.replay}\``)
  out.push(`- virtual duration: ${report.virtual_duration_s} s`)
  out.push(`- tool: ${report.tool.name} ${report.tool.version}`, '')
  if (report.gates.length > 0) {
    out.push('## Gates', '', '| result | gate | measured | window |', '|---|---|---|---|')
    for (const g of report.gates) out.push(`| ${g.pass ? 'PASS' : 'FAIL'} | \`${gateText(g)}\` | ${escapeMarkdownCell(gateMeasuredText(g, formatDecimal))} | ${g.window} |`)
    out.push('')
  }
  out.push('## Metrics (after warm-up)', '', '| metric | value |', '|---|---|')
  for (const [k, v] of Object.entries(report.metrics)) out.push(`| ${k} | ${formatDecimal(v)} |`)
  out.push('')
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
    out.push('| id | kind | from | until | readiness flip | collapse | readiness lead | MTTR | recovery | time to alert |', '|---|---|---|---|---|---|---|---|---|---|')
    for (const f of report.faults) {
      const m = (k: FaultMeasure): string => faultMeasureText(f, k)
      out.push(`| ${escapeMarkdownCell(f.id)} | ${f.kind} | ${f.at_s} | ${f.until_s} | ${m('readiness_flip_s')} | ${m('collapse_s')} | ${m('readiness_lead_s')} | ${m('mttr_s')} | ${m('recovery_s')} | ${m('time_to_alert_s')} |`)
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
  for (const v of report.variants) {
    const label = escapeMarkdownCell(v.label)
    out.push(`## The same run: ${label}`, '')
    if (v.gates.length > 0) {
      out.push('| result | gate | measured | window |', '|---|---|---|---|')
      for (const g of v.gates) out.push(`| ${g.pass ? 'PASS' : 'FAIL'} | \`${gateText(g)}\` | ${escapeMarkdownCell(gateMeasuredText(g, formatDecimal))} | ${g.window} |`)
      out.push('')
    }
    out.push(`| metric | this run | ${label} |`, '|---|---|---|')
    for (const [k, val] of Object.entries(v.metrics)) out.push(`| ${k} | ${formatDecimal(report.metrics[k])} | ${formatDecimal(val)} |`)
    out.push('')
  }
  return out.join('\n')
}

type FaultMeasure = 'readiness_flip_s' | 'collapse_s' | 'readiness_lead_s' | 'mttr_s' | 'recovery_s' | 'time_to_alert_s'

/** A fault measure's cell: the figure, or what did not happen ("no collapse") when it is null with a reason. */
function faultMeasureText(f: FaultWindow, k: FaultMeasure): string {
  const v = f[k]
  if (v !== null && v !== undefined) return formatDecimal(v)
  if (f.notes?.[k] === undefined) return 'n/a'
  if (k === 'collapse_s') return 'no collapse'
  if (f.missed?.includes(k) === true) return k === 'readiness_lead_s' ? 'missed: never flipped' : 'missed'
  if (k === 'readiness_lead_s') return 'no collapse to lead'
  return 'not reached'
}
