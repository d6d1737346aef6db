// One sweep cell: the scenario file with the cell's parameters set, validated, run with the
// cell's seed; its report written under <out>/cells/<slug>/ when an output directory is given.
import { join } from 'node:path'
import YAML from 'yaml'
import { BadInputError } from '../../engine/errors.js'
import { nameFromFile, readScenarioText, resolveScenario, type ResolvedScenario } from '../scenario.js'
import { runScenario } from '../run-scenario.js'
import { renderReportFiles, writeReportFiles } from '../report-files.js'
import type { GateResult } from '../report-types.js'
import { cloneRaw, setPath, type Cell } from './grid.js'

export interface CellJob {
  readonly file: string
  readonly cell: Cell
  /** Directory of the sweep; the cell's report goes to <dir>/cells/<slug>/ (none when undefined). */
  readonly outDir?: string
  readonly toolVersion?: string
  /** The replay command of this one cell. */
  readonly replay: string
}

export interface CellOutcome {
  readonly index: number
  readonly metrics: Readonly<Record<string, number | null>>
  readonly gates: readonly GateResult[]
  readonly pass: boolean
  readonly reportPath: string | null
}

/** Reads and parses the scenario file into plain data (bad input: BadInputError). */
export function readRaw(file: string): Record<string, unknown> {
  const text = readScenarioText(file)
  const doc = YAML.parseDocument(text, { prettyErrors: false })
  const err = doc.errors[0]
  if (err !== undefined) throw new BadInputError(`${file}: YAML error: ${err.message.split('\n')[0]}`)
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BadInputError(`${file}: must be a mapping of scenario fields`)
  return raw as Record<string, unknown>
}

/**
 * The scenario of one cell, validated (a bad parameter names its field: exit 2). Comparison
 * variants are dropped: the sweep grid is the comparison.
 */
export function cellScenario(raw: Record<string, unknown>, file: string, cell: Cell): ResolvedScenario {
  const r = cloneRaw(raw)
  delete r.variants
  for (const [k, v] of Object.entries(cell.params)) setPath(r, k, v)
  return resolveScenario(r, `${file} (${cell.label === '' ? 'no parameters' : cell.label})`, nameFromFile(file))
}

export function cellSlug(cell: Cell): string {
  const s = cell.label.replace(/[^A-Za-z0-9_.=-]+/g, '_').replace(/=/g, '-')
  return `${String(cell.index).padStart(3, '0')}${s === '' ? '' : `_${s}`}`.slice(0, 120)
}

export function runCell(job: CellJob): CellOutcome {
  const scenario = cellScenario(readRaw(job.file), job.file, job.cell)
  const report = runScenario(scenario, { seed: job.cell.seed, scenarioPath: job.file, ...(job.toolVersion !== undefined ? { toolVersion: job.toolVersion } : {}) })
  const withReplay = { ...report, replay: job.replay }
  let reportPath: string | null = null
  if (job.outDir !== undefined) {
    const rel = join('cells', cellSlug(job.cell))
    writeReportFiles(join(job.outDir, rel), renderReportFiles(withReplay))
    reportPath = join(rel, 'report.json')
  }
  return { index: job.cell.index, metrics: report.metrics, gates: report.gates, pass: report.pass, reportPath }
}
