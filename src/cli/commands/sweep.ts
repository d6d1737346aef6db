// `dht-sim sweep <scenario> --param path=v1,v2 ...`: runs the scenario over the grid of the given
// parameters (in parallel worker threads, deterministic per cell), prints the table of gate
// metrics per cell and writes sweep.json, sweep.md (and sweep.html) plus each cell's report into
// the output directory (default reports/<scenario>-sweep/). Exit 0 when every cell passes its
// gates, 1 otherwise, 2 on bad input (nothing written).
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { BadInputError } from '../../common/errors.js'
import { nameFromFile } from '../../sim/scenario.js'
import { parseParams } from '../../sim/sweep/grid.js'
import { runSweep } from '../../sim/sweep/run-sweep.js'
import { writeReportFiles } from '../../report/files.js'
import { textTable } from '../../report/format.js'
import { renderSweepFiles, writeCellReport } from '../../report/sweep-files.js'
import { sweepTable } from '../../report/sweep-markdown.js'
import { EXIT_GATE_FAILED, EXIT_OK } from '../exit-codes.js'
import { VERSION } from '../version.js'

export interface SweepFlags {
  readonly param?: string[]
  readonly seed?: string
  readonly out?: string
  readonly jobs?: string
  readonly quiet?: boolean
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
  const outDir = flags.out ?? join('reports', `${nameFromFile(file)}-sweep`)
  const sweep = await runSweep({
    file,
    axes,
    jobs,
    toolVersion: VERSION,
    onCellReport: (cell, report) => writeCellReport(outDir, cell, report),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.quiet ? {} : { onCell: (d: number, t: number) => process.stderr.write(`cell ${d}/${t} done\n`) }),
  })
  writeReportFiles(outDir, renderSweepFiles(sweep))
  if (!flags.quiet) {
    const [header, rows] = sweepTable(sweep)
    process.stdout.write(`${textTable(header, rows).trimEnd()}\n\nsweep: ${join(outDir, 'sweep.json')}, ${join(outDir, 'sweep.md')}, ${join(outDir, 'sweep.html')}\n`)
  }
  return sweep.cells.every((c) => c.pass) ? EXIT_OK : EXIT_GATE_FAILED
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run a scenario over a grid of parameters and tabulate the gate metrics per cell')
    .argument('<scenario>', 'scenario YAML file')
    .option('--param <path=values>', 'a scenario field and its comma-separated values (repeatable), e.g. adversary.fraction=0,0.1', (v: string, prev: string[] = []) => [...prev, v])
    .option('--seed <seed>', 'master seed (each cell derives its own from it and its parameters)')
    .option('--out <dir>', 'output directory (default reports/<scenario>-sweep/)')
    .option('--jobs <n>', `worker threads (default: min(cores, ${MAX_JOBS}))`)
    .option('--quiet', 'no progress and no table')
    .action(async (file: string, flags: SweepFlags) => {
      process.exitCode = await sweepCommand(file, flags)
    })
}
