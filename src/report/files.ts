// The files of a run's report directory: rendered in memory first (so a failure writes nothing),
// then written atomically. The one place that decides which files a run writes; add a format
// here, nowhere else.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Report } from '../sim/report-types.js'
import { renderHtml } from './html.js'
import { renderMarkdown } from './markdown.js'

export interface ReportFile {
  readonly name: string
  readonly contents: string
}

/** report.json: two-space JSON in the Report's own key order, with a trailing newline. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`
}

/** report.json, report.md and report.html of one run. */
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
