// Theory of operation
// -------------------
// Exploration runs one scenario over many seeds. Seed i draws a fault schedule from its own
// stream (schedule.ts) on top of the scenario's own faults and runs the simulation with the
// safety monitor on every honest engine (safety.ts). A seed fails when
//  - safety breaks while it runs: an engine throws, an engine invariant or queue bound is broken
//    (sampled), a record goes to a peer the engine never contacted, a CPU queue exceeds its bound;
//  - liveness does not come back: the lookups started in [heal + bound, heal + bound + window)
//    succeed less often than the bound says (heal: the end of the last fault).
// A failing seed is shrunk: faults are removed one at a time (and the Sybils) while the seed
// still fails, so what is reported is a schedule where every fault is needed for the failure.
// Beside pass/fail, every seed records the "sometimes" states it reached and, per fault, whether
// the fault's own state was reached at all (a drill whose fault never bites proves nothing).
// Everything is deterministic: same scenario, seed and bounds -> same result.
import { BadInputError } from '../../common/errors.js'
import { SeededRng } from '../../engine/rng.js'
import { ChaosRun } from '../chaos/chaos-run.js'
import { chaosOf, type FaultSpec } from '../faults/chaos-schema.js'
import { Simulation, type EngineFactory } from '../simulation.js'
import { resolveScenario, type ResolvedScenario } from '../scenario.js'
import { DEFAULT_BOUNDS, drawSchedule, lastHealS, type ExploreBounds, type Schedule } from './schedule.js'
import { SafetyMonitor, SafetyViolation } from './safety.js'

export interface ExploreOptions {
  readonly bounds?: ExploreBounds
  /** Check engine invariants and queue bounds every this many engine steps (0: off). */
  readonly invariantEvery?: number
  /** Replaces network.peers, scaling the workload's rates with it (the same load per peer). */
  readonly peers?: number
  /** false: run the scenario's own faults only (a shrunk schedule saved as a scenario). */
  readonly draw?: boolean
  /** Shrink failing seeds (default true). */
  readonly shrink?: boolean
  /** Wraps the engine factory inside the monitor (tests plant bugs here to see them caught). */
  readonly wrapEngine?: (f: EngineFactory) => EngineFactory
}

export interface Violation {
  readonly check: string
  readonly message: string
  readonly at_s: number
}

export interface FaultCoverage {
  readonly id: string
  readonly kind: string
  /** Whether the fault's own state was reached (packets dropped, a queue filled, peers stopped, ...). */
  readonly reached: boolean | null
  readonly how: string
}

export interface SeedResult {
  readonly seed: string
  readonly pass: boolean
  readonly violation: Violation | null
  /** null when the liveness window did not fit in the run (reason in liveness_note). */
  readonly liveness_success: number | null
  readonly liveness_note: string
  readonly schedule: Schedule
  readonly faults: readonly FaultCoverage[]
  readonly states: Readonly<Record<string, number>>
  readonly invariant_samples: number
}

export const DEFAULT_INVARIANT_EVERY = 64

/** The scenario a seed runs: the schedule's faults and Sybils, and the peer count override. */
export function exploredScenario(base: ResolvedScenario, schedule: Schedule, peers?: number): ResolvedScenario {
  const raw = JSON.parse(JSON.stringify({ ...base, variants: [] })) as Record<string, unknown> & { network: { peers: number; bootstraps: number }; groups?: { count?: number }[] }
  if (peers !== undefined) {
    // The same load per peer: workload rates are for the whole network.
    const scale = peers / raw.network.peers
    const wl = raw.workload as Record<string, number>
    for (const k of ['find_node_per_s', 'provide_per_s', 'get_providers_per_s']) wl[k] = Math.round(wl[k]! * scale * 1000) / 1000
    raw.network.peers = peers
    for (const g of raw.groups ?? []) if (g.count !== undefined) g.count = Math.max(1, Math.min(g.count, peers - raw.network.bootstraps))
  }
  raw.faults = schedule.faults
  // Exploration judges safety and liveness, not the scenario's gates (which may name a fault that
  // shrinking removed).
  raw.gates = []
  if (schedule.sybils !== undefined) {
    const adv = (raw.adversary ?? {}) as Record<string, unknown>
    raw.adversary = { ...adv, fraction: schedule.sybils.fraction, behaviours: schedule.sybils.behaviours }
  }
  return resolveScenario(raw, `explored ${base.name}`, base.name)
}

export function scheduleFor(base: ResolvedScenario, seed: string, opts: ExploreOptions): Schedule {
  if (opts.draw === false) return { faults: base.faults ?? [], sybils: undefined }
  return drawSchedule(new SeededRng(`explore/${seed}`).fork('schedule'), base, opts.bounds ?? DEFAULT_BOUNDS, opts.peers ?? base.network.peers)
}

/** Runs one seed with one schedule (no shrinking). */
export function runSeed(base: ResolvedScenario, seed: string, schedule: Schedule, opts: ExploreOptions = {}): SeedResult {
  const bounds = opts.bounds ?? DEFAULT_BOUNDS
  const scenario = exploredScenario(base, schedule, opts.peers)
  const chaos = new ChaosRun(scenario, chaosOf(scenario), new SeededRng(seed))
  // Made once the simulation has made the contacts; the wrapped factory runs only after that.
  const hold: { monitor?: SafetyMonitor } = {}
  const simOpts = chaos.simulationOptions(seed, (f) => {
    const inner = opts.wrapEngine !== undefined ? opts.wrapEngine(f) : f
    return (o) => hold.monitor!.wrap(inner)(o)
  })
  const sim = new Simulation(scenario, simOpts)
  const monitor = new SafetyMonitor(sim.contacts, chaos.plan.adversary, sim.engineConfig, opts.invariantEvery ?? DEFAULT_INVARIANT_EVERY)
  hold.monitor = monitor
  let violation: Violation | null = null
  try {
    chaos.setup(sim)
    sim.run()
    chaos.finish()
  } catch (err) {
    if (err instanceof BadInputError) throw err
    const e = err as Error
    const check = err instanceof SafetyViolation ? err.check : 'exception'
    violation = { check, message: e.message ?? String(err), at_s: round3(sim.nowMs / 1000) }
  }
  if (violation === null) {
    const m = chaos.metricsFor('all')
    const peak = m.cpu_queue_peak
    const cpuMax = Math.max(0, ...schedule.faults.map((f) => (f.kind === 'cpu' ? f.queue_max : 0)))
    if (peak !== null && peak !== undefined && peak > cpuMax) violation = { check: 'queue-bound', message: `CPU queue peak ${peak} > its bound ${cpuMax}`, at_s: scenario.duration_s }
  }
  // Liveness after the last heal.
  const healS = lastHealS(schedule.faults)
  const fromS = Math.max(healS, scenario.workload.start_s) + bounds.livenessBoundS
  const toS = fromS + bounds.livenessWindowS
  let liveness: number | null = null
  let note: string
  if (violation !== null) note = 'not checked: the run stopped on a safety violation'
  else if (toS > scenario.duration_s) note = `not checked: heal at ${healS} s + ${bounds.livenessBoundS} s + a ${bounds.livenessWindowS} s window ends after the run (${scenario.duration_s} s)`
  else {
    const f = chaos.log.figures(fromS * 1000, toS * 1000)
    liveness = f.success
    note = f.lookups === 0 ? `no lookup started in [${fromS}, ${toS}) s` : `${f.lookups} lookups started in [${fromS}, ${toS}) s, ${f.lookups - f.lost - f.shed} succeeded`
  }
  // No lookup at all in the window (no peer ready to issue one) is not liveness either.
  const live = violation !== null || toS > scenario.duration_s || (liveness !== null && liveness >= bounds.livenessMinSuccess)
  const states: Record<string, number> = {}
  for (const k of [...monitor.states.keys()].sort()) states[k] = monitor.states.get(k)!
  return {
    seed,
    pass: violation === null && live,
    violation,
    liveness_success: liveness,
    liveness_note: note,
    schedule,
    faults: schedule.faults.map((f) => coverage(f, chaos, sim, monitor)),
    states,
    invariant_samples: monitor.samples,
  }
}

function coverage(f: FaultSpec, chaos: ChaosRun, sim: Simulation, monitor: SafetyMonitor): FaultCoverage {
  const active = chaos.fault(f.id)
  const fromMs = f.at_s * 1000
  const toMs = (f.at_s + f.for_s) * 1000
  const member = (p: number): boolean => active !== undefined && active.target.kind === 'peers' && active.target.member[p] === 1
  const base = { id: f.id, kind: f.kind }
  if (fromMs >= sim.durationMs) return { ...base, reached: false, how: 'starts after the run ends' }
  switch (f.kind) {
    case 'loss':
    case 'partition': {
      const dropped = sim.network.dropsByReason.get(`fault:${f.id}`) ?? 0
      return { ...base, reached: dropped > 0, how: `${dropped} packets dropped` }
    }
    case 'cpu': {
      const rejected = (monitor.states.get('answer-refused:overloaded') ?? 0) > 0
      const peak = chaos.metricsFor(`during:${f.id}`).cpu_queue_peak ?? 0
      return { ...base, reached: peak > 0, how: `queue peak ${peak}${rejected ? ', requests refused "overloaded"' : ''}` }
    }
    case 'crash':
    case 'churn-spike': {
      const n = monitor.stops.filter((s) => s.tMs >= fromMs && s.tMs <= toMs && member(s.peer)).length
      return { ...base, reached: n > 0, how: `${n} targets stopped` }
    }
    case 'load': {
      const n = monitor.chaosLookups.filter((s) => s.tMs >= fromMs && s.tMs < toMs && member(s.peer)).length
      return { ...base, reached: n > 0, how: `${n} extra lookups issued` }
    }
    case 'latency': {
      const during = chaos.log.figures(fromMs, toMs).p95Ms
      const before = chaos.log.figures(fromMs - f.for_s * 1000, fromMs).p95Ms
      if (during === null || before === null) return { ...base, reached: null, how: 'no lookups to compare' }
      return { ...base, reached: during > before, how: `lookup p95 ${before} -> ${during} ms` }
    }
  }
}

/** Removes faults (then the Sybils) one at a time while the seed still fails; returns the last failing run. */
export function shrinkSeed(base: ResolvedScenario, failing: SeedResult, opts: ExploreOptions = {}): { result: SeedResult; runs: number } {
  let cur = failing
  let runs = 0
  let i = 0
  while (i < cur.schedule.faults.length) {
    const faults = cur.schedule.faults.filter((_, j) => j !== i)
    const trial = runSeed(base, cur.seed, { faults, sybils: cur.schedule.sybils }, { ...opts, shrink: false })
    runs++
    if (!trial.pass && sameFailure(trial, cur)) cur = trial
    else i++
  }
  if (cur.schedule.sybils !== undefined) {
    const trial = runSeed(base, cur.seed, { faults: cur.schedule.faults, sybils: undefined }, { ...opts, shrink: false })
    runs++
    if (!trial.pass && sameFailure(trial, cur)) cur = trial
  }
  return { result: cur, runs }
}

/** Shrinking keeps the kind of failure: a safety check stays that check, liveness stays liveness. */
function sameFailure(a: SeedResult, b: SeedResult): boolean {
  return (a.violation?.check ?? 'liveness') === (b.violation?.check ?? 'liveness')
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}

export interface ExploreReport {
  readonly kind: 'explore'
  readonly scenario: string
  readonly from: number
  readonly seeds: number
  readonly peers: number
  readonly bounds: ExploreBounds
  readonly invariant_every: number
  readonly failed: readonly { readonly seed: string; readonly replay: string; readonly original: SeedResult; readonly shrunk: SeedResult; readonly shrink_runs: number }[]
  /** State -> seeds that reached it at least once. */
  readonly sometimes: Readonly<Record<string, number>>
  /** Fault kind -> seeds it was drawn in, and seeds in which it reached its state. */
  readonly fault_kinds: Readonly<Record<string, { readonly drawn: number; readonly reached: number }>>
  /** Fault kinds drawn at least once whose state no seed reached: the exploration proved nothing about them. */
  readonly never_reached: readonly string[]
  readonly violations: number
  readonly liveness_failures: number
  readonly pass: boolean
}

export interface ManyOptions extends ExploreOptions {
  readonly from: number
  readonly seeds: number
  /** The replay command of seed s (the CLI knows the file name and flags). */
  readonly replay: (seed: string) => string
  readonly onSeed?: (r: SeedResult, done: number, total: number) => void
}

export function exploreMany(base: ResolvedScenario, o: ManyOptions): ExploreReport {
  const sometimes = new Map<string, number>()
  const kinds = new Map<string, { drawn: number; reached: number }>()
  const failed: ExploreReport['failed'][number][] = []
  let violations = 0
  let livenessFailures = 0
  for (let i = 0; i < o.seeds; i++) {
    const seed = String(o.from + i)
    const r = runSeed(base, seed, scheduleFor(base, seed, o), o)
    for (const s of Object.keys(r.states)) sometimes.set(s, (sometimes.get(s) ?? 0) + 1)
    const seen = new Map<string, boolean>()
    for (const f of r.faults) seen.set(f.kind, (seen.get(f.kind) ?? false) || f.reached === true)
    for (const [k, reached] of seen) {
      const e = kinds.get(k) ?? { drawn: 0, reached: 0 }
      e.drawn++
      if (reached) e.reached++
      kinds.set(k, e)
    }
    if (!r.pass) {
      if (r.violation !== null) violations++
      else livenessFailures++
      const s = o.shrink === false ? { result: r, runs: 0 } : shrinkSeed(base, r, o)
      failed.push({ seed, replay: o.replay(seed), original: r, shrunk: s.result, shrink_runs: s.runs })
    }
    o.onSeed?.(r, i + 1, o.seeds)
  }
  const sortedRecord = <T>(m: Map<string, T>): Record<string, T> => {
    const out: Record<string, T> = {}
    for (const k of [...m.keys()].sort()) out[k] = m.get(k)!
    return out
  }
  const neverReached = [...kinds.entries()].filter(([, v]) => v.reached === 0).map(([k]) => k).sort()
  return {
    kind: 'explore',
    scenario: base.name,
    from: o.from,
    seeds: o.seeds,
    peers: o.peers ?? base.network.peers,
    bounds: o.bounds ?? DEFAULT_BOUNDS,
    invariant_every: o.invariantEvery ?? DEFAULT_INVARIANT_EVERY,
    failed,
    sometimes: sortedRecord(sometimes),
    fault_kinds: sortedRecord(kinds),
    never_reached: neverReached,
    violations,
    liveness_failures: livenessFailures,
    pass: failed.length === 0 && neverReached.length === 0,
  }
}
