// Rendering a Report into the files of a report directory, and writing them atomically.
// The single place that decides which files a run writes: report.json, report.md and
// report.html (issue #5's renderer). Add a format here, nowhere else.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { GateResult, Report } from './report-types.js'
import { gateText } from './gates.js'
import { renderHtml } from '../report/html.js'
import { escapeMarkdownCell } from '../report/escape.js'

export interface ReportFile {
  readonly name: string
  readonly contents: string
}

/** report.json: two-space JSON in the Report's own key order, with a trailing newline. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return 'n/a'
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e4) / 1e4)
}

/** The gate summary as table rows: [status, gate, measured, threshold, window]. */
export function gateRows(report: Report): string[][] {
  return report.gates.map((g) => [g.pass ? 'PASS' : 'FAIL', g.metric, measuredText(g), `${g.op} ${g.threshold}`, g.window])
}

/** A gate's measured value, or "not reached" with the reason and the scenario's verdict for it. */
export function measuredText(g: GateResult): string {
  if (g.measured !== null) return fmt(g.measured)
  return `not reached (${g.not_reached ?? 'not measured'}; counts as ${g.if_not_reached ?? 'fail'})`
}

/** A plain-text table for the terminal. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
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
    for (const g of report.gates) out.push(`| ${g.pass ? 'PASS' : 'FAIL'} | \`${gateText(g)}\` | ${escapeMarkdownCell(measuredText(g))} | ${g.window} |`)
    out.push('')
  }
  out.push('## Metrics (after warm-up)', '', '| metric | value |', '|---|---|')
  for (const [k, v] of Object.entries(report.metrics)) out.push(`| ${k} | ${fmt(v)} |`)
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
    for (const p of report.latency_cdf) out.push(`| ${p.fraction} | ${fmt(p.ms)} |`)
    out.push('')
  }
  out.push(`## Over time (windows of ${report.series.window_s} s)`, '')
  out.push('| t (s) | lookups | p95 ms | hops p99 | success | online | ready |', '|---|---|---|---|---|---|---|')
  for (const p of report.series.points) {
    out.push(`| ${p.t_s} | ${p.lookups} | ${fmt(p.lookup_p95_ms)} | ${fmt(p.hops_p99)} | ${fmt(p.lookup_success)} | ${p.online_nodes} | ${p.ready_nodes} |`)
  }
  out.push('')
  if (report.faults.length > 0) {
    out.push('## Faults', '', 'Seconds; readiness lead = collapse − readiness flip (positive: /readyz turned first).', '')
    out.push('| id | kind | from | until | readiness flip | collapse | readiness lead | MTTR | recovery | time to alert |', '|---|---|---|---|---|---|---|---|---|---|')
    for (const f of report.faults) {
      out.push(`| ${escapeMarkdownCell(f.id)} | ${f.kind} | ${f.at_s} | ${f.until_s} | ${fmt(f.readiness_flip_s)} | ${fmt(f.collapse_s)} | ${fmt(f.readiness_lead_s)} | ${fmt(f.mttr_s)} | ${fmt(f.recovery_s)} | ${fmt(f.time_to_alert_s)} |`)
    }
    out.push('')
    for (const f of report.faults) {
      if (f.flipped_nodes !== undefined) out.push(`- ${escapeMarkdownCell(f.id)}: ${f.flipped_nodes} peers flipped not-ready, ${f.false_alarms ?? 0} of them while their own lookups still succeeded (false alarms)`)
      for (const [k, why] of Object.entries(f.notes ?? {})) out.push(`- ${escapeMarkdownCell(f.id)}: ${k} not measured: ${escapeMarkdownCell(why)}`)
    }
    out.push('')
  }
  if (report.alerts.length > 0) {
    out.push('## Alerts', '', '| alert | fired (s) | cleared (s) | instances |', '|---|---|---|---|')
    for (const a of report.alerts) out.push(`| ${escapeMarkdownCell(a.name)} | ${a.fired_s} | ${a.cleared_s ?? 'still firing'} | ${fmt(a.instances)} |`)
    out.push('')
  }
  for (const v of report.variants) {
    const label = escapeMarkdownCell(v.label)
    out.push(`## The same run: ${label}`, '')
    if (v.gates.length > 0) {
      out.push('| result | gate | measured | window |', '|---|---|---|---|')
      for (const g of v.gates) out.push(`| ${g.pass ? 'PASS' : 'FAIL'} | \`${gateText(g)}\` | ${fmt(g.measured)} | ${g.window} |`)
      out.push('')
    }
    out.push(`| metric | this run | ${label} |`, '|---|---|---|')
    for (const [k, val] of Object.entries(v.metrics)) out.push(`| ${k} | ${fmt(report.metrics[k])} | ${fmt(val)} |`)
    out.push('')
  }
  return out.join('\n')
}

/** Every file a run writes, rendered in memory first (so a failure writes nothing). */
export function renderReportFiles(report: Report): ReportFile[] {
  return [
    { name: 'report.json', contents: renderJson(report) },
    { name: 'report.md', contents: renderMarkdown(report) },
    { name: 'report.html', contents: renderHtml(report) },
  ]
}

/** Writes each file as temp + rename, so a reader never sees a half-written report. */
export function writeReportFiles(dir: string, files: readonly ReportFile[]): string[] {
  mkdirSync(dir, { recursive: true })
  const written: string[] = []
  for (const f of files) {
    const target = join(dir, f.name)
    const tmp = `${target}.tmp-${process.pid}`
    try {
      writeFileSync(tmp, f.contents)
      renameSync(tmp, target)
    } catch (err) {
      rmSync(tmp, { force: true })
      throw err
    }
    written.push(target)
  }
  return written
}
