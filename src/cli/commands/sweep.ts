// `dht-sim sweep <scenario> --param path=v1,v2 ...`: runs the scenario over the grid of the given
// parameters (in parallel worker threads, deterministic per cell), prints the table of gate
// metrics and chosen cost columns per cell and writes sweep.json, sweep.md (and sweep.html) plus
// each cell's report into the output directory (default reports/<scenario>-sweep/). Progress: one
// line per cell, redrawn in place with the elapsed time and an ETA on a terminal. Exit 0 when
// every cell passes its gates, 1 otherwise, 2 on bad input (nothing written), 130 on Ctrl-C.
// Across machines: `--shard i/n` runs one share of the cells and writes shard-<i>-of-<n>.json
// (exit 0 once written: the gates are judged when the shares are joined), and
// `dht-sim sweep merge <shards or dir> --out DIR` joins the n shares into the files a whole sweep
// writes, byte for byte (src/report/sweep-shard.ts).
import { availableParallelism } from 'node:os'
import { basename, dirname, join } from 'node:path'
import type { Command } from 'commander'
import { BadInputError } from '../../common/errors.js'
import { nameFromFile, readScenarioText } from '../../sim/scenario.js'
import { isMetricName } from '../../sim/metrics.js'
import { isChaosMetricName } from '../../sim/chaos/metric-names.js'
import { parseParams } from '../../sim/sweep/grid.js'
import { runSweep, shardIndices, SweepAbortedError } from '../../sim/sweep/run-sweep.js'
import { DEFAULT_SWEEP_COLUMNS, type SweepReport } from '../../sim/sweep/sweep-types.js'
import type { Report } from '../../sim/report-types.js'
import { ensureDir, prepareOutDir, removeCreatedDirs, writeReportFiles } from '../../report/files.js'
import { textTable } from '../../report/format.js'
import { cellReportPath, renderSweepFiles, writeCellReport } from '../../report/sweep-files.js'
import {
  buildShardFile,
  checkShardName,
  loadShardFile,
  mergeShards,
  parseShard,
  renderMergedFiles,
  renderShardFile,
  sha256Hex,
  shardFileName,
  shardPaths,
} from '../../report/sweep-shard.js'
import { sweepTable } from '../../report/sweep-markdown.js'
import { EXIT_GATE_FAILED, EXIT_OK } from '../exit-codes.js'
import { InterruptedError, onInterrupt, restoreTerminal } from '../interrupt.js'
import { VERSION } from '../version.js'

export interface SweepFlags {
  readonly param?: string[]
  readonly seed?: string
  readonly out?: string
  readonly jobs?: string
  readonly columns?: string
  readonly shard?: string
  readonly quiet?: boolean
}

export interface SweepMergeFlags {
  readonly out: string
  readonly quiet?: boolean
}

/** `--columns a,b`: whole-run metrics shown beside the gates; each must be a metric the report knows. */
export function parseColumns(flag: string | undefined): string[] | undefined {
  if (flag === undefined) return undefined
  const names = flag.split(',').map((x) => x.trim())
  for (const n of names) {
    if (n === '' || !(isMetricName(n) || isChaosMetricName(n))) throw new BadInputError(`--columns: unknown metric ${JSON.stringify(n)} (e.g. ${DEFAULT_SWEEP_COLUMNS.join(',')})`)
  }
  return names
}

/** "1:05" or "1:02:03". */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/** The progress line after `done` of `total` cells: elapsed, and an ETA from the mean cell so far. */
export function progressLine(done: number, total: number, elapsedMs: number): string {
  const eta = done === 0 ? '' : done < total ? `, ETA ${clock((elapsedMs / done) * (total - done))}` : ''
  return `cell ${done}/${total} done, ${clock(elapsedMs)} elapsed${eta}`
}

const SEED_RE = /^[A-Za-z0-9_.:-]{1,100}$/
/** Worker threads at most: this machine has 2 cores. */
const MAX_JOBS = 2

export async function sweepCommand(file: string, flags: SweepFlags): Promise<number> {
  if (flags.seed !== undefined && !SEED_RE.test(flags.seed)) {
    throw new BadInputError(`--seed: must be 1-100 letters, digits, "_", ".", ":" or "-" (got ${JSON.stringify(flags.seed)})`)
  }
  let jobs = Math.min(MAX_JOBS, availableParallelism())
  if (flags.jobs !== undefined) {
    const j = Number(flags.jobs)
    if (!Number.isInteger(j) || j < 1 || j > 64) throw new BadInputError(`--jobs: must be an integer from 1 to 64 (got ${JSON.stringify(flags.jobs)})`)
    jobs = j
  }
  const axes = parseParams(flags.param ?? [])
  if (axes.length === 0) throw new BadInputError('--param: give at least one, e.g. --param adversary.fraction=0,0.1,0.2')
  const columns = parseColumns(flags.columns)
  const shard = flags.shard === undefined ? undefined : parseShard(flags.shard)
  // The identity of a share is the file the cells were run from: hashed before they run.
  const scenarioSha256 = shard === undefined ? '' : sha256Hex(readScenarioText(file))
  const outDir = flags.out ?? join('reports', `${nameFromFile(file)}-sweep`)
  const created = prepareOutDir(outDir)
  const tty = process.stderr.isTTY === true
  const started = performance.now()
  const onCell = (d: number, t: number): void => {
    const line = progressLine(d, t, performance.now() - started)
    process.stderr.write(tty ? `\r\x1b[2K${line}${d === t ? '\n' : ''}` : `${line}\n`)
  }
  const total = axes.reduce((n, a) => n * a.values.length, 1)
  if (!flags.quiet && tty) process.stderr.write(progressLine(0, shard === undefined ? total : shardIndices(total, shard).length, 0))
  const abort = new AbortController()
  let interrupted: NodeJS.Signals | undefined
  const stopListening = onInterrupt((signal) => {
    interrupted = signal
    abort.abort()
  })
  // A share keeps its cells' reports for its shard file; the merge writes them where a whole sweep does.
  const kept = new Map<number, Report>()
  let sweep
  try {
    sweep = await runSweep({
      file,
      axes,
      jobs,
      toolVersion: VERSION,
      onCellReport: (cell, report) => {
        if (shard === undefined) return writeCellReport(outDir, cell, report)
        kept.set(cell.index, report)
        return cellReportPath(cell)
      },
      abort: abort.signal,
      ...(shard !== undefined ? { shard } : {}),
      ...(columns !== undefined ? { columns } : {}),
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      ...(flags.quiet ? {} : { onCell }),
    })
  } catch (err) {
    if (!(err instanceof SweepAbortedError) || interrupted === undefined) throw err
    if (tty) process.stderr.write('\n')
    restoreTerminal()
    // Cells already written stay (each is a whole report); the sweep's own files are not written.
    removeCreatedDirs(created)
    throw new InterruptedError(interrupted)
  } finally {
    stopListening()
  }
  if (shard !== undefined) {
    const name = shardFileName(shard)
    writeReportFiles(outDir, [{ name, contents: renderShardFile(buildShardFile(sweep, shard, total, scenarioSha256, kept)) }])
    if (!flags.quiet) {
      const failed = sweep.cells.filter((c) => !c.pass).length
      process.stdout.write(`share ${shard.index}/${shard.count}: ${sweep.cells.length} of ${total} cells, ${failed} failing a gate\nshard: ${join(outDir, name)} (join the shares with: dht-sim sweep merge <dir> --out DIR)\n`)
    }
    return EXIT_OK
  }
  writeReportFiles(outDir, renderSweepFiles(sweep))
  return finishSweep(sweep, outDir, flags.quiet === true)
}

/** Prints the table and the files (unless quiet); the exit code from the cells' gates. */
function finishSweep(sweep: SweepReport, outDir: string, quiet: boolean): number {
  if (!quiet) {
    const [header, rows] = sweepTable(sweep)
    process.stdout.write(`${textTable(header, rows).trimEnd()}\n\nsweep: ${join(outDir, 'sweep.json')}, ${join(outDir, 'sweep.md')}, ${join(outDir, 'sweep.html')}\n`)
  }
  return sweep.cells.every((c) => c.pass) ? EXIT_OK : EXIT_GATE_FAILED
}

/**
 * `dht-sim sweep merge`: every share read and checked (one sweep, n shares each once) and every
 * file rendered before the first is written; each file is written as temp + rename.
 */
export function sweepMergeCommand(args: readonly string[], flags: SweepMergeFlags): number {
  const shards = shardPaths(args).map((path) => {
    const file = loadShardFile(path)
    checkShardName(path, file)
    return { path, file }
  })
  const merged = mergeShards(shards)
  const files = renderMergedFiles(merged)
  prepareOutDir(flags.out)
  for (const f of files) {
    const dir = join(flags.out, dirname(f.name))
    ensureDir(dir)
    writeReportFiles(dir, [{ name: basename(f.name), contents: f.contents }])
  }
  return finishSweep(merged.sweep, flags.out, flags.quiet === true)
}

export function registerSweep(program: Command): void {
  // `sweep merge --out DIR`: options after the word `merge` belong to merge, not to sweep.
  program.enablePositionalOptions()
  const sweep = program
    .command('sweep')
    .enablePositionalOptions()
    .description('run a scenario over a grid of parameters and tabulate the gate metrics per cell')
    .argument('<scenario>', 'scenario YAML file')
    .option('--param <path=values>', 'a scenario field and its comma-separated values (repeatable), e.g. adversary.fraction=0,0.1', (v: string, prev: string[] = []) => [...prev, v])
    .option('--seed <seed>', 'master seed (each cell derives its own from it and its parameters)')
    .option('--out <dir>', 'output directory (default reports/<scenario>-sweep/)')
    .option('--jobs <n>', `worker threads (default: min(cores, ${MAX_JOBS}))`)
    .option('--columns <metrics>', `whole-run metrics shown beside the gates, comma-separated (default ${DEFAULT_SWEEP_COLUMNS.join(',')})`)
    .option('--shard <i/n>', 'run share i (from 0) of n of the cells (dealt round robin in grid order, each round turned by one); writes shard-<i>-of-<n>.json into --out and exits 0 once written (join the shares with `sweep merge`)')
    .option('--quiet', 'no progress and no table')
    .action(async (file: string, flags: SweepFlags) => {
      process.exitCode = await sweepCommand(file, flags)
    })
  sweep
    .command('merge')
    .description('join the n shares of a sweep (shard-<i>-of-<n>.json files, or directories holding them) into the files the whole sweep writes')
    .argument('<shards...>', 'shard files, or directories holding them')
    .requiredOption('--out <dir>', 'output directory')
    .option('--quiet', 'no table')
    .action((shards: string[], flags: SweepMergeFlags) => {
      process.exitCode = sweepMergeCommand(shards, flags)
    })
}
