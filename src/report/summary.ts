// The two human renderings of a gate outcome: the console table `dht-sim gate` prints and
// reports/gate/summary.md (GitHub-flavoured Markdown, fit for $GITHUB_STEP_SUMMARY). One row per
// gate per scenario, with the baseline comparison of that gate's metric on the same row, then one
// row per guarded metric the baseline keeps without a gate; then a link to each scenario's report,
// each variant's results beside its run, and the replay command of each scenario that failed.
// Deterministic: no wall-clock time, rows in scenario order then gate order.
import type { RegressionResult } from './baseline.js'
import { baselineKey } from './baseline.js'
import { escapeMarkdownCell } from './escape.js'
import { formatDelta, formatGate, formatNumber, gateFailureMessage, gateMeasuredText, textTable } from './format.js'
import type { GateOutcome, ScenarioOutcome } from './gate.js'
import { describeTolerance } from './tolerances.js'
import { variantRows } from './variants.js'

const HEADER = ['scenario', 'gate', 'window', 'measured', 'result', 'baseline', 'change', 'tolerance', 'regression'] as const

function regressionCells(r: RegressionResult | undefined, s: ScenarioOutcome, outcome: GateOutcome): string[] {
  if (outcome.baselineUpdated) return ['updated', '', '', '']
  if (!s.regression.hasBaseline || r === undefined) return ['none', '', '', '-']
  const change = r.baseline === null || r.measured === null ? 'n/a' : formatDelta(r.measured - r.baseline)
  const verdict = r.status === 'regressed' ? 'REGRESSED' : r.status === 'new' ? 'new' : 'ok'
  return [formatNumber(r.baseline), change, describeTolerance(r.tolerance), verdict]
}

function rows(outcome: GateOutcome): string[][] {
  const out: string[][] = []
  for (const s of outcome.scenarios) {
    const byKey = new Map(s.regression.results.map((r) => [r.key, r]))
    if (s.gates.length === 0) out.push([s.name, '(no gates declared)', '', '', 'FAIL', '', '', '', ''])
    for (const g of s.gates) {
      const r = byKey.get(baselineKey(g.gate.metric, g.gate.window))
      out.push([
        s.name,
        formatGate(g.gate),
        g.gate.window,
        gateMeasuredText(g.gate),
        g.pass ? 'PASS' : 'FAIL',
        ...regressionCells(r, s, outcome),
      ])
    }
    // Guarded metrics no gate names: kept in the baseline all the same (a regression fails the gate).
    for (const r of s.regression.results) {
      if (!r.gated) out.push([s.name, `${r.key} (baseline only)`, 'all', formatNumber(r.measured), '-', ...regressionCells(r, s, outcome)])
    }
  }
  for (const c of outcome.crashes) out.push([c.name, '(run crashed)', '', '', 'CRASH', '', '', '', ''])
  return out
}

function verdictLine(outcome: GateOutcome): string {
  const n = outcome.scenarios.length + outcome.crashes.length
  const parts = [
    `${n} scenario${n === 1 ? '' : 's'}`,
    ...(outcome.crashes.length > 0 ? [`${outcome.crashes.length} crashed`] : []),
    `${outcome.gatesTotal - outcome.gatesFailed}/${outcome.gatesTotal} gates hold`,
    outcome.baselineUpdated ? 'baseline rewritten' : `${outcome.regressionsTotal} regression${outcome.regressionsTotal === 1 ? '' : 's'}`,
  ]
  return `${outcome.pass ? 'PASS' : 'FAIL'}: ${parts.join(', ')}`
}

/** Notes printed under the table: missing baseline, stale baseline, inconsistent reports. */
function notes(outcome: GateOutcome): string[] {
  const out: string[] = []
  if (outcome.baselineMissing && !outcome.baselineUpdated) {
    out.push('no baseline file: regressions were not checked (write one with `dht-sim gate --update-baseline`)')
  }
  for (const s of outcome.scenarios) {
    if (!outcome.baselineMissing && !outcome.baselineUpdated && !s.regression.hasBaseline) {
      out.push(`${s.name}: not in the baseline: regressions were not checked`)
    }
    for (const w of s.regression.warnings) out.push(`${s.name}: ${w}`)
    for (const g of s.gates) if (g.inconsistency !== null) out.push(`${s.name}: ${formatGate(g.gate)}: ${g.inconsistency}`)
  }
  return out
}

function failures(outcome: GateOutcome): string[] {
  const out: string[] = []
  for (const s of outcome.scenarios) {
    for (const g of s.gates) if (!g.pass) out.push(`${s.name}: gate ${formatGate(g.gate)} failed: ${gateFailureMessage(g.gate)}`)
    for (const r of s.regression.results) if (r.status === 'regressed') out.push(`${s.name}: regression: ${r.message}`)
  }
  for (const c of outcome.crashes) out.push(`${c.name}: crashed (internal invariant): ${c.message}`)
  return out
}

/** The console rendering. */
export function renderGateTable(outcome: GateOutcome): string {
  let text = textTable(HEADER, rows(outcome))
  for (const f of failures(outcome)) text += `FAIL  ${f}\n`
  for (const n of notes(outcome)) text += `note  ${n}\n`
  return text + verdictLine(outcome) + '\n'
}

function mdRow(cells: readonly string[]): string {
  return `| ${cells.map(escapeMarkdownCell).join(' | ')} |`
}

/** reports/gate/summary.md */
export function renderSummaryMarkdown(outcome: GateOutcome): string {
  const lines: string[] = []
  lines.push(`## dht-sim gate: ${outcome.pass ? 'PASS ✅' : 'FAIL ❌'}`, '')
  lines.push(escapeMarkdownCell(verdictLine(outcome)), '')
  lines.push(mdRow(HEADER), `|${HEADER.map(() => '---').join('|')}|`)
  for (const r of rows(outcome)) lines.push(mdRow(r.map((c) => (c === 'FAIL' || c === 'REGRESSED' || c === 'CRASH' ? `**${c}**` : c))))
  lines.push('')
  const f = failures(outcome)
  if (f.length > 0) {
    lines.push('### Failures', '')
    for (const x of f) lines.push(`- ${escapeMarkdownCell(x)}`)
    lines.push('')
  }
  const n = notes(outcome)
  if (n.length > 0) {
    lines.push('### Notes', '')
    for (const x of n) lines.push(`- ${escapeMarkdownCell(x)}`)
    lines.push('')
  }
  lines.push('### Reports', '')
  for (const s of outcome.scenarios) {
    const dir = encodeURIComponent(s.name)
    lines.push(`- ${s.gatesPass && s.regressions === 0 ? 'PASS' : '**FAIL**'} ${escapeMarkdownCell(s.name)}: [report.md](${dir}/report.md), [report.html](${dir}/report.html)`)
  }
  lines.push('')
  for (const s of outcome.scenarios) {
    const rows = variantRows(s.report)
    if (rows.length === 0) continue
    const labels = s.report.variants.map((v) => v.label)
    lines.push(`### ${escapeMarkdownCell(s.name)}: this run and its variants`, '')
    lines.push(mdRow(['', 'this run', ...labels]), `|${['', 'this run', ...labels].map(() => '---').join('|')}|`)
    for (const r of rows) lines.push(mdRow([r.label, ...r.cells.map((c) => (c.pass === undefined ? c.text : `${c.text} ${c.pass ? 'PASS' : 'FAIL'}`.trim()))]))
    lines.push('', "Only this run's gates decide the verdict.", '')
  }
  const failed = outcome.scenarios.filter((s) => !s.gatesPass || s.regressions > 0)
  if (failed.length > 0) {
    lines.push('### Replay the failures', '')
    for (const s of failed) {
      lines.push(`- ${escapeMarkdownCell(s.name)} (seed ${escapeMarkdownCell(s.report.seed)}):`, '', '  ```sh', `  ${s.report.replay.replace(/\r?\n/g, ' ')}`, '  ```', '')
    }
  }
  return lines.join('\n')
}
