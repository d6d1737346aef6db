// `dht-sim testbed <scenario.yaml> [--nodes N] [--seed S] [--out DIR]`: the scenario on N real
// nodes on 127.0.0.1 (src/testbed), written as the simulator's report (plus a `testbed` section).
// What the testbed cannot run faithfully is refused up front (exit 2, one line naming the field);
// SIGINT stops every node and writes what was measured so far, marked partial (exit 130).
import { join } from 'node:path'
import type { Command } from 'commander'
import { BadInputError } from '../../common/errors.js'
import { loadScenario } from '../../sim/scenario.js'
import { renderReportFiles, writeReportFiles } from '../../report/files.js'
import { runTestbed, testbedScenario } from '../../testbed/testbed.js'
import { findPrometheus } from '../../testbed/prometheus.js'
import { EXIT_GATE_FAILED, EXIT_INTERRUPTED, EXIT_OK } from '../exit-codes.js'
import { VERSION } from '../version.js'
import { summary } from './run.js'

export interface TestbedFlags {
  readonly nodes?: string
  readonly seed?: string
  readonly out?: string
  readonly workers?: string
  readonly pq?: boolean
  readonly connectionMonitor?: boolean
  /** false with --no-prometheus. */
  readonly prometheus?: boolean
  readonly quiet?: boolean
}

const SEED_RE = /^[A-Za-z0-9_.:-]{1,100}$/

/** The --seed flag's one check, shared with calibrate. */
export function checkSeedFlag(seed: string | undefined): void {
  if (seed !== undefined && !SEED_RE.test(seed)) {
    throw new BadInputError(`--seed: must be 1-100 letters, digits, "_", ".", ":" or "-" (got ${JSON.stringify(seed)})`)
  }
}

/** Runs `fn` with a signal that SIGINT/SIGTERM abort, and unhooks both afterwards. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController()
  const onSig = (): void => ac.abort()
  process.on('SIGINT', onSig)
  process.on('SIGTERM', onSig)
  try {
    return await fn(ac.signal)
  } finally {
    process.off('SIGINT', onSig)
    process.off('SIGTERM', onSig)
  }
}

export function intFlag(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v) || Number(v) < min) throw new BadInputError(`${name}: must be an integer >= ${min} (got ${JSON.stringify(v)})`)
  return Number(v)
}

export async function testbedCommand(file: string, flags: TestbedFlags): Promise<number> {
  checkSeedFlag(flags.seed)
  const nodes = intFlag('--nodes', flags.nodes, 2)
  const workers = intFlag('--workers', flags.workers, 1)
  const scenario = loadScenario(file)
  testbedScenario(scenario, nodes) // refuse before anything starts
  const prometheus = flags.prometheus === false ? undefined : findPrometheus()
  const outDir = flags.out ?? join('reports', `${scenario.name}-testbed`)
  return withInterrupt(async (signal) => {
    const report = await runTestbed(scenario, {
      ...(nodes !== undefined ? { nodes } : {}),
      ...(workers !== undefined ? { workers } : {}),
      pq: flags.pq === true,
      connectionMonitor: flags.connectionMonitor === true,
      ...(prometheus !== undefined ? { prometheus } : {}),
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      scenarioPath: file,
      toolVersion: VERSION,
      signal,
      ...(flags.quiet
        ? {}
        : {
            onProgress: (t: number, d: number, on: number, rd: number) =>
              process.stderr.write(`testbed ${Math.round(t / 1000)}/${Math.round(d / 1000)} s, ${on} online, ${rd} ready\n`),
          }),
    })
    writeReportFiles(outDir, renderReportFiles(report))
    if (!flags.quiet) {
      const tb = report.testbed
      process.stdout.write(summary(report, outDir))
      process.stdout.write(
        `testbed: ${tb.nodes} nodes in ${tb.workers} workers, peak RSS ${tb.peak_rss_mb_total} MiB (${tb.rss_mb_per_node} MiB/node), CPU ${tb.cpu_ms_per_node_per_s} ms/node/s${tb.partial ? ', PARTIAL (interrupted)' : ''}\n`,
      )
      const p = tb.probe
      process.stdout.write(
        `probe: CPU wait ${p.cpu_wait_share === null ? 'n/a' : `${Math.round(p.cpu_wait_share * 100)} %`} (${p.cpu_wait_per_run_ms ?? 'n/a'} ms a run), ${p.cpu_ms_per_node_per_s ?? 'n/a'} ms of CPU per node per second in the window, event loop p99 ${p.loop_delay_p99_ms} ms late, ${p.setups} set-ups (p50 ${p.setup_p50_ms} ms, p95 ${p.setup_p95_ms} ms), load ${p.load_avg_start} -> ${p.load_avg_end} on ${p.cores} cores${p.starved ? `: STARVED (${p.starved_because.join('; ')})` : ''}\n`,
      )
    }
    if (report.testbed.partial) return EXIT_INTERRUPTED
    return report.pass ? EXIT_OK : EXIT_GATE_FAILED
  })
}

export function registerTestbed(program: Command): void {
  program
    .command('testbed')
    .description('run a scenario on N real nodes on 127.0.0.1 (real libp2p, user-space link shaper), write the same report as `run`')
    .argument('<scenario>', 'scenario YAML file')
    .option('--nodes <n>', 'real nodes to run (default: the scenario\'s network.peers); the workload is scaled to N')
    .option('--seed <seed>', 'master seed (overrides the scenario)')
    .option('--out <dir>', 'output directory (default reports/<scenario name>-testbed/)')
    .option('--pq', 'run the PQ (ML-DSA-87) challenge on every connection, as production nodes do (off: two signatures per connection are most of the CPU of a many-node testbed)')
    .option('--connection-monitor', 'run libp2p\'s connection monitor (a ping on every connection every 10 s), as production nodes do (off: N nodes on one machine pay N times a node\'s pings, see docs/testbed.md)')
    .option('--no-prometheus', 'do not start Prometheus (no alert timings in the testbed report)')
    .option('--workers <n>', 'worker processes (default: one per 50 nodes, at most one per core, at least 2)')
    .option('--quiet', 'no progress lines and no summary')
    .action(async (file: string, flags: TestbedFlags) => {
      process.exitCode = await testbedCommand(file, flags)
    })
}
