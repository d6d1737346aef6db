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
  /** Restarts of `peer` in (fromMs, toMs]. */
  restarts(peer: number, fromMs: number, toMs: number): number
  readonly lookups: LookupLog
}

type Signal = 'ready' | 'bootstrap' | 'restarts' | 'latency' | 'hops' | 'unmodelled'

interface RuleState {
  readonly rule: AlertThreshold
  readonly signal: Signal
  /** Per instance: time the condition started holding (NaN: not holding). */
  readonly since: Float64Array
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
      .map((r) => ({ ...r, since: new Float64Array(r.signal === 'latency' || r.signal === 'hops' ? 0 : n).fill(NaN), fleetSince: NaN, firing: 0, open: undefined }))
  }

  /** One evaluation at nowMs. */
  evaluate(nowMs: number, v: FleetView): void {
    let lat: number[] | undefined
    let hops: number[] | undefined
    for (const st of this.rules) {
      const r = st.rule
      const forMs = r.forS * 1000
      let firing = 0
      let pendingMs = Infinity
      const fired: number[] = []
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
        for (let p = 0; p < v.n; p++) {
          let holds = false
          if (v.online[p] === 1 && v.excluded[p] !== 1) {
            if (st.signal === 'ready') holds = v.ready[p] === (r.value ?? 0)
            else if (st.signal === 'bootstrap') holds = v.bootstrapPeers(p, nowMs) === (r.value ?? 0)
            else holds = v.restarts(p, nowMs - (r.windowS ?? 300) * 1000, nowMs) > (r.above ?? Infinity)
          }
          if (!holds) {
            st.since[p] = NaN
            continue
          }
          if (Number.isNaN(st.since[p]!)) st.since[p] = nowMs
          if (nowMs - st.since[p]! >= forMs) {
            firing++
            fired.push(p)
            if (st.since[p]! < pendingMs) pendingMs = st.since[p]!
          }
        }
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

  /** Latencies (ms, non-shed) and hops (successful) of lookups that ended in (now - window, now]. */
  private trailing(nowMs: number, windowMs: number, log: LookupLog): [number[], number[]] {
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
    lat.sort((a, b) => a - b)
    hops.sort((a, b) => a - b)
    return [lat, hops]
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
