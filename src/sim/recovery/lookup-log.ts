// Every user lookup as the chaos measurements need it: who issued it (so a window can be
// limited to peers outside a fault's targets), when it started and ended, hops and outcome, and
// for probe lookups whether an honest provider was found. Rows are appended when lookups end, so
// endMs is non-decreasing (the alert evaluator slides over it with two pointers).
import { quantile, round } from '../metrics.js'

export const OK = 1
export const FAIL = 0
export const SHED = 2

export interface LookupFigures {
  readonly lookups: number
  readonly success: number | null
  /** Success among lookups that were not shed. */
  readonly unshedSuccess: number | null
  readonly lost: number
  readonly shed: number
  /** Shed lookups among those of load bursts. */
  readonly loadShed: number
  readonly p95Ms: number | null
  readonly hopsP99: number | null
}

export class LookupLog {
  readonly peer: number[] = []
  readonly startMs: number[] = []
  readonly endMs: number[] = []
  readonly hops: number[] = []
  readonly outcome: number[] = []
  /** 1: probe lookup that found an honest provider, 0: probe lookup that did not, -1: workload, -2: load burst. */
  readonly probe: number[] = []

  get size(): number {
    return this.peer.length
  }

  add(peer: number, startMs: number, endMs: number, hops: number, outcome: number, probe: number): void {
    this.peer.push(peer)
    this.startMs.push(startMs)
    this.endMs.push(endMs)
    this.hops.push(hops)
    this.outcome.push(outcome)
    this.probe.push(probe)
  }

  /** Workload and load-burst lookups (not probes) started in [fromMs, toMs) by peers `include` accepts. */
  figures(fromMs: number, toMs: number, include?: (peer: number) => boolean): LookupFigures {
    const lat: number[] = []
    const hops: number[] = []
    let n = 0
    let ok = 0
    let shed = 0
    let loadShed = 0
    for (let i = 0; i < this.peer.length; i++) {
      const s = this.startMs[i]!
      if (s < fromMs || s >= toMs || this.probe[i]! >= 0) continue
      if (include !== undefined && !include(this.peer[i]!)) continue
      n++
      const o = this.outcome[i]!
      if (o === SHED) {
        shed++
        if (this.probe[i] === -2) loadShed++
        continue
      }
      lat.push(this.endMs[i]! - s)
      if (o === OK) {
        ok++
        hops.push(this.hops[i]!)
      }
    }
    lat.sort((a, b) => a - b)
    hops.sort((a, b) => a - b)
    const p95 = quantile(lat, 0.95)
    return {
      lookups: n,
      success: n === 0 ? null : round(ok / n, 6),
      unshedSuccess: n - shed === 0 ? null : round(ok / (n - shed), 6),
      lost: n - shed - ok,
      shed,
      loadShed,
      p95Ms: p95 === null ? null : round(p95, 1),
      hopsP99: quantile(hops, 0.99),
    }
  }

  /** Probe lookups started in [fromMs, toMs): how many, and the share that found an honest provider. */
  probeFigures(fromMs: number, toMs: number): { lookups: number; success: number | null } {
    let n = 0
    let ok = 0
    for (let i = 0; i < this.peer.length; i++) {
      const s = this.startMs[i]!
      if (s < fromMs || s >= toMs || this.probe[i]! < 0) continue
      n++
      ok += this.probe[i]!
    }
    return { lookups: n, success: n === 0 ? null : round(ok / n, 6) }
  }
}
