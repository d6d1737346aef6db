// Metrics of a run, stored compactly: one row per lookup and one per (re)start in typed arrays
// that grow by doubling (100k-peer runs make millions of rows), reduced to the snake_case
// figures of the report over any virtual-time range.
import type { LookupOp } from '../engine/types.js'
import { quantile } from '../common/quantile.js'

export const OP_CODES: Readonly<Record<LookupOp, number>> = { FIND_NODE: 0, GET_PROVIDERS: 1, PROVIDE: 2 }
export const OUTCOME_FAIL = 0
export const OUTCOME_OK = 1
export const OUTCOME_SHED = 2
/** -1 in the accuracy / provider columns: not applicable to this lookup. */
export const NA = -1

/**
 * Every metric the report and the gates know, in report order. Scenario gates may name only these.
 * Lookup metrics cover user lookups (the workload) started in the measured range.
 */
export const METRIC_NAMES = [
  'lookups',
  'lookup_success',
  'shed_lookups',
  'lookup_p50_ms',
  'lookup_p95_ms',
  'lookup_p99_ms',
  'hops_p50',
  'hops_p99',
  'messages_per_lookup',
  'lookup_accuracy',
  'provider_success',
  'provider_success_by_age_min',
  'restarts',
  'time_to_ready_p50_s',
  'time_to_ready_p99_s',
  'turnover_per_hour',
  'packets_sent',
  'packets_dropped',
  'table_fill',
  'table_fill_far',
] as const

export type MetricName = (typeof METRIC_NAMES)[number]

/**
 * Record-age bands of provider_success_by_age, in hours [from, to): the 22 h republish and the
 * 48 h expiry are band edges, so a band shows what each stage of a record's life does to lookups.
 */
export const RECORD_AGE_BANDS_H: readonly (readonly [number, number])[] = [
  [0, 12],
  [12, 22],
  [22, 24],
  [24, 36],
  [36, 48],
  [48, Infinity],
]

/** One record-age band: GET_PROVIDERS with a provider online whose key's record was this old. */
export interface AgeBand {
  readonly band: string
  readonly from_h: number
  /** null: no upper edge. */
  readonly to_h: number | null
  readonly lookups: number
  /** null when no such lookup started in the range. */
  readonly success: number | null
}

/** Time to ready over a range of starts (MetricsLog.readiness). */
export interface Readiness {
  /** Starts that became ready (a start that never did is not counted). */
  readonly starts: number
  readonly time_to_ready_p50_s: number | null
  readonly time_to_ready_p99_s: number | null
}

export function ageBandLabel(fromH: number, toH: number): string {
  return Number.isFinite(toH) ? `${fromH}-${toH} h` : `>= ${fromH} h`
}

function ageBandOf(ageS: number): number {
  const h = ageS / 3600
  for (let b = 0; b < RECORD_AGE_BANDS_H.length; b++) if (h < RECORD_AGE_BANDS_H[b]![1]) return b
  return RECORD_AGE_BANDS_H.length - 1
}

export function isMetricName(s: string): s is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(s)
}

class Columns {
  size = 0
  capacity = 1024
  op = new Uint8Array(this.capacity)
  outcome = new Uint8Array(this.capacity)
  startMs = new Float64Array(this.capacity)
  latencyMs = new Float32Array(this.capacity)
  hops = new Uint8Array(this.capacity)
  messages = new Uint16Array(this.capacity)
  accurate = new Int8Array(this.capacity)
  providerOk = new Int8Array(this.capacity)
  /** GET_PROVIDERS: age of the key's record when the lookup started, seconds; -1 when not applicable. */
  recordAgeS = new Float32Array(this.capacity)

  grow(): void {
    const cap = this.capacity * 2
    const g = <T extends Uint8Array | Float64Array | Float32Array | Uint16Array | Int8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap)
      b.set(a)
      return b
    }
    this.op = g(this.op, (n) => new Uint8Array(n))
    this.outcome = g(this.outcome, (n) => new Uint8Array(n))
    this.startMs = g(this.startMs, (n) => new Float64Array(n))
    this.latencyMs = g(this.latencyMs, (n) => new Float32Array(n))
    this.hops = g(this.hops, (n) => new Uint8Array(n))
    this.messages = g(this.messages, (n) => new Uint16Array(n))
    this.accurate = g(this.accurate, (n) => new Int8Array(n))
    this.providerOk = g(this.providerOk, (n) => new Int8Array(n))
    this.recordAgeS = g(this.recordAgeS, (n) => new Float32Array(n))
    this.capacity = cap
  }
}

export interface LookupRow {
  readonly op: LookupOp
  readonly outcome: number
  readonly startMs: number
  readonly latencyMs: number
  readonly hops: number
  readonly messages: number
  /** FIND_NODE: 1 when the result holds the true closest online peer, 0 when not; else NA. */
  readonly accurate: number
  /** GET_PROVIDERS with a provider online: 1 when >= 1 provider was found, 0 when not; else NA. */
  readonly providerOk: number
  /** GET_PROVIDERS: seconds since the key's latest successful PROVIDE (its record's age); absent: not measured. */
  readonly recordAgeS?: number
}

export class MetricsLog {
  private readonly l = new Columns()
  private readyStartMs = new Float64Array(256)
  /** Seconds to ready; for censored restarts (never ready) the time they waited. */
  private readyS = new Float64Array(256)
  private readySize = 0
  packetsSent = 0
  packetsDropped = 0
  /** Routing tables against the ideal at the end of the run (TableFillTally); null when not measured. */
  tableFill: number | null = null
  tableFillFar: number | null = null
  /** Virtual times (ms) at which a peer left; online peers sampled over time (for turnover). */
  private leaves: number[] = []
  private onlineSamples: { tMs: number; online: number }[] = []

  get lookupCount(): number {
    return this.l.size
  }

  /** Adds a lookup's row; returns its index (for addMessages). */
  addLookup(r: LookupRow): number {
    const l = this.l
    if (l.size === l.capacity) l.grow()
    const i = l.size++
    l.op[i] = OP_CODES[r.op]
    l.outcome[i] = r.outcome
    l.startMs[i] = r.startMs
    l.latencyMs[i] = r.latencyMs
    l.hops[i] = Math.min(255, Math.max(0, r.hops))
    l.messages[i] = Math.min(65535, Math.max(0, r.messages))
    l.accurate[i] = r.accurate
    l.providerOk[i] = r.providerOk
    l.recordAgeS[i] = r.recordAgeS ?? -1
    return i
  }

  /** Requests a lookup sent after it was reported (a PROVIDE's wider store): added to row i's. */
  addMessages(i: number, messages: number): void {
    const l = this.l
    l.messages[i] = Math.min(65535, l.messages[i]! + Math.max(0, messages))
  }

  addLeave(tMs: number): void {
    this.leaves.push(tMs)
  }

  addOnlineSample(tMs: number, online: number): void {
    this.onlineSamples.push({ tMs, online })
  }

  /** Departures per hour as a fraction of the mean online population, over [fromMs, toMs). */
  private turnover(fromMs: number, toMs: number): number | null {
    let sum = 0
    let n = 0
    for (const s of this.onlineSamples) {
      if (s.tMs > fromMs && s.tMs <= toMs) {
        sum += s.online
        n++
      }
    }
    const hours = (toMs - fromMs) / 3_600_000
    if (n === 0 || sum === 0 || hours <= 0) return null
    let left = 0
    for (const t of this.leaves) if (t >= fromMs && t < toMs) left++
    return left / (sum / n) / hours
  }

  addReady(startMs: number, readyS: number): void {
    if (this.readySize === this.readyS.length) {
      const a = new Float64Array(this.readyS.length * 2)
      a.set(this.readyS)
      this.readyS = a
      const b = new Float64Array(this.readyStartMs.length * 2)
      b.set(this.readyStartMs)
      this.readyStartMs = b
    }
    this.readyStartMs[this.readySize] = startMs
    this.readyS[this.readySize++] = readyS
  }

  /** Every metric over lookups and restarts that started in [fromMs, toMs), in METRIC_NAMES order. */
  compute(fromMs: number, toMs: number): Record<MetricName, number | null> {
    const l = this.l
    const latency: number[] = []
    const hops: number[] = []
    let lookups = 0
    let ok = 0
    let shed = 0
    let msgs = 0
    let accN = 0
    let accOk = 0
    let provN = 0
    let provOk = 0
    const bandN = new Float64Array(RECORD_AGE_BANDS_H.length)
    const bandOk = new Float64Array(RECORD_AGE_BANDS_H.length)
    for (let i = 0; i < l.size; i++) {
      const s = l.startMs[i]!
      if (s < fromMs || s >= toMs) continue
      lookups++
      const outcome = l.outcome[i]!
      if (outcome === OUTCOME_SHED) {
        shed++
        continue
      }
      latency.push(l.latencyMs[i]!)
      msgs += l.messages[i]!
      if (outcome === OUTCOME_OK) {
        ok++
        hops.push(l.hops[i]!)
      }
      const a = l.accurate[i]!
      if (a !== NA) {
        accN++
        accOk += a
      }
      const p = l.providerOk[i]!
      if (p !== NA) {
        provN++
        provOk += p
        const age = l.recordAgeS[i]!
        if (age >= 0) {
          const b = ageBandOf(age)
          bandN[b]!++
          bandOk[b]! += p
        }
      }
    }
    let ageMin: number | null = null
    for (let b = 0; b < bandN.length; b++) if (bandN[b]! > 0) ageMin = Math.min(ageMin ?? 1, bandOk[b]! / bandN[b]!)
    const ready: number[] = []
    for (let i = 0; i < this.readySize; i++) {
      const s = this.readyStartMs[i]!
      if (s >= fromMs && s < toMs) ready.push(this.readyS[i]!)
    }
    const sortNum = (a: number[]): number[] => a.sort((x, y) => x - y)
    sortNum(latency)
    sortNum(hops)
    sortNum(ready)
    const done = lookups - shed
    return {
      lookups,
      lookup_success: lookups === 0 ? null : round(ok / lookups, 6),
      shed_lookups: shed,
      lookup_p50_ms: roundOrNull(quantile(latency, 0.5), 1),
      lookup_p95_ms: roundOrNull(quantile(latency, 0.95), 1),
      lookup_p99_ms: roundOrNull(quantile(latency, 0.99), 1),
      hops_p50: quantile(hops, 0.5),
      hops_p99: quantile(hops, 0.99),
      messages_per_lookup: done === 0 ? null : round(msgs / done, 3),
      lookup_accuracy: accN === 0 ? null : round(accOk / accN, 6),
      provider_success: provN === 0 ? null : round(provOk / provN, 6),
      provider_success_by_age_min: roundOrNull(ageMin, 6),
      restarts: ready.length,
      time_to_ready_p50_s: roundOrNull(quantile(ready, 0.5), 3),
      time_to_ready_p99_s: roundOrNull(quantile(ready, 0.99), 3),
      turnover_per_hour: roundOrNull(this.turnover(fromMs, toMs), 4),
      packets_sent: this.packetsSent,
      packets_dropped: this.packetsDropped,
      table_fill: roundOrNull(this.tableFill, 4),
      table_fill_far: roundOrNull(this.tableFillFar, 4),
    }
  }

  /**
   * Time to ready of every (re)start in [fromMs, toMs), the initial joins included when the range
   * starts at 0 (the metrics' time_to_ready_* count the starts in the measured window only).
   */
  readiness(fromMs: number, toMs: number): Readiness {
    const ready: number[] = []
    for (let i = 0; i < this.readySize; i++) {
      const s = this.readyStartMs[i]!
      if (s >= fromMs && s < toMs) ready.push(this.readyS[i]!)
    }
    ready.sort((x, y) => x - y)
    return { starts: ready.length, time_to_ready_p50_s: roundOrNull(quantile(ready, 0.5), 3), time_to_ready_p99_s: roundOrNull(quantile(ready, 0.99), 3) }
  }

  /**
   * provider_success by record age (RECORD_AGE_BANDS_H), over the GET_PROVIDERS started in
   * [fromMs, toMs) with a provider online; provider_success_by_age_min is the lowest measured band.
   */
  providerSuccessByAge(fromMs: number, toMs: number): AgeBand[] {
    const l = this.l
    const n = new Float64Array(RECORD_AGE_BANDS_H.length)
    const ok = new Float64Array(RECORD_AGE_BANDS_H.length)
    for (let i = 0; i < l.size; i++) {
      const s = l.startMs[i]!
      const p = l.providerOk[i]!
      const age = l.recordAgeS[i]!
      if (s < fromMs || s >= toMs || p === NA || age < 0) continue
      const b = ageBandOf(age)
      n[b]!++
      ok[b]! += p
    }
    return RECORD_AGE_BANDS_H.map(([fromH, toH], b) => ({
      band: ageBandLabel(fromH, toH),
      from_h: fromH,
      to_h: Number.isFinite(toH) ? toH : null,
      lookups: n[b]!,
      success: n[b]! === 0 ? null : round(ok[b]! / n[b]!, 6),
    }))
  }

  /** Successful lookups by hop count (index = hops), started in [fromMs, toMs). */
  hopsHistogram(fromMs: number, toMs: number): number[] {
    const l = this.l
    const h: number[] = []
    for (let i = 0; i < l.size; i++) {
      const s = l.startMs[i]!
      if (s < fromMs || s >= toMs || l.outcome[i] !== OUTCOME_OK) continue
      const n = l.hops[i]!
      while (h.length <= n) h.push(0)
      h[n]!++
    }
    return h
  }

  /**
   * Latency quantile q (0..1) of the lookups started in [fromMs, toMs) that were not shed, of one
   * operation when `op` is given, successful ones only when `okOnly` (the `reference:` figures).
   */
  latencyQuantile(fromMs: number, toMs: number, q: number, op: LookupOp | undefined, okOnly: boolean): number | null {
    const l = this.l
    const code = op === undefined ? -1 : OP_CODES[op]
    const v: number[] = []
    for (let i = 0; i < l.size; i++) {
      const s = l.startMs[i]!
      if (s < fromMs || s >= toMs || l.outcome[i] === OUTCOME_SHED) continue
      if (okOnly && l.outcome[i] !== OUTCOME_OK) continue
      if (code >= 0 && l.op[i] !== code) continue
      v.push(l.latencyMs[i]!)
    }
    v.sort((x, y) => x - y)
    return roundOrNull(quantile(v, q), 1)
  }

  /** Latency at fixed fractions of the non-shed lookups started in [fromMs, toMs). */
  latencyCdf(fromMs: number, toMs: number, fractions: readonly number[]): { ms: number; fraction: number }[] {
    const l = this.l
    const v: number[] = []
    for (let i = 0; i < l.size; i++) {
      const s = l.startMs[i]!
      if (s >= fromMs && s < toMs && l.outcome[i] !== OUTCOME_SHED) v.push(l.latencyMs[i]!)
    }
    v.sort((x, y) => x - y)
    if (v.length === 0) return []
    return fractions.map((f) => ({ ms: round(quantile(v, f)!, 1), fraction: f }))
  }

  /** Per-window lookup figures for the series: windows [k*w, (k+1)*w) up to endMs. */
  windows(windowMs: number, endMs: number): { lookups: number; p95: number | null; hops99: number | null; success: number | null }[] {
    const n = Math.max(1, Math.ceil(endMs / windowMs))
    const lat: number[][] = Array.from({ length: n }, () => [])
    const hop: number[][] = Array.from({ length: n }, () => [])
    const count = new Float64Array(n)
    const ok = new Float64Array(n)
    const l = this.l
    for (let i = 0; i < l.size; i++) {
      const w = Math.floor(l.startMs[i]! / windowMs)
      if (w < 0 || w >= n) continue
      count[w]!++
      const o = l.outcome[i]!
      if (o === OUTCOME_SHED) continue
      lat[w]!.push(l.latencyMs[i]!)
      if (o === OUTCOME_OK) {
        ok[w]!++
        hop[w]!.push(l.hops[i]!)
      }
    }
    const out = []
    for (let w = 0; w < n; w++) {
      const a = lat[w]!.sort((x, y) => x - y)
      const b = hop[w]!.sort((x, y) => x - y)
      out.push({
        lookups: count[w]!,
        p95: roundOrNull(quantile(a, 0.95), 1),
        hops99: quantile(b, 0.99),
        success: count[w]! === 0 ? null : round(ok[w]! / count[w]!, 6),
      })
    }
    return out
  }

  /** Bytes held by the typed arrays (for the benchmark's memory figures). */
  bytes(): number {
    const l = this.l
    return l.capacity * (1 + 1 + 8 + 4 + 1 + 2 + 1 + 1 + 4) + this.readyS.length * 16
  }
}

/**
 * How full routing tables are against the ideal ones (GroundTruth.idealBuckets): the share of the
 * contacts the ideal tables hold that the real ones hold alive, over every bucket (table_fill)
 * and over the far buckets alone (table_fill_far: those whose part of the keyspace holds k
 * peers or more, so that the ideal bucket is full; lookups cross them on their first hops).
 * A bucket counts at most its ideal (a table cannot hold more live peers there than exist).
 */
export class TableFillTally {
  private held = 0
  private ideal = 0
  private farHeld = 0
  private farIdeal = 0

  constructor(private readonly k: number) {}

  /** One table: live contacts per bucket, and what the ideal table holds per bucket (capped at k). */
  add(held: readonly number[], ideal: readonly number[]): void {
    for (let i = 0; i < ideal.length; i++) {
      const want = ideal[i]!
      const got = Math.min(held[i] ?? 0, want)
      this.held += got
      this.ideal += want
      if (want >= this.k) {
        this.farHeld += got
        this.farIdeal += want
      }
    }
  }

  fill(): number | null {
    return this.ideal === 0 ? null : this.held / this.ideal
  }

  farFill(): number | null {
    return this.farIdeal === 0 ? null : this.farHeld / this.farIdeal
  }
}

export { quantile }

export function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function roundOrNull(x: number | null, digits: number): number | null {
  return x === null ? null : round(x, digits)
}
