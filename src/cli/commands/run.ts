// `dht-sim run <scenario.yaml>`: load and validate the scenario (bad input: exit 2, nothing
// written), run the simulation (a progress bar on a terminal), write report.json and report.md
// atomically into the output directory, print the gate summary, exit 0 (all gates pass) or 1.
import { join } from 'node:path'
import type { Command } from 'commander'
import cliProgress from 'cli-progress'
import { BadInputError } from '../../common/errors.js'
import { loadScenario } from '../../sim/scenario.js'
import { runScenario } from '../../sim/run-scenario.js'
import { renderReportFiles, writeReportFiles } from '../../report/files.js'
import { textTable } from '../../report/format.js'
import { gateRows } from '../../report/markdown.js'
import type { Report } from '../../sim/report-types.js'
import { EXIT_GATE_FAILED, EXIT_OK } from '../exit-codes.js'
import { VERSION } from '../version.js'

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
  const bar = !flags.quiet && process.stderr.isTTY === true ? progressBar(scenario.duration_s) : undefined
  let report: Report
  try {
    report = runScenario(scenario, {
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      scenarioPath: file,
      toolVersion: VERSION,
      ...(bar ? { onProgress: (v: number) => bar.update(Math.floor(v / 1000)) } : {}),
    })
  } finally {
    bar?.stop()
  }
  writeReportFiles(outDir, renderReportFiles(report))
  if (!flags.quiet) process.stdout.write(summary(report, outDir))
  // Yield once so the progress bar's last redraw is flushed before the process exits.
  await Promise.resolve()
  return report.pass ? EXIT_OK : EXIT_GATE_FAILED
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
  lines.push(`scenario ${report.scenario.name}, seed ${report.seed}, ${report.virtual_duration_s} s virtual`)
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
    .description('run a scenario on the simulator, check its gates, write report.json and report.md')
    .argument('<scenario>', 'scenario YAML file')
    .option('--seed <seed>', 'master seed (overrides the scenario)')
    .option('--out <dir>', 'output directory (default reports/<scenario name>/)')
    .option('--quiet', 'no progress bar and no summary')
    .action(async (file: string, flags: RunFlags) => {
      process.exitCode = await runCommand(file, flags)
    })
}
