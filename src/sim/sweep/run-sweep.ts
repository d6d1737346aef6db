// Theory of operation
// -------------------
// `dht-sim sweep` runs one scenario over a grid of parameters. Every cell is validated before
// any runs (a bad parameter is bad input: nothing is written). Cells run in a pool of at most
// `jobs` worker threads (each takes the next cell when it finishes one), inline only where the
// compiled worker is absent (the sources run by tests); results are put back in grid order, and
// each cell's seed depends only on the master seed and its own parameters, so the sweep's output
// is the same whatever the parallelism. An abort signal (Ctrl-C in the CLI) terminates the pool.
//
// No warm network is shared between cells: a swept parameter (adversary fraction, policy, network
// size) shapes the network from its first event, so cells that differ only after the warm-up
// would be cells of a fault timing; a grid over those should shorten the scenario instead.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runPool } from '../../common/worker-pool.js'
import { InvariantError } from '../../engine/errors.js'
import type { Report } from '../report-types.js'
import { nameFromFile } from '../scenario.js'
import { cellScenario, readRaw, runCell, type CellJob, type CellOutcome } from './cell.js'
import { expandGrid, type Axis, type Cell } from './grid.js'
import { SIM_ERROR_KINDS } from './pool-errors.js'
import { SIM_THREAD_LIMITS, limitSimHeapGrowth } from '../thread-limits.js'
import { SWEEP_SCHEMA_VERSION, type SweepCell, type SweepReport } from './sweep-types.js'

export interface SweepOptions {
  readonly file: string
  readonly axes: readonly Axis[]
  /** Master seed; defaults to the scenario's. */
  readonly seed?: string
  readonly jobs: number
  readonly toolVersion: string
  /**
   * Receives each cell's whole report as the cell finishes (in completion order, not grid order)
   * and returns where it was kept, recorded as the cell's report_path (null: not kept).
   */
  readonly onCellReport?: (cell: Cell, report: Report) => string | null
  /** Called when a cell finishes (progress). */
  readonly onCell?: (done: number, total: number) => void
  /** Extra whole-run metric columns recorded in the sweep (see SweepReport.columns). */
  readonly columns?: readonly string[]
  /** Aborting stops every worker; the sweep then rejects with SweepAbortedError. */
  readonly abort?: AbortSignal
  /**
   * Run only share `index` of `count` (0-based): the cells `shardIndices` deals it. Every cell is
   * still validated. The sweep returned lists only those cells, in grid order; everything else is
   * what the whole sweep has.
   */
  readonly shard?: SweepShard
}

export interface SweepShard {
  readonly index: number
  readonly count: number
}

/** The share that grid cell `k` is dealt to: round robin, each round of `count` cells turned by one. */
export function shardOf(k: number, count: number): number {
  return (k + Math.floor(k / count)) % count
}

/**
 * The grid indices of one share of `total` cells, ascending. The cells are dealt in grid order,
 * one to each share per round of `count` (so shares differ by one cell at most), the round
 * turned by one share each time: plain round robin would give a share the same place in every
 * round, i.e. a single value of the last axis when it has `count` values (the strict cells of a
 * strict/default grid in 2 shares), and the cost of a cell often follows an axis.
 */
export function shardIndices(total: number, shard: SweepShard): number[] {
  const out: number[] = []
  for (let k = 0; k < total; k++) if (shardOf(k, shard.count) === shard.index) out.push(k)
  return out
}

/** The sweep was stopped through its abort signal before every cell finished. */
export class SweepAbortedError extends Error {
  constructor() {
    super('sweep aborted')
    this.name = new.target.name
  }
}

const WORKER_URL = new URL('./worker.js', import.meta.url)

function q(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

export function sweepReplay(file: string, axes: readonly Axis[], seed: string, only?: Cell): string {
  const params = axes.map((a) => `--param ${q(`${a.name}=${only === undefined ? a.values.join(',') : String(only.params[a.name])}`)}`)
  return ['dht-sim sweep', q(file), ...params, '--seed', q(seed)].join(' ')
}

export async function runSweep(o: SweepOptions): Promise<SweepReport> {
  const raw = readRaw(o.file)
  const master = o.seed ?? String((raw as { seed?: unknown }).seed ?? 1)
  const cells = expandGrid(o.axes, master)
  // Validate every cell before running any.
  const resolved = cells.map((c) => cellScenario(raw, o.file, c))
  const chosen = o.shard === undefined ? cells : shardIndices(cells.length, o.shard).map((i) => cells[i]!)
  const jobs: CellJob[] = chosen.map((cell) => ({
    file: o.file,
    cell,
    replay: sweepReplay(o.file, o.axes, master, cell),
    toolVersion: o.toolVersion,
  }))
  // A cell's whole report goes to onCellReport as soon as it is done; the sweep keeps only its figures.
  const finished = (r: CellOutcome): CellFigures => ({
    metrics: r.report.metrics,
    gates: r.report.gates,
    pass: r.report.pass,
    reportPath: o.onCellReport?.(cells[r.index]!, r.report) ?? null,
  })
  const pool = existsSync(fileURLToPath(WORKER_URL))
  if (pool) limitSimHeapGrowth()
  const figures = pool
    ? await runPool({
        workerUrl: WORKER_URL,
        jobs,
        size: o.jobs,
        finished: (_i, r: CellOutcome) => finished(r),
        errors: SIM_ERROR_KINDS,
        resourceLimits: SIM_THREAD_LIMITS,
        crashError: (m) => new InvariantError(`sweep ${m}`),
        abortError: () => new SweepAbortedError(),
        ...(o.onCell !== undefined ? { onDone: o.onCell } : {}),
        ...(o.abort !== undefined ? { abort: o.abort } : {}),
      })
    : runInline(jobs, finished, o.onCell)
  const out: SweepCell[] = chosen.map((cell, i) => {
    const f = figures[i]!
    return { params: cell.params, seed: cell.seed, replay: jobs[i]!.replay, metrics: f.metrics, gates: f.gates, pass: f.pass, report_path: f.reportPath }
  })
  const first = resolved[0]!
  return {
    schema_version: SWEEP_SCHEMA_VERSION,
    kind: 'sweep',
    tool: { name: 'dht-sim', version: o.toolVersion },
    scenario: { name: first.name ?? nameFromFile(o.file), resolved: first },
    seed: master,
    replay: sweepReplay(o.file, o.axes, master),
    axes: o.axes.map((a) => ({ name: a.name, values: [...a.values] })),
    cells: out,
    ...(o.columns !== undefined ? { columns: [...o.columns] } : {}),
  }
}

interface CellFigures {
  readonly metrics: Report['metrics']
  readonly gates: Report['gates']
  readonly pass: boolean
  readonly reportPath: string | null
}

function runInline(jobs: readonly CellJob[], finished: (r: CellOutcome) => CellFigures, onCell?: (done: number, total: number) => void): CellFigures[] {
  return jobs.map((j, i) => {
    const f = finished(runCell(j))
    onCell?.(i + 1, jobs.length)
    return f
  })
}
