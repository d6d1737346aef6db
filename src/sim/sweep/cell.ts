// One sweep cell: the scenario file with the cell's parameters set, validated, run with the
// cell's seed. The cell's report goes back to whoever runs the sweep (src/report writes it).
import YAML from 'yaml'
import { BadInputError } from '../../common/errors.js'
import { nameFromFile, readScenarioText, resolveScenario, type ResolvedScenario } from '../scenario.js'
import { runScenario } from '../run-scenario.js'
import type { Report } from '../report-types.js'
import { cloneRaw, setPath, type Cell } from './grid.js'

export interface CellJob {
  readonly file: string
  readonly cell: Cell
  readonly toolVersion?: string
  /** The replay command of this one cell. */
  readonly replay: string
}

export interface CellOutcome {
  readonly index: number
  /** The cell's whole report, its replay command the cell's own. */
  readonly report: Report
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

export function runCell(job: CellJob): CellOutcome {
  const scenario = cellScenario(readRaw(job.file), job.file, job.cell)
  const report = runScenario(scenario, { seed: job.cell.seed, scenarioPath: job.file, ...(job.toolVersion !== undefined ? { toolVersion: job.toolVersion } : {}) })
  return { index: job.cell.index, report: { ...report, replay: job.replay } }
}
