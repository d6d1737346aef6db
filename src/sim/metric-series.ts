// Each gate's metric over virtual time: the figure the gate judges, sampled over every series
// window (metrics.window_s), so the report can chart exactly what is gated beside its threshold
// (a gate on the outside peers' p95 is charted on the outside peers' p95, not on everyone's).
//
// Two kinds (report-types.ts, metricSeriesSchema):
// - level: the metric recomputed over each window [k*w, (k+1)*w) with the same code the gate
//   uses over its own window (MetricsLog.compute, LookupLog.figures, the reject log);
// - elapsed: a measure timed from a fault's edge (mttr_s, time_to_alert_s, readiness_lead_s...)
//   has no per-window value; its points are the series it is read from (p95 for MTTR, alerts
//   firing for time to alert, the ready share for readiness) with the line they are judged
//   against, and the instants the measure was taken at.
// Cheap by construction: one pass per window over the logs for the metrics some gate names,
// results cached per window and shared by every gate. Deterministic: virtual time only.
import type { ChaosRun } from './chaos/chaos-run.js'
import { chaosOf } from './faults/chaos-schema.js'
import type { Target } from './faults/targets.js'
import { isMetricName, type MetricName } from './metrics.js'
import type { LookupFigures } from './recovery/lookup-log.js'
import type { AlertRecord, FaultWindow, GateOp, MetricSeries } from './report-types.js'
import type { ResolvedScenario } from './scenario.js'
import type { Simulation } from './simulation.js'

export interface MetricSeriesInput {
  readonly sim: Pick<Simulation, 'metrics' | 'durationMs'>
  readonly chaos?: ChaosRun
  readonly scenario: ResolvedScenario
  readonly gates: readonly { readonly metric: string; readonly window: string }[]
  /** Fault windows with their measures (report.faults). */
  readonly faults: readonly FaultWindow[]
  readonly alerts: readonly AlertRecord[]
}

type Point = { t_s: number; value: number | null }
type Series = { -readonly [K in keyof MetricSeries]: MetricSeries[K] }

const OUTSIDE: Readonly<Record<string, keyof LookupFigures>> = {
  outside_lookup_success: 'success',
  outside_lookup_p95_ms: 'p95Ms',
  outside_hops_p99: 'hopsP99',
}
const ALL_LOOKUPS: Readonly<Record<string, keyof LookupFigures>> = {
  unshed_success: 'unshedSuccess',
  load_shed: 'loadShed',
  lost_lookups: 'lost',
}
const ELAPSED = new Set(['mttr_s', 'recovery_s', 'time_to_alert_s', 'readiness_flip_s', 'collapse_s', 'readiness_lead_s'])

/** One series per distinct (metric, window) among the gates, in gate order. */
export function metricSeries(input: MetricSeriesInput): MetricSeries[] {
  const { sim, scenario } = input
  const wMs = scenario.metrics.window_s * 1000
  const endMs = sim.durationMs
  const n = Math.max(1, Math.ceil(endMs / wMs))
  const tOf = (k: number): number => Math.min((k + 1) * scenario.metrics.window_s, scenario.duration_s)
  const memo = new Map<string, unknown[]>()
  /** Per-window values of one reduction, computed once and shared by every gate that needs it. */
  const perWindow = <T>(key: string, f: (fromMs: number, toMs: number) => T): T[] => {
    let v = memo.get(key) as T[] | undefined
    if (v === undefined) {
      v = []
      for (let k = 0; k < n; k++) v.push(f(k * wMs, Math.min((k + 1) * wMs, endMs)))
      memo.set(key, v)
    }
    return v
  }
  const points = (values: readonly (number | null | undefined)[]): Point[] => values.map((v, k) => ({ t_s: tOf(k), value: v ?? null }))
  const label = (what: string): string => `${what} over each ${scenario.metrics.window_s} s window`

  const ctx: SeriesContext = { input, perWindow, points, label }
  const out: Series[] = []
  const seen = new Set<string>()
  for (const g of input.gates) {
    const key = `${g.metric}\n${g.window}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push((ELAPSED.has(g.metric) ? elapsedSeries : levelSeries)(ctx, g.metric, g.window))
  }
  return out
}

type PerWindow = <T>(key: string, f: (fromMs: number, toMs: number) => T) => T[]

/** What every series builder shares: the run's data, the per-window cache and the point and label makers. */
interface SeriesContext {
  readonly input: MetricSeriesInput
  readonly perWindow: PerWindow
  readonly points: (v: readonly (number | null | undefined)[]) => Point[]
  readonly label: (what: string) => string
}

function levelSeries(ctx: SeriesContext, metric: string, window: string): Series {
  const { input, perWindow, points, label } = ctx
  const { sim, chaos } = input
  const base = { metric, window, kind: 'level' as const, label: label(metric) }
  if (isMetricName(metric)) {
    const all = perWindow('sim', (a, b) => sim.metrics.compute(a, b))
    return { ...base, points: points(all.map((m) => m[metric as MetricName])) }
  }
  if (chaos === undefined) return { ...base, points: points([]), label: `${metric}: no per-window figure without the chaos machinery` }
  const outside = OUTSIDE[metric]
  if (outside !== undefined) {
    const targets = targetsOf(input, window)
    const include = (p: number): boolean => {
      for (const t of targets) if (t.kind === 'peers' && t.member[p] === 1) return false
      return true
    }
    const f = perWindow(`outside\n${window}`, (a, b) => chaos.log.figures(a, b, include))
    return { ...base, points: points(f.map((x) => x[outside] as number | null)) }
  }
  const own = ALL_LOOKUPS[metric]
  if (own !== undefined) {
    const f = perWindow('log', (a, b) => chaos.log.figures(a, b))
    return { ...base, points: points(f.map((x) => x[own] as number | null)) }
  }
  if (metric === 'honest_provider_success' || metric === 'victim_found' || metric === 'probe_lookups') {
    const f = perWindow('probe', (a, b) => chaos.log.probeFigures(a, b))
    return { ...base, points: points(f.map((x) => (metric === 'probe_lookups' ? x.lookups : x.success))) }
  }
  if (metric.startsWith('rejected_')) {
    const f = perWindow('rejects', (a, b) => chaos.rejects.counts(a, b))
    return { ...base, label: label(`${metric} (count)`), points: points(f.map((x) => x[metric] ?? 0)) }
  }
  if (metric === 'sybil_suspected') {
    const f = perWindow('suspects', (a, b) => chaos.suspects.counts(a, b))
    return { ...base, label: label('sybil_suspected (count)'), points: points(f.map((x) => x.rejected_sybil_suspected ?? 0)) }
  }
  if (metric === 'pages_firing_at_end') {
    // The gate reads the last point: what is still paging when the run ends.
    const f = perWindow('pages', (_a, b) => chaos.pagesFiringAt(b >= sim.durationMs ? Infinity : b))
    return { ...base, label: 'paging alerts firing at the end of each window', points: points(f) }
  }
  if (metric === 'alerts_fired') {
    const f = perWindow('fired', (a, b) => input.alerts.filter((x) => x.fired_s * 1000 >= a && x.fired_s * 1000 < b).length)
    return { ...base, points: points(f) }
  }
  // A figure with no per-window meaning (cpu_queue_peak, flipped_nodes...): no points, said so.
  return { ...base, label: `${metric}: measured over the gate's window only`, points: [] }
}

function elapsedSeries(ctx: SeriesContext, metric: string, window: string): Series {
  const { input, perWindow, points, label } = ctx
  const { chaos, scenario } = input
  const fault = faultOf(input.faults, window)
  const r = chaosOf(scenario).readiness
  const base = { metric, window, kind: 'elapsed' as const }
  const events: { t_s: number; label: string }[] = []
  const at = (edge: number | undefined, v: number | null | undefined, what: string): void => {
    if (edge !== undefined && v !== null && v !== undefined) events.push({ t_s: round3(edge + v), label: what })
  }
  if (metric === 'mttr_s' || metric === 'recovery_s') {
    const f = chaos === undefined ? [] : perWindow('log', (a, b) => chaos.log.figures(a, b))
    at(fault?.until_s, fault?.[metric], metric === 'mttr_s' ? 'back inside the nominal gates' : 'back to the pre-fault level')
    return {
      ...base,
      label: label('lookup p95 (ms)'),
      points: points(f.map((x) => x.p95Ms)),
      ...(fault !== undefined ? { origin_s: fault.until_s } : {}),
      criterion: { op: '<', value: r.nominal_p95_ms, label: `nominal p95 < ${r.nominal_p95_ms} ms (and hops p99 <= ${r.nominal_hops_p99})` },
      events,
    }
  }
  if (metric === 'time_to_alert_s') {
    const alerts = input.alerts
    const f = perWindow('firing', (_a, b) => alerts.filter((x) => x.fired_s * 1000 < b && (x.cleared_s === null || x.cleared_s * 1000 >= b)).length)
    at(fault?.at_s, fault?.time_to_alert_s, 'first alert concerning the fault')
    return { ...base, label: 'alerts firing at the end of each window', points: points(f), ...(fault !== undefined ? { origin_s: fault.at_s } : {}), events }
  }
  // readiness_lead_s, readiness_flip_s, collapse_s: the ready share of honest online peers (the
  // lowest sample of each window: a flip is the first sample below the line).
  const samples = chaos?.readySamples ?? []
  const f = perWindow('ready', (a, b) => {
    let v: number | null = null
    for (const s of samples) if (s.tMs >= a && s.tMs < b && (v === null || s.fraction < v)) v = s.fraction
    return v === null ? null : round3(v)
  })
  at(fault?.at_s, fault?.readiness_flip_s, 'readiness flipped')
  at(fault?.at_s, fault?.collapse_s, 'lookups collapsed')
  return {
    ...base,
    label: label('lowest ready share of honest online peers'),
    points: points(f),
    ...(fault !== undefined ? { origin_s: fault.at_s } : {}),
    criterion: { op: '<' as GateOp, value: r.ready_below, label: `readiness flips below ${r.ready_below}` },
    events,
  }
}

/** The fault a window names ("during:x", "after:x"), if any. */
function faultOf(faults: readonly FaultWindow[], window: string): FaultWindow | undefined {
  const sep = window.indexOf(':')
  return sep < 0 ? undefined : faults.find((f) => f.id === window.slice(sep + 1))
}

/** The peers a window's "outside" excludes: its fault's targets, or every peer-targeted fault's for "all". */
function targetsOf(input: MetricSeriesInput, window: string): Target[] {
  const chaos = input.chaos
  if (chaos === undefined) return []
  const named = faultOf(input.faults, window)
  const ids = named !== undefined ? [named.id] : input.faults.map((f) => f.id)
  const out: Target[] = []
  for (const id of ids) {
    const t = chaos.fault(id)?.target
    if (t !== undefined && t.kind === 'peers') out.push(t)
  }
  return out
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}
