// Readiness flip, collapse and recovery (MTTR), defined precisely on the simulated series:
//
// - readiness flip: the first readiness sample at or after the fault's start at which the share
//   of ready peers among the honest online ones is below `ready_below`;
// - collapse: the start of the first sliding window (window_s long, stepped by step_s, starting
//   at or after the fault's start and before its end) in which the workload lookups that started
//   in it have success < collapse_success_below or a p95 above collapse_p95_factor times the p95
//   of the lookups of the window_s just before the fault (collapse is judged against the run's
//   own healthy state, not the nominal gate, which a network may miss before any fault); null
//   when lookups never collapse while the fault lasts (no stand-in value);
// - readiness lead: collapse - flip, in seconds (positive: readiness flipped first); null when
//   readiness never flipped or lookups never collapsed while the fault lasted;
// - MTTR: from the fault's end to the start t of the first window such that every window
//   starting in [t, t + hold_s] has hops p99 <= nominal_hops_p99 and p95 < nominal_p95_ms (a
//   window with no lookup does not count as healthy); null when that never happens in the run;
// - recovery (recovery_s): the same, but "healthy" means back to the run's own pre-fault level
//   (p95 <= 1.25 x the p95 of the window_s before the fault, success >= that window's - 0.01):
//   meaningful even when the network missed the nominal gates before the fault.
import type { ReadinessSpec } from '../faults/chaos-schema.js'
import type { LookupLog } from './lookup-log.js'

export interface ReadySample {
  readonly tMs: number
  readonly fraction: number
}

export function readinessFlipMs(samples: readonly ReadySample[], fromMs: number, untilMs: number, below: number): number | null {
  for (const s of samples) {
    if (s.tMs < fromMs) continue
    if (s.tMs >= untilMs) break
    if (s.fraction < below) return s.tMs
  }
  return null
}

export function collapseMs(log: LookupLog, fromMs: number, untilMs: number, r: ReadinessSpec, include?: (peer: number) => boolean): number | null {
  const w = r.window_s * 1000
  const step = r.step_s * 1000
  const before = log.figures(fromMs - w, fromMs, include).p95Ms
  const p95Limit = before === null ? Infinity : before * r.collapse_p95_factor
  for (let t = fromMs; t < untilMs; t += step) {
    const f = log.figures(t, t + w, include)
    if (f.lookups === 0) continue
    if ((f.success !== null && f.success < r.collapse_success_below) || (f.p95Ms !== null && f.p95Ms > p95Limit)) return t
  }
  return null
}

export function mttrS(log: LookupLog, endMs: number, runEndMs: number, r: ReadinessSpec): number | null {
  return firstHealthyS(log, endMs, runEndMs, r, (f) => f.hopsP99 !== null && f.hopsP99 <= r.nominal_hops_p99 && f.p95Ms !== null && f.p95Ms < r.nominal_p95_ms)
}

/** Slack allowed when comparing with the pre-fault level. */
const RECOVERY_P95_FACTOR = 1.25
const RECOVERY_SUCCESS_SLACK = 0.01

export function recoveryS(log: LookupLog, startMs: number, endMs: number, runEndMs: number, r: ReadinessSpec): number | null {
  const pre = log.figures(startMs - r.window_s * 1000, startMs)
  if (pre.p95Ms === null || pre.success === null) return null
  const p95 = pre.p95Ms * RECOVERY_P95_FACTOR
  const success = pre.success - RECOVERY_SUCCESS_SLACK
  return firstHealthyS(log, endMs, runEndMs, r, (f) => f.p95Ms !== null && f.p95Ms <= p95 && f.success !== null && f.success >= success)
}

function firstHealthyS(log: LookupLog, endMs: number, runEndMs: number, r: ReadinessSpec, ok: (f: ReturnType<LookupLog['figures']>) => boolean): number | null {
  const w = r.window_s * 1000
  const step = r.step_s * 1000
  const holdSteps = Math.ceil((r.hold_s * 1000) / step)
  const healthy: boolean[] = []
  for (let t = endMs; t + w <= runEndMs; t += step) {
    const f = log.figures(t, t + w)
    healthy.push(f.lookups > 0 && ok(f))
  }
  for (let i = 0; i + holdSteps < healthy.length; i++) {
    let ok = true
    for (let j = i; j <= i + holdSteps && ok; j++) ok = healthy[j] === true
    if (ok) return Math.round(i * step) / 1000
  }
  return null
}
