// `dht-sim run <scenario.yaml>`: load and validate the scenario and check --out (bad input: exit
// 2 at once, nothing written), run the simulation (in a worker thread, a progress bar on a
// terminal), write report.json, report.md and report.html atomically into the output directory,
// print the gate summary, exit 0 (all gates pass) or 1. Ctrl-C or SIGTERM: the terminal is
// restored, nothing is written (an output directory the run created is removed again), the line
// "dht-sim: interrupted" and exit 130.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Command } from 'commander'
import cliProgress from 'cli-progress'
import { BadInputError } from '../../common/errors.js'
import { InvariantError } from '../../engine/errors.js'
import { loadScenario, type ResolvedScenario } from '../../sim/scenario.js'
import { runScenario } from '../../sim/run-scenario.js'
import { SIM_THREAD_LIMITS, limitSimHeapGrowth } from '../../sim/thread-limits.js'
import { prepareOutDir, removeCreatedDirs, renderReportFiles, writeReportFiles } from '../../report/files.js'
import { formatSpan, textTable } from '../../report/format.js'
import { gateRows } from '../../report/markdown.js'
import type { Report } from '../../sim/report-types.js'
import { EXIT_GATE_FAILED, EXIT_OK } from '../exit-codes.js'
import { InterruptedError, onInterrupt, restoreTerminal } from '../interrupt.js'
import { VERSION } from '../version.js'
import type { RunJob, RunReply } from './run-worker.js'

export interface RunFlags {
  readonly seed?: string
  readonly out?: string
  readonly quiet?: boolean
}

const SEED_RE = /^[A-Za-z0-9_.:-]{1,100}$/

/** The whole command; returns the exit code (errors throw typed errors with their own codes). */
export async function runCommand(file: string, flags: RunFlags): Promise<number> {
  if (flags.seed !== undefined && !SEED_RE.test(flags.seed)) {
    throw new BadInputError(`--seed: must be 1-100 letters, digits, "_", ".", ":" or "-" (got ${JSON.stringify(flags.seed)})`)
  }
  const scenario = loadScenario(file)
  const outDir = flags.out ?? join('reports', scenario.name)
  // Checked before minutes of simulation: an unusable --out is exit 2 now, not exit 3 at the end.
  const created = prepareOutDir(outDir)
  const bar = !flags.quiet && process.stderr.isTTY === true ? progressBar(scenario.duration_s) : undefined
  let report: Report
  try {
    report = await simulate(file, scenario, flags, bar)
  } catch (err) {
    bar?.stop()
    if (err instanceof InterruptedError) restoreTerminal()
    removeCreatedDirs(created)
    throw err
  }
  bar?.stop()
  writeReportFiles(outDir, renderReportFiles(report))
  if (!flags.quiet) process.stdout.write(summary(report, outDir))
  return report.pass ? EXIT_OK : EXIT_GATE_FAILED
}

/** The worker's compiled file; absent when the sources run untranspiled (tests): then inline. */
const WORKER_URL = new URL('./run-worker.js', import.meta.url)


function simulate(file: string, scenario: ResolvedScenario, flags: RunFlags, bar: cliProgress.SingleBar | undefined): Promise<Report> {
  const onProgress = bar === undefined ? undefined : (v: number): void => bar.update(Math.floor(v / 1000))
  if (!existsSync(fileURLToPath(WORKER_URL))) {
    return Promise.resolve(
      runScenario(scenario, { ...(flags.seed !== undefined ? { seed: flags.seed } : {}), scenarioPath: file, toolVersion: VERSION, ...(onProgress ? { onProgress } : {}) }),
    )
  }
  return new Promise<Report>((resolve, reject) => {
    const job: RunJob = { file, ...(flags.seed !== undefined ? { seed: flags.seed } : {}), toolVersion: VERSION, progress: onProgress !== undefined }
    limitSimHeapGrowth()
    const worker = new Worker(WORKER_URL, { workerData: job, resourceLimits: SIM_THREAD_LIMITS })
    let settled = false
    let interrupted: NodeJS.Signals | undefined
    const settle = (f: () => void): void => {
      if (settled) return
      settled = true
      stopListening()
      f()
    }
    const stopListening = onInterrupt((signal) => {
      // Stop the simulation; its thread's exit settles the run as interrupted: no report follows.
      interrupted = signal
      void worker.terminate()
    })
    worker.on('message', (m: RunReply) => {
      if ('progress' in m) onProgress?.(m.progress)
      else if ('report' in m) settle(() => resolve(m.report as Report))
      else settle(() => reject(m.kind === 'bad-input' ? new BadInputError(m.error) : new InvariantError(m.error)))
    })
    worker.on('error', (err) => settle(() => reject(new InvariantError(`simulation thread crashed: ${err.message}`))))
    worker.on('exit', (code) =>
      settle(() => reject(interrupted !== undefined ? new InterruptedError(interrupted) : new InvariantError(`simulation thread exited (${code}) without a report`))),
    )
  })
}

function progressBar(totalS: number): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    {
      format: 'virtual {value}/{total} s |{bar}| {percentage}% | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  )
  bar.start(Math.ceil(totalS), 0)
  return bar
}

export function summary(report: Report, outDir: string): string {
  const lines: string[] = []
  const warmup = (report.scenario.resolved as { warmup_s?: unknown } | null)?.warmup_s
  const measured = typeof warmup === 'number' && warmup > 0 ? ` (${formatSpan(warmup)} warm-up, ${formatSpan(report.virtual_duration_s - warmup)} measured)` : ''
  lines.push(`scenario ${report.scenario.name}, seed ${report.seed}, ${formatSpan(report.virtual_duration_s)} virtual${measured}`)
  const m = report.metrics
  const v = (x: number | null | undefined, unit = ''): string => (x === null || x === undefined ? 'n/a' : `${x}${unit}`)
  lines.push(
    `lookups ${v(m.lookups)}, success ${v(m.lookup_success)}, p95 ${v(m.lookup_p95_ms, ' ms')}, hops p99 ${v(m.hops_p99)}, time to ready p99 ${v(m.time_to_ready_p99_s, ' s')}`,
  )
  if (report.gates.length > 0) {
    lines.push('', textTable(['result', 'metric', 'measured', 'threshold', 'window'], gateRows(report)).trimEnd(), '')
    lines.push(report.pass ? 'all gates PASS' : `${report.gates.filter((g) => !g.pass).length} gate(s) FAIL; replay: ${report.replay}`)
  } else {
    lines.push('no gates declared')
  }
  lines.push(`report: ${join(outDir, 'report.json')}, ${join(outDir, 'report.md')}, ${join(outDir, 'report.html')}`)
  return `${lines.join('\n')}\n`
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a scenario on the simulator, check its gates, write report.json, report.md and report.html')
    .argument('<scenario>', 'scenario YAML file')
    .option('--seed <seed>', 'master seed (overrides the scenario)')
    .option('--out <dir>', 'output directory (default reports/<scenario name>/); checked before the run')
    .option('--quiet', 'no progress bar and no summary')
    .action(async (file: string, flags: RunFlags) => {
      process.exitCode = await runCommand(file, flags)
    })
}
