// `dht-sim gate` as a library: pick the scenarios, run each on the simulator at its fixed seed,
// write every output, return the outcome and the exit code. Theory of operation:
//   1. resolve the scenario list (given paths, or every scenarios/*.yaml marked `gate: true`) and
//      load them ALL first: a bad scenario or a bad baseline is exit 2 before anything runs or
//      anything is written;
//   2. run each scenario (in the given order on this thread, or in worker threads with
//      `gate --jobs N`: the simulator is deterministic, so the order only matters for the
//      printout) and write <out>/<scenario>/report.{json,md,html} as each finishes;
//   3. evaluate gates and regressions (gate.ts) over the scenarios in their given order, write
//      <out>/summary.md and <out>/junit.xml;
//   4. with --update-baseline, rewrite the baseline from these runs instead of checking it.
// The simulator is reached through the GateSim interface so tests can feed fixture reports.
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { BadInputError } from '../common/errors.js'
import { InvariantError } from '../engine/errors.js'
import type { Report } from '../sim/report-types.js'
import { loadBaseline, serializeBaseline, withUpdatedEntries } from './baseline.js'
import { ensureDir, prepareOutDir } from './files.js'
import { evaluateGate, type GateOutcome, type ScenarioCrash } from './gate.js'
import { renderHtml } from './html.js'
import { renderJunit } from './junit.js'
import { renderSummaryMarkdown } from './summary.js'

/** What `gate` needs from the simulator. */
export interface GateSim<S extends GateScenario = GateScenario> {
  /** Reads and validates a scenario file (throws BadInputError). */
  load(path: string): S
  /** Runs it at its own (fixed) seed. */
  run(scenario: S, path: string): Report
  /** The files `dht-sim run` writes for a report (report.json, report.md, ...). */
  files(report: Report): readonly { readonly name: string; readonly contents: string }[]
}

export interface GateScenario {
  readonly name: string
  readonly gate: boolean
}

export interface GateRunOptions {
  /** Scenario files; empty: every *.yaml / *.yml in scenariosDir with `gate: true`. */
  readonly scenarios: readonly string[]
  readonly scenariosDir: string
  readonly outDir: string
  readonly baselinePath: string
  readonly updateBaseline: boolean
  /** Progress lines ("running baseline ..."); default: none. */
  readonly log?: (line: string) => void
}

export interface GateRunResult {
  readonly outcome: GateOutcome
  readonly summaryPath: string
  readonly junitPath: string
  readonly baselineWritten: string | null
}

/** At most this many scenarios in one gate run (a limit on everything). */
export const MAX_GATE_SCENARIOS = 200
const NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/

export function discoverScenarioFiles(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    throw new BadInputError(`${dir}: cannot list scenarios (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  // Sorted by code unit, not locale: the same order on every machine.
  return names
    .filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n))
}

/** Step 1: the scenarios to run, all loaded and validated. */
export function selectScenarios<S extends GateScenario>(sim: GateSim<S>, opts: Pick<GateRunOptions, 'scenarios' | 'scenariosDir'>): { path: string; scenario: S }[] {
  const explicit = opts.scenarios.length > 0
  const paths = explicit ? [...opts.scenarios] : discoverScenarioFiles(opts.scenariosDir)
  const loaded = paths.map((path) => ({ path, scenario: sim.load(path) }))
  const chosen = explicit ? loaded : loaded.filter((l) => l.scenario.gate)
  if (chosen.length === 0) {
    throw new BadInputError(explicit ? 'no scenario given' : `${opts.scenariosDir}: no scenario has \`gate: true\``)
  }
  if (chosen.length > MAX_GATE_SCENARIOS) throw new BadInputError(`scenarios: at most ${MAX_GATE_SCENARIOS} per gate run (got ${chosen.length})`)
  const seen = new Map<string, string>()
  for (const c of chosen) {
    if (!NAME_RE.test(c.scenario.name)) throw new BadInputError(`${c.path}: name: "${c.scenario.name}" cannot name a report directory`)
    const other = seen.get(c.scenario.name)
    if (other !== undefined) throw new BadInputError(`${c.path}: name: "${c.scenario.name}" is also the name of ${other} (reports would collide)`)
    seen.set(c.scenario.name, c.path)
  }
  return chosen
}

/** temp + rename: a reader (CI uploading artifacts) never sees half a file. */
function writeAtomic(path: string, contents: string): void {
  const tmp = `${path}.tmp-${process.pid}`
  try {
    writeFileSync(tmp, contents)
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}

/** report.json, report.md from the simulator, plus report.html unless it already provides one. */
export function scenarioFiles(simFiles: GateSim['files'], report: Report): { name: string; contents: string }[] {
  const files = simFiles(report).map((f) => ({ name: f.name, contents: f.contents }))
  if (!files.some((f) => f.name === 'report.html')) files.push({ name: 'report.html', contents: renderHtml(report) })
  return files
}

/** What became of one scenario: its report, or the invariant it broke; and its wall time. */
export type ScenarioOutcome = { readonly report: Report; readonly wallS: number } | { readonly crash: string; readonly wallS: number }

/**
 * Runs the chosen scenarios some other way than one after the other on this thread (worker
 * threads): calls `done(i, outcome)` once for each, in any order. A bad-input or unexpected error
 * rejects (nothing after it is written).
 */
export type GateRunner<S extends GateScenario> = (chosen: readonly { path: string; scenario: S }[], done: (index: number, outcome: ScenarioOutcome) => void) => Promise<void>

/**
 * One gate run: steps 1 (checks), 2 (each scenario's files, as it finishes) and 3-4 (summary,
 * junit, baseline). Outcomes are kept by the scenario's position, so what is written does not
 * depend on the order they finish in.
 */
function gateSession<S extends GateScenario>(sim: GateSim<S>, opts: GateRunOptions) {
  const log = opts.log ?? ((): void => {})
  const chosen = selectScenarios(sim, opts)
  const baseline = loadBaseline(opts.baselinePath)
  // A bad --out is bad input before anything runs, not an error after the last scenario.
  prepareOutDir(opts.outDir)
  const outcomes = new Array<ScenarioOutcome | undefined>(chosen.length).fill(undefined)

  const record = (i: number, o: ScenarioOutcome): void => {
    const c = chosen[i]!
    outcomes[i] = o
    if ('crash' in o) {
      log(`${c.scenario.name}: CRASHED: ${o.crash}`)
      return
    }
    log(`${c.scenario.name}: ${o.report.pass ? 'gates pass' : 'gate FAILED'} (${o.wallS.toFixed(1)} s wall)`)
    const dir = join(opts.outDir, c.scenario.name)
    ensureDir(dir)
    for (const f of scenarioFiles((r) => sim.files(r), o.report)) writeAtomic(join(dir, f.name), f.contents)
  }

  const finish = (): GateRunResult => {
    const reports: Report[] = []
    const crashes: ScenarioCrash[] = []
    const wallS: Record<string, number> = {}
    outcomes.forEach((o, i) => {
      const c = chosen[i]!
      if (o === undefined) throw new InvariantError(`gate: no outcome for ${c.path}`)
      wallS[c.scenario.name] = o.wallS
      if ('crash' in o) crashes.push({ name: c.scenario.name, path: c.path, message: o.crash })
      else reports.push(o.report)
    })
    const outcome = evaluateGate(reports, baseline, { updateBaseline: opts.updateBaseline, crashes })
    ensureDir(opts.outDir)
    const summaryPath = join(opts.outDir, 'summary.md')
    const junitPath = join(opts.outDir, 'junit.xml')
    writeAtomic(summaryPath, renderSummaryMarkdown(outcome))
    writeAtomic(junitPath, renderJunit(outcome, wallS))

    let baselineWritten: string | null = null
    // A crashed run has no figures: the baseline is not rewritten from a partial set.
    if (opts.updateBaseline && crashes.length === 0) {
      ensureDir(dirname(opts.baselinePath), '--baseline')
      writeAtomic(opts.baselinePath, serializeBaseline(withUpdatedEntries(baseline, reports)))
      baselineWritten = opts.baselinePath
    }
    return { outcome, summaryPath, junitPath, baselineWritten }
  }
  return { chosen, log, record, finish }
}

/** One scenario on this thread: its report, or the invariant it broke (recorded, and the others still run). */
export function runOneScenario<S extends GateScenario>(sim: GateSim<S>, scenario: S, path: string): ScenarioOutcome {
  const started = performance.now()
  try {
    const report = sim.run(scenario, path)
    return { report, wallS: (performance.now() - started) / 1000 }
  } catch (err) {
    // A broken invariant in one scenario is recorded (junit <error>, summary) and the others
    // still run; the command then exits 3. Anything else is not ours to swallow.
    if (!(err instanceof InvariantError)) throw err
    return { crash: err.message, wallS: (performance.now() - started) / 1000 }
  }
}

/** The gate with every scenario run one after the other on this thread. */
export function runGate<S extends GateScenario>(sim: GateSim<S>, opts: GateRunOptions): GateRunResult {
  const g = gateSession(sim, opts)
  for (const [i, c] of g.chosen.entries()) {
    g.log(`[${i + 1}/${g.chosen.length}] ${c.scenario.name} (${c.path})`)
    g.record(i, runOneScenario(sim, c.scenario, c.path))
  }
  return g.finish()
}

/** The gate with the scenarios run by `runner` (worker threads); the same files, byte for byte, whatever order they finish in. */
export async function runGateWith<S extends GateScenario>(sim: GateSim<S>, opts: GateRunOptions, runner: GateRunner<S>): Promise<GateRunResult> {
  const g = gateSession(sim, opts)
  await runner(g.chosen, (i, o) => g.record(i, o))
  return g.finish()
}
