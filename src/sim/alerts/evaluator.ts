// Theory of operation
// -------------------
// Evaluates the runbook's alert rules (thresholds.ts) on the simulated fleet, with Prometheus
// semantics: every evaluationIntervalS the condition is checked per instance; an instance's
// alert fires once its condition has held at every evaluation for forS seconds, and clears at
// the first evaluation where it is false. An alert "fires" (an episode starts) when its first
// instance fires and "clears" when its last instance clears; report.alerts lists the episodes.
//
// Per instance (exactly the production rule): gauge-equals on ron_dht_ready (the peer's
// readiness) and ron_dht_bootstrap_peers (its live bootstrap count); counter-increase with
// process starts (restarts of the peer in the trailing window). An offline peer has no series.
// Fleet-wide (an approximation, stated in the report): histogram-quantile rules (lookup latency,
// hops) over all lookups that ended in the trailing window — a simulated peer runs far too few
// lookups for a per-instance p95 to mean anything. Rules on metrics the simulator does not model
// (e.g. pq_downgrade_attempt_total) are skipped and listed as such.
//
// The instances an evaluation visits: every peer for the gauge rules (flat arrays, and a cached
// answer for the bootstrap count: see FleetView.bootstrapSilent); for the restart rule only the
// peers that restarted within its window, as no other can hold, plus those whose condition was
// holding (kept per rule in `held`), whose `since` must go back to NaN when it stops.
import type { AlertRecord } from '../report-types.js'
import { quantile } from '../metrics.js'
import type { LookupLog } from '../recovery/lookup-log.js'
import { SHED, OK } from '../recovery/lookup-log.js'
import type { AlertThreshold, AlertThresholds } from './thresholds.js'

/** What the evaluator reads of the simulation at each evaluation. */
export interface FleetView {
  readonly n: number
  readonly online: Uint8Array
  readonly ready: Uint8Array
  /** 1 for peers that are not part of the fleet (attackers). */
  readonly excluded: Uint8Array
  bootstrapPeers(peer: number, nowMs: number): number
  /** bootstrapPeers(peer, nowMs) === 0, which may be far cheaper to tell than the count. */
  bootstrapSilent(peer: number, nowMs: number): boolean
  /** Restarts of `peer` in (fromMs, toMs]. */
  restarts(peer: number, fromMs: number, toMs: number): number
  /** Every peer with a restart in (fromMs, toMs], repeats allowed (at least those with restarts() > 0). */
  restartedIn(fromMs: number, toMs: number): readonly number[]
  readonly lookups: LookupLog
}

type Signal = 'ready' | 'bootstrap' | 'restarts' | 'latency' | 'hops' | 'unmodelled'

interface RuleState {
  readonly rule: AlertThreshold
  readonly signal: Signal
  /** Per instance: time the condition started holding (NaN: not holding). */
  readonly since: Float64Array
  /** The instances whose `since` is set, each once. */
  held: number[]
  fleetSince: number
  firing: number
  open: AlertEpisode | undefined
}

/** An episode as the evaluator keeps it: the report's record plus which instances fired. */
export interface AlertEpisode {
  readonly name: string
  readonly firedMs: number
  /** When the condition of the first firing instance (or the fleet) started holding. */
  readonly pendingMs: number
  clearedMs: number | null
  /** Instances (peer indexes) that fired during the episode; empty for fleet-wide rules. */
  readonly instances: Set<number>
}

function signalOf(a: AlertThreshold): Signal {
  if (a.kind === 'gauge-equals' && a.metric === 'ron_dht_ready') return 'ready'
  if (a.kind === 'gauge-equals' && a.metric === 'ron_dht_bootstrap_peers') return 'bootstrap'
  if (a.kind === 'counter-increase' && a.countProcessStarts === true) return 'restarts'
  if (a.kind === 'histogram-quantile' && a.metric === 'ron_dht_lookup_seconds') return 'latency'
  if (a.kind === 'histogram-quantile' && a.metric === 'ron_dht_hops') return 'hops'
  return 'unmodelled'
}

export class AlertEvaluator {
  readonly intervalMs: number
  private readonly rules: RuleState[]
  readonly episodes: AlertEpisode[] = []
  /** Alert names the simulator cannot evaluate. */
  readonly unmodelled: string[]
  private lo = 0

  constructor(thresholds: AlertThresholds, n: number) {
    this.intervalMs = thresholds.evaluationIntervalS * 1000
    const all = thresholds.alerts.map((rule) => ({ rule, signal: signalOf(rule) }))
    this.unmodelled = all.filter((r) => r.signal === 'unmodelled').map((r) => r.rule.name)
    this.rules = all
      .filter((r) => r.signal !== 'unmodelled')
      .map((r) => ({ ...r, since: new Float64Array(r.signal === 'latency' || r.signal === 'hops' ? 0 : n).fill(NaN), held: [], fleetSince: NaN, firing: 0, open: undefined }))
  }

  /** One evaluation at nowMs. */
  evaluate(nowMs: number, v: FleetView): void {
    let lat: Float64Array | undefined
    let hops: Float64Array | undefined
    for (const st of this.rules) {
      const r = st.rule
      const forMs = r.forS * 1000
      let firing = 0
      let pendingMs = Infinity
      let fired: readonly number[] = []
      if (st.signal === 'latency' || st.signal === 'hops') {
        if (lat === undefined) [lat, hops] = this.trailing(nowMs, (r.windowS ?? 300) * 1000, v.lookups)
        const q = quantile(st.signal === 'latency' ? lat : hops!, r.quantile ?? 0.95)
        const value = q === null ? null : st.signal === 'latency' ? q / 1000 : q
        const holds = value !== null && value > (r.above ?? Infinity)
        if (!holds) st.fleetSince = NaN
        else if (Number.isNaN(st.fleetSince)) st.fleetSince = nowMs
        if (holds && nowMs - st.fleetSince >= forMs) {
          firing = 1
          pendingMs = st.fleetSince
        }
      } else {
        const inst = this.instances(st, nowMs, v)
        firing = inst.fired.length
        pendingMs = inst.pendingMs
        fired = inst.fired
      }
      if (firing > 0 && st.open === undefined) {
        st.open = { name: r.name, firedMs: nowMs, pendingMs, clearedMs: null, instances: new Set() }
        this.episodes.push(st.open)
      } else if (firing === 0 && st.open !== undefined) {
        st.open.clearedMs = nowMs
        st.open = undefined
      }
      if (st.open !== undefined) for (const p of fired) st.open.instances.add(p)
      st.firing = firing
    }
  }

  /**
   * One evaluation of a per-instance rule: updates `since` and `held`; returns the instances that
   * fire and the earliest `since` among them (Infinity: none).
   */
  private instances(st: RuleState, nowMs: number, v: FleetView): { fired: number[]; pendingMs: number } {
    const out = { fired: [] as number[], pendingMs: Infinity }
    const held = st.held
    st.held = []
    const r = st.rule
    if (st.signal === 'restarts' && (r.above ?? Infinity) >= 0) {
      // No restart in the window: 0 restarts, not above. Visit the rest; a peer already visited
      // has `since` set if it holds, and one that does not would only get the same answer again.
      for (const p of held) this.visit(st, p, nowMs, v, out)
      for (const p of v.restartedIn(nowMs - (r.windowS ?? 300) * 1000, nowMs)) if (Number.isNaN(st.since[p]!)) this.visit(st, p, nowMs, v, out)
    } else {
      for (let p = 0; p < v.n; p++) this.visit(st, p, nowMs, v, out)
    }
    return out
  }

  /** Checks the rule's condition for instance p and updates its state. */
  private visit(st: RuleState, p: number, nowMs: number, v: FleetView, out: { fired: number[]; pendingMs: number }): void {
    if (!this.holds(st, p, nowMs, v)) {
      st.since[p] = NaN
      return
    }
    if (Number.isNaN(st.since[p]!)) st.since[p] = nowMs
    st.held.push(p)
    const since = st.since[p]!
    if (nowMs - since >= st.rule.forS * 1000) {
      out.fired.push(p)
      if (since < out.pendingMs) out.pendingMs = since
    }
  }

  /** The rule's condition for instance p at nowMs; an offline or excluded peer has no series. */
  private holds(st: RuleState, p: number, nowMs: number, v: FleetView): boolean {
    if (v.online[p] !== 1 || v.excluded[p] === 1) return false
    const r = st.rule
    const value = r.value ?? 0
    if (st.signal === 'ready') return v.ready[p] === value
    if (st.signal === 'bootstrap') return value === 0 ? v.bootstrapSilent(p, nowMs) : v.bootstrapPeers(p, nowMs) === value
    return v.restarts(p, nowMs - (r.windowS ?? 300) * 1000, nowMs) > (r.above ?? Infinity)
  }

  /**
   * Latencies (ms, non-shed) and hops (successful) of lookups that ended in (now - window, now],
   * sorted. In typed arrays, whose sort compares numbers natively rather than through a callback
   * (the same order but for -0 before +0, which compare equal; there is no NaN).
   */
  private trailing(nowMs: number, windowMs: number, log: LookupLog): [Float64Array, Float64Array] {
    while (this.lo < log.size && log.endMs[this.lo]! <= nowMs - windowMs) this.lo++
    const lat: number[] = []
    const hops: number[] = []
    for (let i = this.lo; i < log.size; i++) {
      if (log.endMs[i]! > nowMs) break
      const o = log.outcome[i]!
      if (o === SHED) continue
      lat.push(log.endMs[i]! - log.startMs[i]!)
      if (o === OK) hops.push(log.hops[i]!)
    }
    return [new Float64Array(lat).sort(), new Float64Array(hops).sort()]
  }

  /** Instances firing per rule at the last evaluation (for tests). */
  firingNow(name: string): number {
    return this.rules.find((r) => r.rule.name === name)?.firing ?? 0
  }

  /** The episodes as report.alerts records, in the order they fired (instances: 0 for a fleet-wide rule). */
  records(): (AlertRecord & { readonly instances: number })[] {
    return this.episodes.map((e) => ({
      name: e.name,
      fired_s: e.firedMs / 1000,
      cleared_s: e.clearedMs === null ? null : e.clearedMs / 1000,
      instances: e.instances.size,
    }))
  }
}

/**
 * Seconds from `fromMs` to the first alert episode that fired in [fromMs, untilMs), whose
 * condition started holding at or after fromMs (an alert already pending when the fault began
 * is not the fault's), and that concerns the fault: a fleet-wide rule, or an instance rule with a
 * firing instance that `concerns` accepts (a target of the fault; any peer for link faults).
 * Null when none did.
 */
export function timeToAlertS(episodes: readonly AlertEpisode[], fromMs: number, untilMs: number, concerns: (peer: number) => boolean): number | null {
  let best: number | null = null
  for (const e of episodes) {
    if (e.firedMs < fromMs || e.firedMs >= untilMs || e.pendingMs < fromMs) continue
    let related = e.instances.size === 0
    if (!related) for (const p of e.instances) if (concerns(p)) { related = true; break }
    if (!related) continue
    const d = (e.firedMs - fromMs) / 1000
    if (best === null || d < best) best = d
  }
  return best
}
