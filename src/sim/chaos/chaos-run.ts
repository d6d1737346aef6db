// (Over 400 lines: one run's chaos machinery — the plan made before the run, the hooks the
// simulation calls while it runs, the measures taken after — over one shared fault timeline;
// the measures' arithmetic lives in recovery/, the fault rules in faults/.)
// Theory of operation
// -------------------
// ChaosRun carries one run's chaos machinery (docs/ARCHITECTURE.md, "Faults"). Before the simulation is built it plans the
// attackers (rewriteContacts: their addresses, the eclipse cluster's ids) and supplies the engine
// factory (honest peers: the engine itself, whose events it sees through engineEvents;
// attackers: the engine behind a SybilEngine). setup(sim) — after construction, before the run — installs the fault timeline,
// the readiness sampler, the alert evaluator and the probe, all scheduled on virtual time.
// After the run, metricsFor(window) reduces everything to gate metrics over "all",
// "during:<fault>" or "after:<fault>", and faultReport()/alertRecords() fill report.json.
import { DhtEngine, type EngineOptions } from '../../engine/engine.js'
import type { Rng } from '../../engine/rng.js'
import type { Contact, EngineEvent } from '../../engine/types.js'
import { engineConfigFor, type EngineFactory, type EngineLike, type Simulation, type SimulationOptions } from '../simulation.js'
import { peerIndex, type SimContact } from '../peers.js'
import type { ResolvedScenario } from '../scenario.js'
import type { AlertRecord } from '../report-types.js'
import { RESPONSE_SETTINGS, type ChaosSpec, type ResponseSpec } from '../faults/chaos-schema.js'
import { FaultTimeline, type ActiveFault } from '../faults/timeline.js'
import { RejectLog } from '../faults/reject-log.js'
import { resolveGroups, type PeerLayout, type Target } from '../faults/targets.js'
import { QUEUE_FULL } from '../faults/cpu.js'
import { OVERLOADED } from '../../engine/admission.js'
import { applyAdversaryPlan, planRoles, type AdversaryPlan } from '../adversary/plan.js'
import { Directory, SybilEngine } from '../adversary/sybil-engine.js'
import { AlertEvaluator, timeToAlertS, type FleetView } from '../alerts/evaluator.js'
import { loadAlertThresholds, type AlertThresholds } from '../alerts/thresholds.js'
import { LookupLog, FAIL, OK, SHED } from '../recovery/lookup-log.js'
import { collapseMs, mttrS, readinessFlipMs, recoveryS, type ReadySample } from '../recovery/measures.js'
import { RestartLog } from './restart-log.js'
import { BootstrapSilence } from './bootstrap-silence.js'
import { Probe } from './probe.js'

export { CHAOS_METRIC_NAMES, isChaosMetricName } from './metric-names.js'

/** Per fault, what report.faults shows beside its window. */
export interface FaultMeasures {
  readonly readiness_flip_s: number | null
  readonly collapse_s: number | null
  readonly readiness_lead_s: number | null
  readonly mttr_s: number | null
  readonly recovery_s: number | null
  readonly time_to_alert_s: number | null
  /** Honest peers that flipped not-ready while the fault lasted, and those of them whose own lookups still succeeded (false alarms). */
  readonly flipped_nodes: number
  readonly false_alarms: number
  /** Why a measure is null: a measure that did not happen is never given a stand-in value. */
  readonly notes: Readonly<Record<string, string>>
  /**
   * Null measures that are failures whatever the scenario says of a measure "not reached": the
   * thing they time happened and the system missed it (lookups collapsed and readiness never
   * flipped; the fault ended and the network never came back before the run ended).
   */
  readonly missed: readonly string[]
}

type ResponseSetting = (typeof RESPONSE_SETTINGS)[number]

type MeasureKey = 'readiness_flip_s' | 'collapse_s' | 'readiness_lead_s' | 'mttr_s' | 'recovery_s' | 'time_to_alert_s'

export function hasChaos(c: ChaosSpec): boolean {
  return c.faults.length > 0 || (c.response?.length ?? 0) > 0 || c.adversary.fraction > 0 || c.adversary.eclipse !== undefined || c.probe !== undefined
}

export class ChaosRun {
  readonly log = new LookupLog()
  readonly rejects = new RejectLog()
  readonly suspects = new RejectLog()
  readonly readySamples: ReadySample[] = []
  /** Every not-ready flip of an honest peer: who, when. */
  readonly notReady: { peer: number; tMs: number }[] = []
  plan: AdversaryPlan
  private dir: Directory | undefined
  private contacts: readonly SimContact[] = []
  private sim: Simulation | undefined
  private timeline: FaultTimeline | undefined
  private evaluator: AlertEvaluator | undefined
  private probe: Probe | undefined
  private readonly restarts: RestartLog
  private silence: BootstrapSilence | undefined
  private readonly rng: Rng
  private measures = new Map<string, FaultMeasures>()
  private tagCursor = -2
  private readonly loadTags = new Set<number>()
  private readonly takeTag = (): number => this.tagCursor--
  private readonly takeLoadTag = (): number => {
    const t = this.tagCursor--
    this.loadTags.add(t)
    return t
  }

  constructor(
    private readonly scenario: ResolvedScenario,
    private readonly chaos: ChaosSpec,
    rng: Rng,
    private readonly thresholds: AlertThresholds = loadAlertThresholds(),
  ) {
    this.rng = rng.fork('chaos')
    const n = scenario.network.peers
    this.plan = planRoles(chaos.adversary, n, scenario.network.bootstraps, this.rng)
    this.restarts = new RestartLog(n)
  }

  /** The probe key (drawn from the master seed), when the scenario has a probe. */
  probeKey(): Uint8Array | undefined {
    return this.chaos.probe === undefined ? undefined : this.rng.fork('probe/key').bytes(32)
  }

  /** The eclipsed victim node, when the eclipse targets one. */
  private victim(): number | undefined {
    const e = this.chaos.adversary.eclipse
    return e?.target === 'victim' ? e.victim : undefined
  }

  /** Called on the freshly created contacts, before anything else sees them. */
  rewriteContacts(contacts: SimContact[]): void {
    this.plan = applyAdversaryPlan(contacts, this.plan, this.chaos.adversary, this.probeKey(), this.rng)
    this.contacts = contacts
    const colluders: Contact[] = []
    for (let i = 0; i < contacts.length; i++) if (this.plan.adversary[i] === 1) colluders.push(contacts[i]!)
    this.dir = new Directory(colluders)
  }

  /**
   * How a Simulation is wired to this run (runScenario and the tests' harness): the engine
   * factory (a test may wrap it), the attackers' contacts and exclusion, and the event hook.
   */
  simulationOptions(seed: string, wrap?: (f: EngineFactory) => EngineFactory): SimulationOptions {
    return {
      seed,
      engineFactory: wrap !== undefined ? wrap(this.engineFactory) : this.engineFactory,
      rewriteContacts: (cs) => this.rewriteContacts(cs),
      excluded: this.plan.adversary,
      onEngineEvents: (p, evs) => this.engineEvents(p, evs),
    }
  }

  /** The engine factory: honest peers as they are, attackers wrapped in their misbehaviour. */
  readonly engineFactory = (opts: EngineOptions): EngineLike => {
    const self = opts.self as SimContact
    const peer = self.idx
    this.restarts.note(peer, this.sim?.nowMs ?? 0)
    this.silence?.restarted(peer)
    const engine = new DhtEngine(opts)
    if (this.plan.adversary[peer] === 1 && this.dir !== undefined) {
      return new SybilEngine(engine, self, this.dir, this.chaos.adversary.behaviours, opts.rng.fork('sybil'), opts.config.k)
    }
    return engine
  }

  /**
   * Every engine step's events, before the simulator applies them: what the simulator core does
   * not keep (every user lookup with its issuer, requests the engine refused, Sybil-density
   * detections), for honest peers.
   */
  engineEvents(peer: number, events: readonly EngineEvent[]): void {
    if (this.plan.adversary[peer] === 1) return
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!
      if (ev.kind === 'lookup-done') this.lookupDone(peer, ev)
      else if (ev.kind === 'request-rejected') this.rejects.add(this.sim?.nowMs ?? 0, ev.reason)
      else if (ev.kind === 'sybil-suspected') this.suspects.add(this.sim?.nowMs ?? 0, 'sybil-suspected')
      else if (ev.kind === 'ready-changed' && !ev.ready) this.notReady.push({ peer, tMs: this.sim?.nowMs ?? 0 })
    }
  }

  /** A lookup of an honest peer ended: into the lookup log (load, probe and user lookups). */
  private lookupDone(peer: number, ev: Extract<EngineEvent, { kind: 'lookup-done' }>): void {
    if (ev.error === 'stopped') return
    const now = this.sim?.nowMs ?? ev.endMs
    if (ev.tag <= -2 && this.loadTags.delete(ev.tag)) {
      this.log.add(peer, ev.startMs, now, ev.hops, ev.error === 'busy' ? SHED : ev.success ? OK : FAIL, -2)
      return
    }
    if (this.probe !== undefined && this.probe.isProbeTag(ev.tag)) {
      const row = this.probe.done(ev.tag, ev, (c) => peerIndex(c, this.contacts))
      if (row !== undefined) this.log.add(row.issuer, row.startMs, now, ev.hops, ev.success ? OK : FAIL, row.honest ? 1 : 0)
      return
    }
    if (ev.tag < 1) return
    this.log.add(peer, ev.startMs, now, ev.hops, ev.error === 'busy' ? SHED : ev.success ? OK : FAIL, -1)
  }

  /** Installs the timeline, samplers and probe on the simulation (before its run). */
  setup(sim: Simulation): void {
    this.sim = sim
    // Normally done by the simulation right after creating its peers; done here otherwise (the
    // ground truth of lookup_accuracy then still has the attackers' original ids).
    if (this.contacts.length === 0) this.rewriteContacts(sim.contacts as SimContact[])
    const layout: PeerLayout = {
      n: sim.n,
      bootstraps: sim.bootstrapCount,
      regionOf: sim.network.regionOf,
      regionNames: sim.network.regionNames,
      adversary: this.plan.adversary,
    }
    const groups = resolveGroups(this.chaos.groups, layout, this.rng)
    this.timeline = new FaultTimeline(this.chaos.faults, layout, groups, this.rng, this.rejects, this.takeLoadTag)
    if (this.chaos.faults.some((f) => f.kind === 'cpu')) {
      this.rejects.register(OVERLOADED)
      this.rejects.register(QUEUE_FULL)
    }
    this.timeline.install(sim)
    this.installResponses(sim)

    const r = this.chaos.readiness
    const sampleMs = r.sample_s * 1000
    const sample = (): void => {
      let online = 0
      let ready = 0
      for (let i = 0; i < sim.n; i++) {
        if (sim.online[i] !== 1 || this.plan.adversary[i] === 1) continue
        online++
        ready += sim.ready[i]!
      }
      this.readySamples.push({ tMs: sim.nowMs, fraction: online === 0 ? 0 : ready / online })
      if (sim.nowMs + sampleMs <= sim.durationMs) sim.at(sim.nowMs + sampleMs, sample)
    }
    sim.at(sampleMs, sample)

    const evaluator = new AlertEvaluator(this.thresholds, sim.n)
    this.evaluator = evaluator
    // The rules ask only about fleet members (not excluded), whose engines the factory made plain.
    const honest = (p: number): DhtEngine | undefined => sim.engines[p] as DhtEngine | undefined
    const silence = new BootstrapSilence(sim.n, sim.engineConfig.bootstrapLiveWindowMs, (p) => honest(p)?.lastBootstrapAnswerMs ?? -Infinity)
    this.silence = silence
    const view: FleetView = {
      n: sim.n,
      online: sim.online,
      ready: sim.ready,
      excluded: this.plan.adversary,
      bootstrapPeers: (p, now) => honest(p)?.liveBootstraps(now) ?? 0,
      bootstrapSilent: (p, now) => silence.silent(p, now),
      restarts: (p, from, to) => this.restarts.count(p, from, to),
      restartedIn: (from, to) => this.restarts.peersIn(from, to),
      lookups: this.log,
    }
    const tick = (): void => {
      evaluator.evaluate(sim.nowMs, view)
      if (sim.nowMs + evaluator.intervalMs <= sim.durationMs) sim.at(sim.nowMs + evaluator.intervalMs, tick)
    }
    sim.at(evaluator.intervalMs, tick)

    const victim = this.victim()
    const key = victim !== undefined ? this.contacts[victim]?.id : this.probeKey()
    if (this.chaos.probe !== undefined && key !== undefined) {
      this.probe = new Probe(this.chaos.probe, key, this.plan.adversary, sim.n, sim.bootstrapCount, this.rng, this.takeTag, victim)
      this.probe.install(sim)
    }
  }

  /**
   * The operator's response (scenario `response`): at each action's at_s every honest node gets a
   * hot reload of the settings it names (then, with reprovide, re-announces what it provides), and
   * at its end (for_s) those settings go back to what they were just before it. Each action is a
   * window in report.faults (kind "response") that gate windows may name.
   */
  private installResponses(sim: Simulation): void {
    const list = this.chaos.response ?? []
    // The settings in force: the scenario's, as each action changes them in turn.
    const current: Record<ResponseSetting, unknown> = { policy: this.scenario.dht.policy, alpha: this.scenario.dht.alpha, beta: this.scenario.dht.beta }
    const honest = (p: number): boolean => this.plan.adversary[p] !== 1
    const reload = (): void => sim.reconfigure(engineConfigFor({ ...this.scenario.dht, ...current } as ResolvedScenario['dht']), honest)
    for (const r of list) {
      const [fromMs, untilMs] = this.responseRange(r)
      sim.faults.push({ id: r.id, kind: 'response', at_s: fromMs / 1000, until_s: untilMs / 1000 })
      const saved: Partial<Record<ResponseSetting, unknown>> = {}
      sim.at(fromMs, () => {
        let changed = false
        for (const k of RESPONSE_SETTINGS) {
          if (r[k] === undefined) continue
          saved[k] = current[k]
          current[k] = r[k]
          changed = true
        }
        if (changed) reload()
        // After the reload: the keys go out under the settings just put in force.
        if (r.reprovide === true) for (let p = 0; p < sim.n; p++) if (sim.online[p] === 1 && honest(p)) sim.step(p, { kind: 'reprovide' })
      })
      if (r.for_s !== undefined && untilMs < sim.durationMs) {
        sim.at(untilMs, () => {
          Object.assign(current, saved)
          reload()
        })
      }
    }
  }

  /** [from, until) in ms of a response action: until its for_s ends, or the run does. */
  private responseRange(r: ResponseSpec): [number, number] {
    const end = this.sim?.durationMs ?? this.scenario.duration_s * 1000
    const fromMs = r.at_s * 1000
    return [fromMs, r.for_s === undefined ? end : Math.min((r.at_s + r.for_s) * 1000, end)]
  }

  /** After the run: computes each fault's readiness / recovery / alert figures. */
  finish(): void {
    const sim = this.sim!
    const end = sim.durationMs
    const r = this.chaos.readiness
    for (const f of this.timeline?.faults ?? []) {
      const untilMs = Math.min(f.endMs, end)
      const flip = readinessFlipMs(this.readySamples, f.startMs, untilMs, r.ready_below)
      const collapse = collapseMs(this.log, f.startMs, untilMs, r)
      const mttr = f.endMs <= end ? mttrS(this.log, f.endMs, end, r) : null
      const recovery = f.endMs <= end ? recoveryS(this.log, f.startMs, f.endMs, end, r) : null
      const concerns = (p: number): boolean => f.target.kind !== 'peers' || f.target.member[p] === 1
      const tta = this.evaluator === undefined ? null : timeToAlertS(this.evaluator.episodes, f.startMs, Math.min(end, f.endMs + 600_000), concerns)
      const alarms = this.falseAlarms(f.startMs, untilMs)
      const notes: Record<string, string> = {}
      if (flip === null) notes.readiness_flip_s = `the ready share never fell below ${r.ready_below} while the fault lasted`
      if (collapse === null) notes.collapse_s = 'lookups never collapsed while the fault lasted'
      const missed: string[] = []
      if (collapse === null) notes.readiness_lead_s = 'lookups never collapsed: there is no collapse to lead'
      else if (flip === null) {
        notes.readiness_lead_s = 'lookups collapsed and readiness never flipped'
        missed.push('readiness_lead_s')
      }
      if (mttr === null) {
        notes.mttr_s = f.endMs > end ? 'the fault outlasts the run' : 'never back inside the nominal gates before the run ended'
        if (f.endMs <= end) missed.push('mttr_s')
      }
      if (recovery === null) notes.recovery_s = f.endMs > end ? 'the fault outlasts the run' : 'no pre-fault level to return to, or never back to it before the run ended'
      if (tta === null) notes.time_to_alert_s = 'no alert concerning the fault fired'
      this.measures.set(f.spec.id, {
        readiness_flip_s: flip === null ? null : round3((flip - f.startMs) / 1000),
        collapse_s: collapse === null ? null : round3((collapse - f.startMs) / 1000),
        readiness_lead_s: flip === null || collapse === null ? null : round3((collapse - flip) / 1000),
        mttr_s: mttr,
        recovery_s: recovery,
        time_to_alert_s: tta,
        flipped_nodes: alarms.flipped,
        false_alarms: alarms.falseAlarms,
        notes,
        missed,
      })
    }
  }

  /**
   * Honest peers that flipped not-ready in [fromMs, toMs), and how many of those were false
   * alarms: the peer's own workload lookups of the window_s before its flip (at least one) all
   * succeeded, at a share >= collapse_success_below.
   */
  private falseAlarms(fromMs: number, toMs: number): { flipped: number; falseAlarms: number } {
    const r = this.chaos.readiness
    const seen = new Set<number>()
    const alarmed = new Set<number>()
    for (const x of this.notReady) {
      if (x.tMs < fromMs || x.tMs >= toMs || this.plan.adversary[x.peer] === 1) continue
      seen.add(x.peer)
      if (alarmed.has(x.peer)) continue
      const own = this.log.figures(x.tMs - r.window_s * 1000, x.tMs, (p) => p === x.peer)
      if (own.lookups > 0 && own.success !== null && own.success >= r.collapse_success_below) alarmed.add(x.peer)
    }
    return { flipped: seen.size, falseAlarms: alarmed.size }
  }

  /** A fault as resolved for this run (its targets), by id. */
  fault(id: string): ActiveFault | undefined {
    return this.timeline?.byId(id)
  }

  faultMeasures(id: string): FaultMeasures | undefined {
    return this.measures.get(id)
  }

  alertRecords(): AlertRecord[] {
    return this.evaluator?.records() ?? []
  }

  get unmodelledAlerts(): readonly string[] {
    return this.evaluator?.unmodelled ?? []
  }

  /** [fromMs, toMs) of a gate window; the fault it names, if any. */
  windowRange(window: string): { fromMs: number; toMs: number; fault: ActiveFault | undefined } {
    const end = this.sim?.durationMs ?? this.scenario.duration_s * 1000
    if (window === 'all') return { fromMs: this.scenario.warmup_s * 1000, toMs: end, fault: undefined }
    const [kind, id] = window.split(':') as [string, string]
    const f = this.timeline?.byId(id)
    if (f === undefined) {
      const r = (this.chaos.response ?? []).find((x) => x.id === id)
      if (r === undefined) return { fromMs: end, toMs: end, fault: undefined }
      const [fromMs, untilMs] = this.responseRange(r)
      return kind === 'during' ? { fromMs, toMs: untilMs, fault: undefined } : { fromMs: untilMs, toMs: end, fault: undefined }
    }
    if (kind === 'during') return { fromMs: f.startMs, toMs: Math.min(f.endMs, end), fault: f }
    return { fromMs: Math.min(f.endMs, end), toMs: end, fault: f }
  }

  /** Every gate metric over a window: the simulator's own metrics, then the chaos ones. */
  gateMetrics(window: string): Record<string, number | null> {
    const { fromMs, toMs } = this.windowRange(window)
    return { ...this.sim!.metrics.compute(fromMs, toMs), ...this.metricsFor(window) }
  }

  /** Why each of a window's fault measures is null (the first fault's reason when several are combined). */
  nullReasons(window: string): Record<string, string> {
    const { fault } = this.windowRange(window)
    const ms = fault !== undefined ? [this.measures.get(fault.spec.id)] : [...this.measures.values()]
    const out: Record<string, string> = {}
    for (const m of ms) for (const [k, v] of Object.entries(m?.notes ?? {})) out[k] ??= v
    return out
  }

  /** A window's null measures that are failures whatever the scenario says (see FaultMeasures.missed). */
  missedMeasures(window: string): ReadonlySet<string> {
    const { fault } = this.windowRange(window)
    const ms = fault !== undefined ? [this.measures.get(fault.spec.id)] : [...this.measures.values()]
    return new Set(ms.flatMap((m) => m?.missed ?? []))
  }

  /** Paging alerts firing at `atMs`: fired before it and not cleared by then (Infinity: at the end of the run). */
  pagesFiringAt(atMs: number): number {
    const pages = new Set(this.thresholds.alerts.filter((a) => a.severity === 'page').map((a) => a.name))
    let n = 0
    for (const e of this.evaluator?.episodes ?? []) {
      if (pages.has(e.name) && e.firedMs < atMs && (e.clearedMs === null || e.clearedMs >= atMs)) n++
    }
    return n
  }

  /**
   * Lookups the Sybil-density detector flagged in honest peers (sybil-suspected events) in the
   * window: with the strict profile on a network without an attacker, every one is a false alarm.
   */
  detections(window: string): number {
    const { fromMs, toMs } = this.windowRange(window)
    return this.suspects.counts(fromMs, toMs)['rejected_sybil_suspected'] ?? 0
  }

  /** Chaos metrics over a window (see CHAOS_METRIC_NAMES), plus rejected_<reason>. */
  metricsFor(window: string): Record<string, number | null> {
    const { fromMs, toMs, fault } = this.windowRange(window)
    const peerFaults = (this.timeline?.faults ?? []).filter((f) => f.target.kind === 'peers')
    const targets: Target[] = fault !== undefined ? (fault.target.kind === 'peers' ? [fault.target] : []) : peerFaults.map((f) => f.target)
    const outside = (p: number): boolean => {
      for (const t of targets) if (t.kind === 'peers' && t.member[p] === 1) return false
      return true
    }
    const all = this.log.figures(fromMs, toMs)
    const out = this.log.figures(fromMs, toMs, outside)
    const probe = this.log.probeFigures(fromMs, toMs)
    const ms = fault !== undefined ? [this.measures.get(fault.spec.id)] : [...this.measures.values()]
    const worst = (k: MeasureKey, pick: 'max' | 'min'): number | null => {
      if (ms.length === 0) return null
      let v: number | null = null
      for (const m of ms) {
        const x = m?.[k] ?? null
        if (x === null) return null
        v = v === null ? x : pick === 'max' ? Math.max(v, x) : Math.min(v, x)
      }
      return v
    }
    const sum = (k: 'flipped_nodes' | 'false_alarms'): number | null => (ms.length === 0 ? null : ms.reduce((n, m) => n + (m?.[k] ?? 0), 0))
    let fired = 0
    for (const e of this.evaluator?.episodes ?? []) if (e.firedMs >= fromMs && e.firedMs < toMs) fired++
    const suspected = this.detections(window)
    // Paging alerts still firing when the run ends: a defence whose price keeps someone awake.
    const pagesAtEnd = this.pagesFiringAt(Infinity)
    return {
      lost_lookups: all.lost,
      unshed_success: all.unshedSuccess,
      load_shed: all.loadShed,
      outside_lookup_success: out.success,
      outside_lookup_p95_ms: out.p95Ms,
      outside_hops_p99: out.hopsP99,
      honest_provider_success: this.victim() === undefined ? probe.success : null,
      victim_found: this.victim() === undefined ? null : probe.success,
      probe_lookups: probe.lookups,
      mttr_s: worst('mttr_s', 'max'),
      recovery_s: worst('recovery_s', 'max'),
      time_to_alert_s: worst('time_to_alert_s', 'max'),
      readiness_flip_s: worst('readiness_flip_s', 'max'),
      collapse_s: worst('collapse_s', 'min'),
      readiness_lead_s: worst('readiness_lead_s', 'min'),
      flipped_nodes: sum('flipped_nodes'),
      false_alarms: sum('false_alarms'),
      alerts_fired: fired,
      sybil_suspected: suspected,
      pages_firing_at_end: this.evaluator === undefined ? null : pagesAtEnd,
      cpu_queue_peak: this.timeline?.cpuModel?.peakQueue ?? null,
      ...this.rejects.counts(fromMs, toMs),
    }
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}
