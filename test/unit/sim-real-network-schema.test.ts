// The scenario fields that model a real network: fitted session lengths (churn.session_cdf),
// undialable peers (network.unreachable_share), data-centre peers (network.hosted), lookups from
// hosted peers only (workload.issuers) and published figures (reference). Bad values are one
// line naming the field (exit code 2); absent, a scenario resolves exactly as before.
import { describe, expect, it } from 'vitest'
import { parseScenarioText, readScenarioText } from '../../src/sim/scenario.js'
import { BadInputError } from '../../src/common/errors.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'

const MIN = 'network:\n  peers: 10\n'

function errorOf(yaml: string): string {
  try {
    parseScenarioText(yaml, 'scenario.yaml')
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError)
    expect(exitCodeFor(err)).toBe(2)
    const msg = (err as Error).message
    expect(msg).not.toContain('\n')
    return msg
  }
  throw new Error('expected a BadInputError')
}

const REF = (figure: string): string => `${MIN}reference:\n  - source: somebody, 2025\n    figures:\n      - ${figure}\n`

describe('scenario schema: a real network', () => {
  it('absent, nothing new appears in the resolved scenario', () => {
    const s = parseScenarioText(MIN, 's.yaml')
    expect(Object.keys(s.network)).toEqual(['peers', 'bootstraps', 'join_spread_s', 'regions', 'access_latency_ms', 'jitter_ms', 'loss', 'wire_codec'])
    expect(Object.keys(s.churn)).toEqual(['turnover_per_hour', 'session', 'downtime', 'weibull_shape', 'downtime_mean_s', 'amnesia'])
    expect(Object.keys(s.workload)).not.toContain('issuers')
    expect(Object.keys(s)).not.toContain('reference')
  })

  it('scenarios/ipfs-2025.yaml loads, is not a gate, and keeps its fields', () => {
    const s = parseScenarioText(readScenarioText('scenarios/ipfs-2025.yaml'), 'scenarios/ipfs-2025.yaml')
    expect(s.gate).toBe(false)
    expect(s.gates).toEqual([])
    expect(s.network.unreachable_share).toBe(0.3)
    expect(s.network.hosted).toEqual({ share: 0.3, access_latency_ms: { median: 1, sigma: 0.3 } })
    expect(s.workload.issuers).toBe('hosted')
    expect(s.reference![0]!.figures.map((f) => [f.metric, f.value])).toEqual([
      ['lookup_p50_ms', 276],
      ['lookup_p90_ms', 1093],
      ['lookup_p99_ms', 1597],
    ])
  })

  it('session_cdf: points must rise, families need enough of them, lognormal needs points', () => {
    expect(errorOf(`${MIN}churn:\n  session_cdf: [{s: 60, fraction: 1.2}]\n`)).toBe('scenario.yaml: churn.session_cdf[0].fraction: must be < 1 (got 1.2)')
    expect(errorOf(`${MIN}churn:\n  session_cdf: [{s: 0, fraction: 0.5}]\n`)).toBe('scenario.yaml: churn.session_cdf[0].s: must be >= 0.001 (got 0)')
    expect(errorOf(`${MIN}churn:\n  session: weibull\n  session_cdf: [{s: 60, fraction: 0.5}]\n`)).toBe('scenario.yaml: churn.session_cdf: a weibull fit needs at least 2 points (got 1)')
    expect(errorOf(`${MIN}churn:\n  session: weibull\n  session_cdf: [{s: 60, fraction: 0.5}, {s: 50, fraction: 0.6}]\n`)).toBe(
      'scenario.yaml: churn.session_cdf: point 1: s must be greater than the point before (got 50 after 60)',
    )
    expect(errorOf(`${MIN}churn:\n  session: lognormal\n`)).toBe('scenario.yaml: churn.session: "lognormal" needs churn.session_cdf (the points to fit)')
    expect(errorOf(`${MIN}churn:\n  session: pareto\n`)).toMatch(/^scenario\.yaml: churn\.session: must be one of "exponential", "weibull", "lognormal" \(got "pareto"\)$/)
    expect(parseScenarioText(`${MIN}churn:\n  session: exponential\n  session_cdf: [{s: 60, fraction: 0.5}]\n`, 's.yaml').churn.session_cdf).toEqual([{ s: 60, fraction: 0.5 }])
  })

  it('unreachable_share, hosted and issuers', () => {
    expect(errorOf(`${MIN}  unreachable_share: 1\n`)).toBe('scenario.yaml: network.unreachable_share: must be <= 0.99 (got 1)')
    expect(errorOf(`${MIN}  unreachable_share: -0.1\n`)).toBe('scenario.yaml: network.unreachable_share: must be >= 0 (got -0.1)')
    expect(errorOf(`${MIN}  hosted: {share: 2}\n`)).toBe('scenario.yaml: network.hosted.share: must be <= 1 (got 2)')
    expect(errorOf(`${MIN}  hosted: {}\n`)).toBe('scenario.yaml: network.hosted.share: required (a number)')
    expect(errorOf(`${MIN}  hosted: {share: 0.5, access_latency_ms: {median: -1}}\n`)).toBe('scenario.yaml: network.hosted.access_latency_ms.median: must be >= 0 (got -1)')
    expect(errorOf(`${MIN}workload:\n  issuers: hosted\n`)).toBe('scenario.yaml: workload.issuers: "hosted" needs network.hosted with a share > 0')
    expect(errorOf(`${MIN}workload:\n  issuers: everyone\n`)).toBe('scenario.yaml: workload.issuers: must be one of "any", "hosted" (got "everyone")')
    const s = parseScenarioText(`${MIN}  hosted: {share: 0.2}\n`, 's.yaml')
    expect(s.network.hosted).toEqual({ share: 0.2, access_latency_ms: { median: 1, sigma: 0.3 } })
  })

  it('reference: known metrics or latency quantiles; only a quantile can be narrowed', () => {
    expect(errorOf(REF('{metric: lookup_p50_ms}'))).toBe('scenario.yaml: reference[0].figures[0].value: required (a number)')
    expect(errorOf(REF('{metric: hops_p98, value: 4}'))).toBe('scenario.yaml: reference[0].figures[0].metric: unknown metric "hops_p98" (a report metric, or lookup_p<q>_ms with 0 < q < 100)')
    expect(errorOf(REF('{metric: lookup_p0_ms, value: 4}'))).toMatch(/^scenario\.yaml: reference\[0\]\.figures\[0\]\.metric: unknown metric "lookup_p0_ms"/)
    expect(errorOf(REF('{metric: hops_p99, value: 4, op: GET_PROVIDERS}'))).toBe('scenario.yaml: reference[0].figures[0].op: only a latency quantile (lookup_p<q>_ms) can be narrowed; "hops_p99" is a plain metric')
    expect(errorOf(REF('{metric: lookup_p90_ms, value: 4, op: PUT}'))).toMatch(/^scenario\.yaml: reference\[0\]\.figures\[0\]\.op: must be one of "FIND_NODE", "GET_PROVIDERS", "PROVIDE"/)
    expect(errorOf(`${MIN}reference:\n  - figures: [{metric: hops_p99, value: 4}]\n`)).toBe('scenario.yaml: reference[0].source: required (a string)')
    expect(errorOf(`${MIN}reference: []\n`)).toBe('scenario.yaml: reference: needs >= 1 items')
    expect(errorOf(`${MIN}reference:\n  - source: x\n    url: "javascript:alert(1)"\n    figures: [{metric: hops_p99, value: 4}]\n`)).toBe(
      'scenario.yaml: reference[0].url: must be an http(s) address (got "javascript:alert(1)")',
    )
    const s = parseScenarioText(REF('{metric: lookup_p99.9_ms, value: 2000, successful: true}'), 's.yaml')
    expect(s.reference).toEqual([{ source: 'somebody, 2025', figures: [{ metric: 'lookup_p99.9_ms', value: 2000, successful: true }] }])
  })
})
