// The sweep's table per cell: for the terminal, sweep.md and sweep.html. Columns: each parameter,
// the verdict, every gate (metric and window) any cell has with its measured value (✗: failed),
// then the chosen whole-run metrics (default: what a cell costs, p95 and messages per lookup).
// Chosen columns, not every metric: a table that fits a terminal.
import type { SweepReport } from '../sim/sweep/sweep-types.js'
import { DEFAULT_SWEEP_COLUMNS } from '../sim/sweep/sweep-types.js'
import { formatDecimal } from './format.js'

/** The whole-run metric columns of a sweep, minus those a gate column already shows. */
export function sweepColumns(s: SweepReport): string[] {
  const gated = new Set(s.cells.flatMap((c) => c.gates.filter((g) => g.window === 'all').map((g) => g.metric)))
  return [...(s.columns ?? DEFAULT_SWEEP_COLUMNS)].filter((m) => !gated.has(m))
}

/** [header, rows] of the table. */
export function sweepTable(s: SweepReport): [string[], string[][]] {
  const gateCols: { metric: string; window: string; op: string; threshold: number }[] = []
  for (const c of s.cells) {
    for (const g of c.gates) {
      if (!gateCols.some((x) => x.metric === g.metric && x.window === g.window)) gateCols.push({ metric: g.metric, window: g.window, op: g.op, threshold: g.threshold })
    }
  }
  const extra = sweepColumns(s)
  const header = [
    ...s.axes.map((a) => a.name),
    'result',
    ...gateCols.map((g) => `${g.metric}${g.window === 'all' ? '' : ` (${g.window})`} ${g.op} ${g.threshold}`),
    ...extra,
  ]
  const rows = s.cells.map((c) => [
    ...s.axes.map((a) => String(c.params[a.name])),
    c.gates.length === 0 ? 'no gates' : c.pass ? 'PASS' : 'FAIL',
    ...gateCols.map((g) => {
      const r = c.gates.find((x) => x.metric === g.metric && x.window === g.window)
      return r === undefined ? '-' : `${formatDecimal(r.measured)}${r.pass ? '' : ' ✗'}`
    }),
    ...extra.map((m) => formatDecimal(c.metrics[m])),
  ])
  return [header, rows]
}

export function renderSweepMarkdown(s: SweepReport): string {
  const [header, rows] = sweepTable(s)
  const esc = (x: string): string => x.replace(/\|/g, '\\|')
  const out: string[] = [`# dht-sim sweep: ${s.scenario.name}`, '']
  out.push(`- master seed: \`${s.seed}\``, `- replay: \`${s.replay}\``, `- cells: ${s.cells.length} (${s.cells.filter((c) => c.pass).length} pass)`, '')
  out.push(`| ${header.map(esc).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`)
  for (const r of rows) out.push(`| ${r.map(esc).join(' | ')} |`)
  out.push('', 'Each cell: seed derived from the master seed and the cell parameters; replay one with its `replay` command in sweep.json.', '')
  return out.join('\n')
}
