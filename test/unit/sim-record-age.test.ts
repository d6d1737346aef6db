// provider_success by record age: each GET_PROVIDERS with a provider online lands in the band of
// its key's record age; provider_success_by_age_min is the lowest band that had lookups, so a gate
// on it holds only when every band does. The reports show the bands once a run has more than one.
import { describe, expect, it } from 'vitest'
import { MetricsLog, NA, OUTCOME_FAIL, OUTCOME_OK } from '../../src/sim/metrics.js'
import { ContentKeys } from '../../src/sim/workload.js'
import { SeededRng } from '../../src/engine/rng.js'
import { renderMarkdown } from '../../src/report/markdown.js'
import { renderHtml } from '../../src/report/html.js'
import type { Report } from '../../src/sim/report-types.js'

const H = 3600
const get = (startMs: number, ok: boolean, ageS: number | undefined) => ({
  op: 'GET_PROVIDERS' as const,
  outcome: ok ? OUTCOME_OK : OUTCOME_FAIL,
  startMs,
  latencyMs: 100,
  hops: 2,
  messages: 10,
  accurate: NA,
  providerOk: ok ? 1 : 0,
  ...(ageS !== undefined ? { recordAgeS: ageS } : {}),
})

describe('provider success by record age', () => {
  it('buckets by age at the band edges and reports the lowest band', () => {
    const m = new MetricsLog()
    for (let i = 0; i < 10; i++) m.addLookup(get(1000, true, 11.9 * H))
    m.addLookup(get(1000, true, 12 * H)) // 12-22 h
    m.addLookup(get(1000, true, 22 * H))
    m.addLookup(get(1000, false, 22 * H)) // 22-24 h: 0.5
    m.addLookup(get(1000, false, 49 * H)) // >= 48 h: 0
    m.addLookup(get(1000, true, 60 * H))
    m.addLookup(get(1000, false, undefined)) // no age: provider_success only
    const bands = m.providerSuccessByAge(0, 2000)
    expect(bands.map((b) => [b.band, b.lookups, b.success])).toEqual([
      ['0-12 h', 10, 1],
      ['12-22 h', 1, 1],
      ['22-24 h', 2, 0.5],
      ['24-36 h', 0, null],
      ['36-48 h', 0, null],
      ['>= 48 h', 2, 0.5],
    ])
    const metrics = m.compute(0, 2000)
    expect(metrics.provider_success_by_age_min).toBe(0.5)
    expect(metrics.provider_success).toBe(round6(13 / 16))
    expect(new MetricsLog().compute(0, 1).provider_success_by_age_min).toBeNull()
  })

  it("ages a key's record from its latest successful PROVIDE", () => {
    const keys = new ContentKeys(new SeededRng('ages'), 10)
    const k = keys.keyToProvide()
    expect(keys.recordAgeS(k, 5000)).toBe(-1)
    keys.markProvided(k, 3, 1000)
    expect(keys.recordAgeS(k, 11_000)).toBe(10)
    keys.markProvided(k, 4, 9000)
    expect(keys.recordAgeS(k, 11_000)).toBe(2)
  })

  it('shows the bands in report.md and report.html once more than one has lookups', () => {
    const m = new MetricsLog()
    m.addLookup(get(1000, true, H))
    const one = reportWith(m.providerSuccessByAge(0, 2000))
    expect(renderMarkdown(one)).not.toContain('Provider success by record age')
    m.addLookup(get(1000, false, 50 * H))
    const two = reportWith(m.providerSuccessByAge(0, 2000))
    expect(renderMarkdown(two)).toContain('| >= 48 h | 1 | 0 |')
    const html = renderHtml(two)
    expect(html).toContain('Provider success by record age')
    expect(html).toContain('chart-record-age')
  })
})

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6
}

function reportWith(bands: Report['provider_success_by_age']): Report {
  return {
    schema_version: 1,
    tool: { name: 'dht-sim', version: '0.0.0' },
    scenario: { name: 'ages', resolved: {} },
    seed: '1',
    replay: 'dht-sim run ages.yaml --seed 1',
    virtual_duration_s: 2,
    metrics: {},
    gates: [],
    pass: true,
    series: { window_s: 1, points: [] },
    hops_histogram: [],
    latency_cdf: [],
    faults: [],
    alerts: [],
    variants: [],
    ...(bands !== undefined ? { provider_success_by_age: bands } : {}),
  }
}
