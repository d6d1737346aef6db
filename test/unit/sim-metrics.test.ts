import { describe, expect, it } from 'vitest'
import { MetricsLog, NA, OUTCOME_FAIL, OUTCOME_OK, OUTCOME_SHED, METRIC_NAMES, quantile } from '../../src/sim/metrics.js'
import { checkGates, parseGate } from '../../src/sim/gates.js'
import { zipfRank, ContentKeys } from '../../src/sim/workload.js'
import { SeededRng } from '../../src/engine/rng.js'

describe('quantile (nearest rank)', () => {
  it('picks ranks, not interpolations', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(quantile(xs, 0.5)).toBe(50)
    expect(quantile(xs, 0.95)).toBe(95)
    expect(quantile(xs, 0.99)).toBe(99)
    expect(quantile(xs, 1)).toBe(100)
    expect(quantile([7], 0.99)).toBe(7)
    expect(quantile([], 0.5)).toBeNull()
  })
})

describe('MetricsLog', () => {
  const row = (startMs: number, outcome: number, latencyMs: number, hops: number, extra: Partial<{ op: 'FIND_NODE' | 'GET_PROVIDERS' | 'PROVIDE'; accurate: number; providerOk: number }> = {}) => ({
    op: extra.op ?? ('FIND_NODE' as const),
    outcome,
    startMs,
    latencyMs,
    hops,
    messages: 10,
    accurate: extra.accurate ?? NA,
    providerOk: extra.providerOk ?? NA,
  })

  it("adds requests sent after a lookup was reported (a PROVIDE's wider store) to its row, not its latency", () => {
    const m = new MetricsLog()
    const a = m.addLookup(row(1000, OUTCOME_OK, 100, 2, { op: 'PROVIDE' }))
    const b = m.addLookup(row(1001, OUTCOME_OK, 300, 2))
    expect([a, b]).toEqual([0, 1])
    m.addMessages(a, 30)
    const r = m.compute(0, 10_000)
    expect(r.messages_per_lookup).toBe((10 + 30 + 10) / 2)
    expect(r.lookup_p50_ms).toBe(100)
  })

  it('computes the metrics over the lookups started in the range, in METRIC_NAMES order', () => {
    const m = new MetricsLog()
    m.addLookup(row(500, OUTCOME_FAIL, 9999, 9)) // in the warm-up: excluded
    for (let i = 0; i < 98; i++) m.addLookup(row(1000 + i, OUTCOME_OK, 100 + i, i < 90 ? 2 : 4, { accurate: i < 49 ? 1 : 0 }))
    m.addLookup(row(2000, OUTCOME_FAIL, 750, 0, { op: 'GET_PROVIDERS', providerOk: 0 }))
    m.addLookup(row(2001, OUTCOME_SHED, 0, 0))
    m.addReady(1500, 2.5)
    m.addReady(100, 99) // before the range
    const r = m.compute(1000, 10_000)
    expect(Object.keys(r)).toEqual([...METRIC_NAMES])
    expect(r.lookups).toBe(100)
    expect(r.lookup_success).toBe(0.98)
    expect(r.shed_lookups).toBe(1)
    expect(r.hops_p50).toBe(2)
    expect(r.hops_p99).toBe(4)
    expect(r.lookup_p99_ms).toBe(750) // the failed GET_PROVIDERS waited 750 ms
    expect(r.lookup_accuracy).toBe(0.5)
    expect(r.provider_success).toBe(0)
    expect(r.restarts).toBe(1)
    expect(r.time_to_ready_p99_s).toBe(2.5)
    expect(m.hopsHistogram(1000, 10_000)).toEqual([0, 0, 90, 0, 8])
    // Over the whole run, the start before the window (an initial join) counts too.
    expect(m.readiness(0, 10_000)).toEqual({ starts: 2, time_to_ready_p50_s: 2.5, time_to_ready_p99_s: 99 })
    expect(m.readiness(50_000, 60_000)).toEqual({ starts: 0, time_to_ready_p50_s: null, time_to_ready_p99_s: null })
    const empty = m.compute(50_000, 60_000)
    expect(empty.lookups).toBe(0)
    expect(empty.lookup_success).toBeNull()
    expect(empty.hops_p99).toBeNull()
  })

  it('windows lookups by start time', () => {
    const m = new MetricsLog()
    for (let i = 0; i < 3000; i++) m.addLookup(row(i * 10, OUTCOME_OK, 50, 3))
    const w = m.windows(10_000, 30_000)
    expect(w.map((x) => x.lookups)).toEqual([1000, 1000, 1000])
    expect(w[0]!.hops99).toBe(3)
  })
})

describe('gates', () => {
  it('pass, fail, and fail when unmeasured', () => {
    const gates = ['hops_p99 <= 5', 'lookup_p95_ms < 500', 'lookup_success >= 0.999', 'provider_success > 0.5'].map((g) => parseGate(g).gate!)
    const r = checkGates(gates, () => ({ hops_p99: 5, lookup_p95_ms: 500, lookup_success: 0.9995, provider_success: null }))
    expect(r.map((g) => g.pass)).toEqual([true, false, true, false])
    expect(r[3]!.measured).toBeNull()
    expect(r[0]).toEqual({ metric: 'hops_p99', op: '<=', threshold: 5, measured: 5, pass: true, window: 'all' })
  })

  it('rejects unknown metrics and malformed gates', () => {
    expect(parseGate('hop_p99 <= 5').error).toMatch(/unknown metric/)
    expect(parseGate('hops_p99 =< 5').error).toMatch(/must look like/)
    expect(parseGate({ metric: 'lookups', op: '>=', threshold: 1, window: 'sometimes' }).error).toMatch(/window/)
  })
})

describe('workload', () => {
  it('zipf ranks: rank 0 most popular, roughly 1/k', () => {
    const rng = new SeededRng('zipf')
    const counts = new Array<number>(100).fill(0)
    for (let i = 0; i < 50_000; i++) counts[zipfRank(rng, 100, 1)]!++
    expect(counts[0]!).toBeGreaterThan(counts[1]!)
    expect(counts[1]!).toBeGreaterThan(counts[9]!)
    expect(counts[0]! / counts[9]!).toBeGreaterThan(4)
    const uniform = new Array<number>(10).fill(0)
    for (let i = 0; i < 10_000; i++) uniform[zipfRank(rng, 10, 0)]!++
    expect(Math.min(...uniform)).toBeGreaterThan(850)
  })

  it('content keys: provided in order, re-provided past the cap, providers tracked', () => {
    const keys = new ContentKeys(new SeededRng('keys'), 2)
    expect(keys.keyToGet(1)).toBe(-1)
    const a = keys.keyToProvide()
    const b = keys.keyToProvide()
    expect([a, b]).toEqual([0, 1])
    expect(keys.keyToProvide()).toBeLessThan(2)
    keys.markProvided(b, 7, 0)
    keys.markProvided(b, 7, 0)
    expect(keys.provided).toEqual([1])
    expect(keys.keyToGet(1)).toBe(1)
    expect(keys.anyProviderOnline(1, (p) => p === 7)).toBe(true)
    expect(keys.anyProviderOnline(1, () => false)).toBe(false)
  })
})
