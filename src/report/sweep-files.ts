// The files of a sweep's directory: sweep.json, sweep.md and sweep.html, and each cell's own
// report under cells/<slug>/. The simulator hands every cell's report back; this decides where
// it goes.
import { join } from 'node:path'
import type { Report } from '../sim/report-types.js'
import type { Cell } from '../sim/sweep/grid.js'
import type { SweepReport } from '../sim/sweep/sweep-types.js'
import { renderReportFiles, writeReportFiles, type ReportFile } from './files.js'
import { renderSweepMarkdown } from './sweep-markdown.js'
import { renderSweepHtml } from './sweep-html.js'

/** sweep.json (two-space JSON, trailing newline), sweep.md and sweep.html. */
export function renderSweepFiles(sweep: SweepReport): ReportFile[] {
  return [
    { name: 'sweep.json', contents: `${JSON.stringify(sweep, null, 2)}\n` },
    { name: 'sweep.md', contents: renderSweepMarkdown(sweep) },
    { name: 'sweep.html', contents: renderSweepHtml(sweep) },
  ]
}

/** The cell's directory name: its grid index, then its parameters made safe for a file name. */
export function cellSlug(cell: Cell): string {
  const s = cell.label.replace(/[^A-Za-z0-9_.=-]+/g, '_').replace(/=/g, '-')
  return `${String(cell.index).padStart(3, '0')}${s === '' ? '' : `_${s}`}`.slice(0, 120)
}

/** The cell's report directory relative to the sweep directory: cells/<slug>. */
export function cellReportDir(cell: Cell): string {
  return join('cells', cellSlug(cell))
}

/** Where the cell's report.json goes, relative to the sweep directory (its row's report_path). */
export function cellReportPath(cell: Cell): string {
  return join(cellReportDir(cell), 'report.json')
}

/** Writes one cell's report under <sweepDir>/cells/<slug>/; returns its report.json relative to sweepDir. */
export function writeCellReport(sweepDir: string, cell: Cell, report: Report): string {
  writeReportFiles(join(sweepDir, cellReportDir(cell)), renderReportFiles(report))
  return cellReportPath(cell)
}
