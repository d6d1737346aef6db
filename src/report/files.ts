// The files of a run's report directory: rendered in memory first (so a failure writes nothing),
// then written atomically. The one place that decides which files a run writes; add a format
// here, nowhere else.
import { mkdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { BadInputError } from '../common/errors.js'
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

/** The deepest a created output path may be (a limit on everything: the walk below is bounded). */
const MAX_DEPTH = 64

/**
 * Makes `dir` and its missing parents, one level at a time, each tried once: a path that cannot be
 * a directory (under a file, under /dev/null, in /proc or /sys) is bad input at once, never a
 * retry loop. Returns the directories it created, outermost first (to remove them again when a
 * run is interrupted). `what` names the flag in the error ("--out").
 */
export function ensureDir(dir: string, what = '--out'): string[] {
  const missing: string[] = []
  let p = resolve(dir)
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw new BadInputError(`${what}: ${dir}: deeper than ${MAX_DEPTH} levels`)
    let isDir: boolean | undefined
    try {
      isDir = statSync(p).isDirectory()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') throw new BadInputError(`${what}: ${dir}: cannot use ${p} (${code ?? (err as Error).message})`)
    }
    if (isDir === false) throw new BadInputError(`${what}: ${dir}: ${p} exists and is not a directory`)
    if (isDir === true) break
    missing.push(p)
    const up = dirname(p)
    if (up === p) break
    p = up
  }
  const created: string[] = []
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST' && statSync(d, { throwIfNoEntry: false })?.isDirectory() === true) continue
      removeCreatedDirs(created)
      throw new BadInputError(`${what}: ${dir}: cannot create ${d} (${code ?? (err as Error).message})`)
    }
    created.push(d)
  }
  return created
}

/** Removes directories ensureDir created, innermost first, when they are still empty. */
export function removeCreatedDirs(created: readonly string[]): void {
  for (const d of [...created].reverse()) {
    try {
      rmdirSync(d)
    } catch {
      return // not empty (something else wrote there) or already gone: leave the rest
    }
  }
}

/**
 * Checked before a run starts, so a bad --out costs nothing: the directory exists or is created,
 * and a file can be written in it. Returns the directories created (see ensureDir).
 */
export function prepareOutDir(dir: string, what = '--out'): string[] {
  const created = ensureDir(dir, what)
  const probe = join(dir, `.dht-sim-write-test-${process.pid}`)
  try {
    writeFileSync(probe, '')
    rmSync(probe, { force: true })
  } catch (err) {
    removeCreatedDirs(created)
    throw new BadInputError(`${what}: ${dir}: not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  return created
}

/** Writes each file as temp + rename, so a reader never sees a half-written report. */
export function writeReportFiles(dir: string, files: readonly ReportFile[]): string[] {
  ensureDir(dir)
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
