// Gate evaluation and the perf-regression rules: operators, pass flags that contradict their
// numbers, tolerance directions (higher/lower/either), relative vs absolute slack, unmeasured
// metrics, stale baselines, and the overall verdict.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkRegressions, emptyBaseline, entryForReport, type Baseline } from '../../src/report/baseline.js'
import { checkGate, evaluateGate, holds } from '../../src/report/gate.js'
import { allowedWorsening, describeTolerance, resolveTolerance, worseFromOp, worsening } from '../../src/report/tolerances.js'
import type { GateResult, Report } from '../../src/sim/report-types.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const load = (name: string): Report => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Report

/** The report with some gate measurements replaced (pass flags recomputed like the simulator). */
function withMeasured(report: Report, measured: Record<string, number | null>): Report {
  const gates = report.gates.map((g) => {
    const key = g.window === 'all' ? g.metric : `${g.metric}@${g.window}`
    if (!(key in measured)) return g
    const m = measured[key] ?? null
    return { ...g, measured: m, pass: holds(g.op, m, g.threshold) }
  })
  return { ...report, gates, pass: gates.every((g) => g.pass) }
}

function baselineOf(...reports: Report[]): Baseline {
  const b = emptyBaseline()
  return { ...b, scenarios: Object.fromEntries(reports.map((r) => [r.scenario.name, entryForReport(r)])) }
}

describe('gate operators', () => {
  it.each([
    ['<', 499.9, 500, true],
    ['<', 500, 500, false],
    ['<=', 5, 5, true],
    ['<=', 5.01, 5, false],
    ['>', 0.5, 0.4, true],
    ['>=', 0.999, 0.999, true],
    ['>=', 0.9989, 0.999, false],
    ['==', 0, 0, true],
    ['==', 1, 0, false],
  ] as const)('%s: %d vs %d -> %s', (op, measured, threshold, expected) => {
    expect(holds(op, measured, threshold)).toBe(expected)
  })
  it('an unmeasured metric never holds', () => {
    expect(holds('<=', null, 5)).toBe(false)
    expect(holds('>=', Number.NaN, 0)).toBe(false)
  })
  it('a pass flag that contradicts the numbers fails the gate and says why', () => {
    const lie: GateResult = { metric: 'hops_p99', op: '<=', threshold: 5, measured: 6, pass: true, window: 'all' }
    const c = checkGate(lie)
    expect(c.pass).toBe(false)
    expect(c.inconsistency).toMatch(/report says PASS/)
    // A FAIL flag over passing numbers also fails: the writer knew something the numbers do not show.
    expect(checkGate({ ...lie, measured: 4, pass: false }).pass).toBe(false)
  })
})

describe('tolerances', () => {
  it('declares the direction of worse per metric', () => {
    expect(resolveTolerance('lookup_p95_ms', '<', undefined)).toEqual({ worse: 'higher', relative: 0.1 })
    expect(resolveTolerance('hops_p99@during:loss', '<=', undefined)).toEqual({ worse: 'higher', absolute: 1 })
    expect(resolveTolerance('lookup_success', '>=', undefined)).toEqual({ worse: 'lower', absolute: 0.001 })
  })
  it('infers the direction of an unknown metric from its gate', () => {
    expect(resolveTolerance('queue_depth_max', '<', undefined)).toEqual({ worse: 'higher', relative: 0.1 })
    expect(resolveTolerance('goodput', '>=', undefined).worse).toBe('lower')
    expect(worseFromOp('==')).toBe('either')
  })
  it('prefers a per-window override, then a per-metric override, then the defaults', () => {
    const overrides = { lookup_p95_ms: { worse: 'higher' as const, relative: 0.2 }, 'lookup_p95_ms@during:x': { worse: 'higher' as const, absolute: 50 } }
    expect(resolveTolerance('lookup_p95_ms', '<', overrides).relative).toBe(0.2)
    expect(resolveTolerance('lookup_p95_ms@during:x', '<', overrides).absolute).toBe(50)
    expect(resolveTolerance('lookup_p95_ms@after:x', '<', overrides).relative).toBe(0.2)
  })
  it('measures worsening in the bad direction only and allows the larger slack', () => {
    expect(worsening('higher', 100, 110)).toBe(10)
    expect(worsening('higher', 100, 90)).toBe(-10)
    expect(worsening('lower', 0.999, 0.997)).toBeCloseTo(0.002)
    expect(worsening('either', 3, 1)).toBe(2)
    expect(allowedWorsening({ worse: 'higher', relative: 0.1, absolute: 0.5 }, 2)).toBe(0.5)
    expect(allowedWorsening({ worse: 'higher', relative: 0.1, absolute: 0.5 }, 20)).toBe(2)
    expect(describeTolerance({ worse: 'lower', absolute: 0.001 })).toBe('-0.001')
    expect(describeTolerance({ worse: 'higher', relative: 0.1 })).toBe('+10 %')
  })
})

describe('regressions against the baseline', () => {
  const base = load('baseline-pass.json')
  const baseline = baselineOf(base)

  it('the same run is not a regression', () => {
    const r = checkRegressions(base, baseline)
    expect(r.hasBaseline).toBe(true)
    expect(r.warnings).toEqual([])
    expect(r.results.map((x) => [x.key, x.status])).toEqual([
      ['hops_p99', 'ok'],
      ['lookup_p95_ms', 'ok'],
      ['time_to_ready_p99_s', 'ok'],
      ['lookup_success', 'ok'],
      ['messages_per_lookup', 'ok'],
    ])
    expect(r.results.map((x) => x.gated)).toEqual([true, true, true, true, false])
  })

  it('p95 latency: +10 % is allowed, a little more is not', () => {
    const within = checkRegressions(withMeasured(base, { lookup_p95_ms: 312.4 * 1.1 }), baseline)
    expect(within.results.find((x) => x.key === 'lookup_p95_ms')?.status).toBe('ok')
    const beyond = checkRegressions(withMeasured(base, { lookup_p95_ms: 312.4 * 1.1 + 0.1 }), baseline)
    const r = beyond.results.find((x) => x.key === 'lookup_p95_ms')!
    expect(r.status).toBe('regressed')
    expect(r.message).toBe('lookup_p95_ms: measured 343.7, baseline 312.4, tolerance +10 %: regressed')
  })

  it('hops p99: one extra hop is allowed, two are not, fewer is fine', () => {
    const st = (v: number): string | undefined => checkRegressions(withMeasured(base, { hops_p99: v }), baseline).results.find((x) => x.key === 'hops_p99')?.status
    expect(st(5)).toBe('ok')
    expect(st(6)).toBe('regressed')
    expect(st(2)).toBe('ok')
  })

  it('lookup success: lower is worse, by more than 0.001 absolute', () => {
    const st = (v: number): string | undefined => checkRegressions(withMeasured(base, { lookup_success: v }), baseline).results.find((x) => x.key === 'lookup_success')?.status
    expect(st(0.9986)).toBe('ok')
    expect(st(0.9985)).toBe('regressed')
    expect(st(1)).toBe('ok')
  })

  it('a metric that is no longer measured regressed; one without a baseline value is new', () => {
    const r = checkRegressions(withMeasured(base, { lookup_p95_ms: null }), baseline)
    expect(r.results.find((x) => x.key === 'lookup_p95_ms')?.status).toBe('regressed')
    const noValue: Baseline = { ...baseline, scenarios: { baseline: { ...baseline.scenarios.baseline!, metrics: { hops_p99: 4 } } } }
    const n = checkRegressions(base, noValue)
    expect(n.results.find((x) => x.key === 'lookup_p95_ms')?.status).toBe('new')
  })

  it('keys fault-window gates by metric@window', () => {
    const drill = load('drill-loss-fail.json')
    expect(Object.keys(entryForReport(drill).metrics)).toEqual([
      'hops_p99@during:bootstrap-loss',
      'lookup_p95_ms@during:bootstrap-loss',
      'lookup_p95_ms@after:bootstrap-loss',
      'mttr_s',
      'alert_delay_s',
      'lookup_success',
      'messages_per_lookup',
    ])
  })

  it('warns when the baseline was measured with another seed or another scenario', () => {
    const other: Report = { ...base, seed: '43', scenario: { ...base.scenario, resolved: { ...(base.scenario.resolved as object), peers: 3000 } } }
    const r = checkRegressions(other, baseline)
    expect(r.warnings).toHaveLength(2)
    expect(r.warnings[0]).toMatch(/seed 42.*seed 43/)
  })

  it('a scenario missing from the baseline is not compared', () => {
    const r = checkRegressions(load('eclipse-variants.json'), baseline)
    expect(r).toEqual({ scenario: 'eclipse', hasBaseline: false, results: [], warnings: [] })
  })
})

describe('the overall verdict', () => {
  const base = load('baseline-pass.json')
  const eclipse = load('eclipse-variants.json')
  const baseline = baselineOf(base, eclipse)

  it('passes when every gate holds and nothing regressed', () => {
    const o = evaluateGate([base, eclipse], baseline)
    expect(o.pass).toBe(true)
    expect(o.gatesTotal).toBe(7)
    expect(o.gatesFailed).toBe(0)
    expect(o.regressionsTotal).toBe(0)
  })

  it('fails on a failed gate even without a baseline', () => {
    const o = evaluateGate([base, load('drill-loss-fail.json')], null)
    expect(o.pass).toBe(false)
    expect(o.gatesFailed).toBe(1)
    expect(o.baselineMissing).toBe(true)
  })

  it('fails on a regression while every gate still holds', () => {
    const slower = withMeasured(base, { lookup_p95_ms: 400 })
    const o = evaluateGate([slower, eclipse], baseline)
    expect(o.scenarios.every((s) => s.gatesPass)).toBe(true)
    expect(o.regressionsTotal).toBe(1)
    expect(o.pass).toBe(false)
  })

  it('does not check regressions while the baseline is being rewritten', () => {
    const slower = withMeasured(base, { lookup_p95_ms: 400 })
    const o = evaluateGate([slower], baseline, { updateBaseline: true })
    expect(o.regressionsTotal).toBe(0)
    expect(o.pass).toBe(true)
  })

  it('a scenario without gates, or no scenario at all, is not a pass', () => {
    expect(evaluateGate([{ ...base, gates: [] }], null).pass).toBe(false)
    expect(evaluateGate([], null).pass).toBe(false)
  })
})
