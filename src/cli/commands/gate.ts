// `dht-sim gate [scenarios...]`: the CI gate. Runs every scenario marked `gate: true` (or the
// ones named), prints one table of gates and baseline comparisons, writes reports/gate/summary.md,
// reports/gate/junit.xml and reports/gate/<scenario>/report.{json,md,html}. Exit 0 only when
// every gate holds and no metric regressed beyond its tolerance against reports/baseline.json;
// 1 otherwise; 2 on bad input (nothing written). --update-baseline rewrites the baseline from
// these runs (deliberately: commit the diff) and exits on the gates alone. A scenario that breaks
// an internal invariant is recorded in summary and junit, the others still run, and the exit is 3.
import { appendFileSync, readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { runScenario } from '../../sim/run-scenario.js'
import { loadScenario, type ResolvedScenario } from '../../sim/scenario.js'
import { renderReportFiles } from '../../report/files.js'
import { runGate, type GateSim } from '../../report/gate-run.js'
import { renderGateTable } from '../../report/summary.js'
import { EXIT_GATE_FAILED, EXIT_INTERNAL, EXIT_OK } from '../exit-codes.js'
import { VERSION } from '../version.js'

export interface GateFlags {
  readonly out: string
  readonly baseline: string
  readonly scenariosDir: string
  readonly updateBaseline?: boolean
  readonly quiet?: boolean
}

export const simulatorGateSim: GateSim<ResolvedScenario> = {
  load: (path) => loadScenario(path),
  run: (scenario, path) => runScenario(scenario, { scenarioPath: path, toolVersion: VERSION }),
  files: (report) => renderReportFiles(report),
}

export function gateCommand(scenarios: readonly string[], flags: GateFlags, sim: GateSim<ResolvedScenario> = simulatorGateSim): number {
  const quiet = flags.quiet === true
  const result = runGate(sim, {
    scenarios,
    scenariosDir: flags.scenariosDir,
    outDir: flags.out,
    baselinePath: flags.baseline,
    updateBaseline: flags.updateBaseline === true,
    log: quiet ? undefined : (line) => process.stderr.write(`gate: ${line}\n`),
  })
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
    .option('--quiet', 'print nothing but errors')
    .action((scenarios: string[], flags: GateFlags) => {
      process.exitCode = gateCommand(scenarios, flags)
    })
}
