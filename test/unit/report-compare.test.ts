// `dht-sim compare`: metric deltas (absolute, relative, better/worse by the gate's notion of worse),
// gate status changes, and bad or missing files as one-line bad input (exit 2).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareCommand } from '../../src/cli/commands/compare.js'
import { BadInputError } from '../../src/common/errors.js'
import { compareReports, renderComparison } from '../../src/report/compare.js'
import { loadReport } from '../../src/report/load-report.js'
import type { Report } from '../../src/sim/report-types.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const fixture = (name: string): string => join(fixtures, name)
const load = (name: string): Report => JSON.parse(readFileSync(fixture(name), 'utf8')) as Report

function badInput(f: () => unknown): string {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError)
    expect(exitCodeFor(err)).toBe(2)
    expect((err as Error).message).not.toContain('\n')
    return (err as Error).message
  }
  throw new Error('expected BadInputError')
}

describe('compareReports', () => {
  const a = load('baseline-pass.json')
  const slowerGates = a.gates.map((g) =>
    g.metric === 'lookup_p95_ms' ? { ...g, measured: 520, pass: false } : g.metric === 'hops_p99' ? { ...g, measured: 3 } : g,
  )
  const b: Report = { ...a, metrics: { ...a.metrics, lookup_p95_ms: 520, hops_p99: 3, lookup_success: 0.9993, new_metric: 1 }, gates: slowerGates, pass: false }
  const c = compareReports(a, b)

  it('gives absolute and relative deltas for every metric in either report, by name', () => {
    const p95 = c.metrics.find((m) => m.metric === 'lookup_p95_ms')!
    expect(p95.a).toBe(312.4)
    expect(p95.b).toBe(520)
    expect(p95.delta).toBeCloseTo(207.6)
    expect(p95.relative).toBeCloseTo(207.6 / 312.4)
    expect(c.metrics.map((m) => m.metric)).toEqual([...c.metrics.map((m) => m.metric)].sort())
    expect(c.metrics.find((m) => m.metric === 'new_metric')).toMatchObject({ a: null, b: 1, delta: null, verdict: 'n/a' })
  })

  it('judges better and worse by the metric direction and tolerance', () => {
    const v = (name: string): string | undefined => c.metrics.find((m) => m.metric === name)?.verdict
    expect(v('lookup_p95_ms')).toBe('worse beyond tolerance')
    expect(v('hops_p99')).toBe('better')
    expect(v('lookup_success')).toBe('worse')
    expect(v('lookups')).toBe('same')
  })

  it('lists only the gates whose status changed', () => {
    expect(c.gateChanges).toEqual([{ gate: 'lookup_p95_ms < 500', window: 'all', a: 'PASS', b: 'FAIL', measuredA: 312.4, measuredB: 520 }])
  })

  it('notes different scenarios and seeds', () => {
    const d = compareReports(a, load('drill-loss-fail.json'))
    expect(d.notes).toEqual(['different scenarios: baseline vs bootstrap-loss', 'different seeds: 42 vs 7 (deltas include seed noise)'])
    // Gates present on one side only appear as absent on the other.
    expect(d.gateChanges.some((g) => g.a === 'absent' && g.b === 'FAIL')).toBe(true)
  })

  it('renders a table', () => {
    const text = renderComparison(c)
    expect(text).toContain('A: baseline seed 42 PASS')
    expect(text).toMatch(/lookup_p95_ms\s+312\.4\s+520\s+\+207\.6\s+\+66\.5 %\s+worse beyond tolerance/)
    expect(text).toMatch(/lookup_p95_ms < 500\s+all\s+PASS\s+FAIL\s+312\.4\s+520/)
  })

  it('the same report twice has no deltas and no gate changes', () => {
    const same = compareReports(a, a)
    expect(same.metrics.every((m) => m.verdict === 'same' && (m.delta === null || m.delta === 0))).toBe(true)
    expect(renderComparison(same)).toContain('gate status: unchanged')
  })
})

describe('compare command', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dht-sim-compare-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string, text: string): string => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }

  it('exit 0 with the deltas for two good reports', () => {
    const r = compareCommand(fixture('baseline-pass.json'), fixture('drill-loss-fail.json'), {})
    expect(r.exitCode).toBe(0)
    expect(r.output).toContain('mttr_s')
    const j = compareCommand(fixture('baseline-pass.json'), fixture('baseline-pass.json'), { json: true })
    expect((JSON.parse(j.output) as { gateChanges: unknown[] }).gateChanges).toEqual([])
  })

  it('exit 2 with one line naming the file (and field) for bad or missing files', () => {
    const good = fixture('baseline-pass.json')
    expect(badInput(() => compareCommand(join(dir, 'nope.json'), good, {}))).toBe(`${join(dir, 'nope.json')}: cannot read (no such file)`)
    expect(badInput(() => compareCommand(good, dir, {}))).toBe(`${dir}: not a file`)
    expect(badInput(() => compareCommand(good, file('trunc.json', '{"schema_version": 1,'), {}))).toMatch(/trunc.json: not valid JSON/)
    expect(badInput(() => compareCommand(good, file('array.json', '[]'), {}))).toMatch(/array.json: \(top level\): /)
    const r = load('baseline-pass.json')
    expect(badInput(() => compareCommand(good, file('v2.json', JSON.stringify({ ...r, schema_version: 2 })), {}))).toMatch(/v2.json: schema_version: /)
    const badGate = { ...r, gates: [{ ...r.gates[0], op: '=<' }] }
    expect(badInput(() => compareCommand(good, file('gate.json', JSON.stringify(badGate)), {}))).toMatch(/gate.json: gates\[0\].op: /)
    const badMetric = { ...r, metrics: { hops_p99: 'four' } }
    expect(badInput(() => compareCommand(good, file('metric.json', JSON.stringify(badMetric)), {}))).toMatch(/metric.json: metrics.hops_p99: /)
  })

  it('loads what the fixtures and the simulator write', () => {
    for (const f of ['baseline-pass.json', 'drill-loss-fail.json', 'eclipse-variants.json']) expect(loadReport(fixture(f)).scenario.name).not.toBe('')
  })
})
