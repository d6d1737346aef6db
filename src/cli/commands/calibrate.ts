// `dht-sim calibrate <scenario.yaml> [--nodes N] [--seed S] [--out DIR]`: the testbed, then the
// simulator told what the testbed's processes measured, on the same scenario, seed and N,
// compared metric by metric (src/testbed/calibrate.ts).
// Writes both reports (sim/, testbed/) and calibration.json / .md / .html; exit 0 when every
// pair with a tolerance is within it, 1 when one is not, 7 when the testbed was starved of CPU
// (its probe's verdict: the pairs are reported, not judged), 130 when interrupted.
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { loadScenario } from '../../sim/scenario.js'
import { runScenario } from '../../sim/run-scenario.js'
import { renderReportFiles, writeReportFiles } from '../../report/files.js'
import { defaultWorkers, runTestbed, testbedScenario } from '../../testbed/testbed.js'
import { findPrometheus } from '../../testbed/prometheus.js'
import { compareRuns, measuredBackgroundMs, renderCalibrationHtml, renderCalibrationMarkdown, TESTBED_BACKGROUND_CPU_MS, tolerancesOf, withTestbedHosts } from '../../testbed/calibrate.js'
import { EXIT_GATE_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_STARVED } from '../exit-codes.js'
import { VERSION } from '../version.js'
import { checkSeedFlag, intFlag, withInterrupt, type TestbedFlags } from './testbed.js'

/** The same flags as `testbed`: calibrate runs the testbed with them, and the simulator beside it. */
export type CalibrateFlags = TestbedFlags

export async function calibrateCommand(file: string, flags: CalibrateFlags): Promise<number> {
  checkSeedFlag(flags.seed)
  const nodes = intFlag('--nodes', flags.nodes, 2)
  const workers = intFlag('--workers', flags.workers, 1)
  const scenario = loadScenario(file)
  const scaled = testbedScenario(scenario, nodes) // refuses what the testbed cannot run, before anything starts
  const n = scaled.network.peers
  const prometheus = flags.prometheus === false ? undefined : findPrometheus()
  const seed = flags.seed ?? scenario.seed
  const outDir = flags.out ?? join('reports', `${scenario.name}-calibration`)
  // The simulator's peers share processes and cores as the testbed's nodes do.
  const processes = workers ?? defaultWorkers(n, availableParallelism())
  return withInterrupt(async (signal) => {
    if (!flags.quiet) process.stderr.write(`calibrate: testbed, ${n} real nodes\n`)
    const tb = await runTestbed(scenario, { nodes: n, seed, scenarioPath: file, toolVersion: VERSION, signal, pq: flags.pq === true, connectionMonitor: flags.connectionMonitor === true, ...(prometheus !== undefined ? { prometheus } : {}), workers: processes })
    writeReportFiles(join(outDir, 'testbed'), renderReportFiles(tb))
    // Interrupted: what the testbed measured is written, marked partial; nothing to compare it with.
    if (tb.testbed.partial) return EXIT_INTERRUPTED
    // Then the simulator, told the background work the testbed's processes measured in this run.
    const measured = measuredBackgroundMs(tb, scaled.warmup_s, scaled.network.stack)
    const simScenario = withTestbedHosts(scaled, processes, availableParallelism(), measured ?? TESTBED_BACKGROUND_CPU_MS)
    const background = simScenario.network.stack?.hosts?.background_cpu_ms ?? null
    if (!flags.quiet) process.stderr.write(`calibrate: simulator, ${n} peers${background === null ? '' : `, ${background} ms per node per second of background work`}\n`)
    const sim = runScenario(simScenario, { seed, scenarioPath: file, toolVersion: VERSION })
    writeReportFiles(join(outDir, 'sim'), renderReportFiles(sim))
    const declared = scaled.network.stack?.hosts !== undefined
    const cal = { ...compareRuns(sim, tb, n, tolerancesOf(scenario), tb.testbed.probe), background_cpu_ms: background, background_measured: measured !== null && !declared, partial: false, probe: tb.testbed.probe }
    mkdirSync(outDir, { recursive: true })
    writeFileSync(join(outDir, 'calibration.json'), `${JSON.stringify(cal, null, 2)}\n`)
    const md = renderCalibrationMarkdown(cal)
    writeFileSync(join(outDir, 'calibration.md'), md)
    writeFileSync(join(outDir, 'calibration.html'), renderCalibrationHtml(cal))
    if (!flags.quiet) process.stdout.write(`${md}\nwrote ${join(outDir, 'calibration.json')}, calibration.md, calibration.html\n`)
    if (signal.aborted) return EXIT_INTERRUPTED
    if (cal.starved) return EXIT_STARVED
    return cal.pass ? EXIT_OK : EXIT_GATE_FAILED
  })
}

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('run the simulator and the testbed on the same scenario, seed and N; compare metric by metric against tolerances')
    .argument('<scenario>', 'scenario YAML file')
    .option('--nodes <n>', 'peers in both runs (default: the scenario\'s network.peers); the workload is scaled to N')
    .option('--seed <seed>', 'master seed (overrides the scenario)')
    .option('--out <dir>', 'output directory (default reports/<scenario name>-calibration/)')
    .option('--pq', 'run the PQ (ML-DSA-87) challenge on every connection, as production nodes do (off: two signatures per connection are most of the CPU of a many-node testbed)')
    .option('--connection-monitor', 'run libp2p\'s connection monitor (a ping on every connection every 10 s), as production nodes do (off: N nodes on one machine pay N times a node\'s pings, see docs/testbed.md)')
    .option('--no-prometheus', 'do not start Prometheus (no alert timings in the testbed report)')
    .option('--workers <n>', 'testbed worker processes')
    .option('--quiet', 'no progress lines and no summary')
    .action(async (file: string, flags: CalibrateFlags) => {
      process.exitCode = await calibrateCommand(file, flags)
    })
}
