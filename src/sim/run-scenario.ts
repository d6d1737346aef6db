// The simulator as a library function: a resolved scenario in, a Report out. `dht-sim run`,
// `gate`, `sweep` and the HTML report all call this. No files are written here and nothing
// depends on wall-clock time: same scenario + same seed => the same Report, byte for byte.
import { readFileSync } from 'node:fs'
import { BadInputError } from '../common/errors.js'
import { InvariantError } from '../engine/errors.js'
import { SeededRng } from '../engine/rng.js'
import { ChaosRun, hasChaos } from './chaos/chaos-run.js'
import { variantScenario } from './chaos/variants.js'
import { chaosOf } from './faults/chaos-schema.js'
import { Simulation, type EngineFactory } from './simulation.js'
import type { ResolvedScenario } from './scenario.js'
import { checkGates } from './gates.js'
import { metricSeries } from './metric-series.js'
import { REPORT_SCHEMA_VERSION, type Report, type SeriesPoint } from './report-types.js'
import { measureReference } from './reference.js'

export interface RunOptions {
  /** Overrides the scenario's seed (the --seed flag). */
  readonly seed?: string
  /** The scenario file as the user named it: used in the replay command. */
  readonly scenarioPath?: string
  /** Called every few tens of thousands of events with the virtual time (for a progress bar). */
  readonly onProgress?: (virtualMs: number, durationMs: number) => void
  /** Replaces the engine (tests). */
  readonly engineFactory?: EngineFactory
  /** Installs extra models before the run starts (fault rules, service queues). */
  readonly setup?: (sim: Simulation) => void
  /** Metrics of a gate window other than "all" ("during:<fault>", "after:<fault>"). */
  readonly metricsForWindow?: (window: string, sim: Simulation) => Readonly<Record<string, number | null>>
  /** Extra figures appended to report.metrics after the simulator's own (the chaos metrics). */
  readonly extraMetrics?: (sim: Simulation) => Readonly<Record<string, number | null>>
  /** Version written into the report; defaults to package.json's. */
  readonly toolVersion?: string
  /** Each engine checks its invariants every this many of its steps (0: never); defaults to the simulator's sampling. */
  readonly engineInvariantsEvery?: number
}

/** Quantiles at which report.latency_cdf is sampled. */
export const CDF_FRACTIONS = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1] as const

export function replayCommand(scenarioPath: string, seed: string): string {
  const q = (s: string): string => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)
  return `dht-sim run ${q(scenarioPath)} --seed ${q(seed)}`
}

/** Runs the scenario. Broken invariants (and any unexpected error) throw InvariantError with the seed and the replay command. */
export function runScenario(scenario: ResolvedScenario, opts: RunOptions = {}): Report {
  const seed = opts.seed ?? scenario.seed
  const resolved: ResolvedScenario = { ...scenario, seed }
  const path = opts.scenarioPath ?? `scenarios/${scenario.name}.yaml`
  const replay = replayCommand(path, seed)
  let sim: Simulation | undefined
  let chaos: ChaosRun | undefined
  try {
    // Faults, adversaries, alerts and recovery ride on the real engine; a test's fake
    // engine runs without them.
    if (opts.engineFactory === undefined) chaos = new ChaosRun(resolved, chaosOf(resolved), new SeededRng(seed))
    const simOpts = chaos?.simulationOptions(seed) ?? { seed, ...(opts.engineFactory ? { engineFactory: opts.engineFactory } : {}) }
    const every = opts.engineInvariantsEvery
    sim = new Simulation(resolved, every === undefined ? simOpts : { ...simOpts, engineInvariantsEvery: every })
    chaos?.setup(sim)
    opts.setup?.(sim)
    sim.run(opts.onProgress)
    chaos?.finish()
  } catch (err) {
    if (err instanceof BadInputError) throw err
    const e = err as Error
    const at = sim === undefined ? '' : ` at virtual ${(sim.nowMs / 1000).toFixed(3)} s`
    const wrapped = new InvariantError(`${e.message ?? String(err)}${at} (seed ${seed}; replay: ${replay})`)
    wrapped.stack = `${wrapped.stack ?? ''}\ncaused by: ${e.stack ?? String(err)}`
    throw wrapped
  }
  const report = buildReport(sim!, resolved, replay, opts.toolVersion ?? packageVersion(), opts, chaos)
  const variantSpecs = resolved.variants ?? []
  if (variantSpecs.length === 0) return report
  // The same run with the variant's changes (e.g. defences off), shown beside this one.
  const variants = variantSpecs.map((v) => {
    const r = runScenario(variantScenario(resolved, v), { ...opts, seed, onProgress: undefined, setup: undefined })
    return { label: v.label, metrics: r.metrics, gates: r.gates }
  })
  return { ...report, variants }
}

function buildReport(sim: Simulation, scenario: ResolvedScenario, replay: string, version: string, opts: RunOptions, chaos?: ChaosRun): Report {
  const warmupMs = scenario.warmup_s * 1000
  const endMs = sim.durationMs
  // Without chaos, a run with the detector on (the strict profile) still reports what it flagged:
  // on a clean network every detection is a false alarm.
  const detector: Record<string, number> = chaos !== undefined && scenario.dht.policy === 'strict' ? { sybil_suspected: chaos.detections('all') } : {}
  const chaosMetrics = chaos !== undefined && hasChaos(chaosOf(scenario)) ? chaos.metricsFor('all') : detector
  const metrics: Record<string, number | null> = { ...sim.metrics.compute(warmupMs, endMs), ...chaosMetrics, ...opts.extraMetrics?.(sim) }
  const gates = checkGates(scenario.gates, (window) => {
    if (chaos !== undefined) return window === 'all' ? { ...chaos.gateMetrics('all'), ...metrics } : chaos.gateMetrics(window)
    if (window === 'all') return metrics
    if (opts.metricsForWindow !== undefined) return opts.metricsForWindow(window, sim)
    throw new InvariantError(`gate window "${window}" has no fault to measure`)
  }, chaos !== undefined ? (window) => chaos.nullReasons(window) : undefined, chaos !== undefined ? (window) => chaos.missedMeasures(window) : undefined)
  const windowMs = scenario.metrics.window_s * 1000
  const windows = sim.metrics.windows(windowMs, endMs)
  const points: SeriesPoint[] = windows.map((w, i) => {
    const sample = sim.samples[i]
    return {
      t_s: Math.min((i + 1) * scenario.metrics.window_s, scenario.duration_s),
      lookups: w.lookups,
      lookup_p95_ms: w.p95,
      hops_p99: w.hops99,
      lookup_success: w.success,
      ready_nodes: sample?.ready ?? 0,
      online_nodes: sample?.online ?? 0,
    }
  })
  const faults = chaos === undefined ? sim.faults : sim.faults.map((f) => ({ ...f, ...chaos.faultMeasures(f.id) }))
  const alerts = chaos === undefined ? sim.alerts : chaos.alertRecords()
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    tool: { name: 'dht-sim', version },
    scenario: { name: scenario.name, resolved: scenario },
    seed: scenario.seed,
    replay,
    virtual_duration_s: scenario.duration_s,
    metrics,
    gates,
    pass: gates.every((g) => g.pass),
    series: { window_s: scenario.metrics.window_s, points },
    metric_series: metricSeries({ sim, ...(chaos !== undefined ? { chaos } : {}), scenario, gates, faults, alerts }),
    hops_histogram: sim.metrics.hopsHistogram(warmupMs, endMs),
    provider_success_by_age: sim.metrics.providerSuccessByAge(warmupMs, endMs),
    latency_cdf: sim.metrics.latencyCdf(warmupMs, endMs, CDF_FRACTIONS),
    faults,
    ...(chaosMetrics !== undefined && Object.keys(chaosMetrics).length > 0 ? { metric_notes: chaos!.nullReasons('all') } : {}),
    alerts,
    variants: [],
    ...(sim.codec !== undefined ? { wire: sim.codec.section() } : {}),
    readiness: sim.metrics.readiness(0, endMs),
    ...(sim.network.stack !== undefined ? { connections: { opened: sim.network.stack.openedInWindow } } : {}),
    ...(sim.rpcTimes !== undefined ? { rpc: sim.rpcTimes.section() } : {}),
    ...(scenario.reference !== undefined
      ? { reference: measureReference(scenario.reference, { metrics, latencyQuantileMs: (q, op, ok) => sim.metrics.latencyQuantile(warmupMs, endMs, q, op, ok) }) }
      : {}),
  }
}

let cachedVersion: string | undefined

function packageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
      cachedVersion = pkg.version ?? '0.0.0'
    } catch {
      cachedVersion = '0.0.0'
    }
  }
  return cachedVersion
}
