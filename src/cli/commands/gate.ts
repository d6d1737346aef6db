// `dht-sim gate [scenarios...]`: the CI gate. Runs every scenario marked `gate: true` (or the
// ones named), prints one table of gates and baseline comparisons, writes reports/gate/summary.md,
// reports/gate/junit.xml and reports/gate/<scenario>/report.{json,md,html}. Exit 0 only when
// every gate holds and no metric regressed beyond its tolerance against reports/baseline.json;
// 1 otherwise; 2 on bad input (nothing written). --update-baseline rewrites the baseline from
// these runs (deliberately: commit the diff) and exits on the gates alone. A scenario that breaks
// an internal invariant is recorded in summary and junit, the others still run, and the exit is 3.
// `--jobs N` runs the scenarios in N worker threads; every file it writes is the same, byte for
// byte, whatever N (junit.xml's wall times aside), since each scenario is deterministic and the
// outcomes are put back in scenario order before the summary is made.
import { existsSync, appendFileSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { BadInputError } from '../../common/errors.js'
import { runPool } from '../../common/worker-pool.js'
import { InvariantError } from '../../engine/errors.js'
import type { ResolvedScenario } from '../../sim/scenario.js'
import { SIM_ERROR_KINDS } from '../../sim/sweep/pool-errors.js'
import { SIM_THREAD_LIMITS, limitSimHeapGrowth } from '../../sim/thread-limits.js'
import { runGate, runGateWith, type GateRunner, type GateSim, type ScenarioOutcome } from '../../report/gate-run.js'
import { renderGateTable } from '../../report/summary.js'
import { EXIT_GATE_FAILED, EXIT_INTERNAL, EXIT_OK } from '../exit-codes.js'
import type { GateJob } from './gate-worker.js'
import { simulatorGateSim } from './gate-sim.js'

export { simulatorGateSim } from './gate-sim.js'

export interface GateFlags {
  readonly out: string
  readonly baseline: string
  readonly scenariosDir: string
  readonly updateBaseline?: boolean
  readonly quiet?: boolean
  readonly jobs?: string
}

/**
 * Scenarios run one after the other by default: on the loaded 2-core CI machine two workers
 * measured no faster (wall 1.17x at the median) for 1.7x the peak memory (BENCHMARKS.md, "Gate:
 * `--jobs 2` against `--jobs 1`"). Ask for more where cores are idle.
 */
export const DEFAULT_GATE_JOBS = 1
/** Worker threads at most (a limit on everything). */
export const MAX_GATE_JOBS = 64

export function parseGateJobs(flag: string | undefined): number {
  if (flag === undefined) return DEFAULT_GATE_JOBS
  const j = Number(flag)
  if (!/^\d+$/.test(flag.trim()) || !Number.isInteger(j) || j < 1 || j > MAX_GATE_JOBS) throw new BadInputError(`--jobs: must be an integer from 1 to ${MAX_GATE_JOBS} (got ${JSON.stringify(flag)})`)
  return j
}

const WORKER_URL = new URL('./gate-worker.js', import.meta.url)

/** Runs the scenarios in up to `jobs` worker threads, each outcome handed back as it comes. */
export function workerRunner(jobs: number): GateRunner<ResolvedScenario> {
  return async (chosen, done) => {
    limitSimHeapGrowth()
    await runPool<GateJob, ScenarioOutcome, null>({
      workerUrl: WORKER_URL,
      jobs: chosen.map((c) => ({ path: c.path })),
      size: jobs,
      finished: (i, outcome) => {
        done(i, outcome)
        return null
      },
      errors: SIM_ERROR_KINDS,
      resourceLimits: SIM_THREAD_LIMITS,
      crashError: (m) => new InvariantError(`gate ${m}`),
    })
  }
}

export async function gateCommand(scenarios: readonly string[], flags: GateFlags, sim: GateSim<ResolvedScenario> = simulatorGateSim): Promise<number> {
  const quiet = flags.quiet === true
  const jobs = parseGateJobs(flags.jobs)
  const opts = {
    scenarios,
    scenariosDir: flags.scenariosDir,
    outDir: flags.out,
    baselinePath: flags.baseline,
    updateBaseline: flags.updateBaseline === true,
    log: quiet ? undefined : (line: string): boolean => process.stderr.write(`gate: ${line}\n`),
  }
  // Worker threads run the compiled simulator: from the sources (tests) or with another simulator
  // plugged in, the scenarios run on this thread.
  const threads = jobs > 1 && sim === simulatorGateSim && existsSync(fileURLToPath(WORKER_URL))
  if (threads) opts.log?.(`running the scenarios in ${jobs} worker threads`)
  const result = threads ? await runGateWith(sim, opts, workerRunner(jobs)) : runGate(sim, opts)
  const o = result.outcome
  if (!quiet) {
    process.stdout.write(renderGateTable(o))
    process.stdout.write(`wrote ${result.summaryPath}, ${result.junitPath}\n`)
    if (result.baselineWritten !== null) process.stdout.write(`rewrote ${result.baselineWritten}: review and commit the diff\n`)
  }
  appendStepSummary(result.summaryPath)
  if (o.crashes.length > 0) {
    if (!quiet) process.stderr.write(`dht-sim: ${o.crashes.length} scenario(s) broke an internal invariant: ${o.crashes.map((c) => c.message).join('; ')}\n`)
    return EXIT_INTERNAL
  }
  const gatesHold = o.scenarios.every((s) => s.gatesPass)
  return (flags.updateBaseline ? gatesHold : o.pass) ? EXIT_OK : EXIT_GATE_FAILED
}

/** On GitHub Actions, the summary also becomes the job summary. */
function appendStepSummary(summaryPath: string): void {
  const target = process.env.GITHUB_STEP_SUMMARY
  if (target === undefined || target === '') return
  try {
    appendFileSync(target, readFileSync(summaryPath))
  } catch (err) {
    process.stderr.write(`dht-sim: cannot append to GITHUB_STEP_SUMMARY (${(err as Error).message})\n`)
  }
}

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('CI gate: run the gate scenarios, check gates and perf regressions, write summary.md, junit.xml and reports')
    .argument('[scenarios...]', 'scenario files (default: every scenarios/*.yaml with `gate: true`)')
    .option('--out <dir>', 'output directory', 'reports/gate')
    .option('--baseline <file>', 'perf baseline', 'reports/baseline.json')
    .option('--scenarios-dir <dir>', 'where to find gate scenarios when none are named', 'scenarios')
    .option('--update-baseline', 'rewrite the baseline from these runs instead of checking it')
    .option('--jobs <n>', `run the scenarios in n worker threads (default ${DEFAULT_GATE_JOBS}); the files written are the same whatever n`)
    .option('--quiet', 'print nothing but errors')
    .action(async (scenarios: string[], flags: GateFlags) => {
      process.exitCode = await gateCommand(scenarios, flags)
    })
}
