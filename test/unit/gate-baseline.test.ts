// reports/baseline.json: parsing (bad input is one line naming the field), canonical bytes,
// and what --update-baseline writes (entries replaced, others and hand-edited tolerances kept).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BadInputError } from '../../src/common/errors.js'
import { emptyBaseline, entryForReport, loadBaseline, parseBaseline, serializeBaseline, withUpdatedEntries } from '../../src/report/baseline.js'
import type { Report } from '../../src/sim/report-types.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const load = (name: string): Report => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Report

function badInput(f: () => unknown): string {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError)
    expect(exitCodeFor(err)).toBe(2)
    return (err as Error).message
  }
  throw new Error('expected BadInputError')
}

describe('baseline file', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('round-trips through its canonical serialisation', () => {
    const b = withUpdatedEntries(null, [load('baseline-pass.json'), load('drill-loss-fail.json')])
    const text = serializeBaseline(b)
    expect(parseBaseline(text, 'x')).toEqual(b)
    expect(serializeBaseline(parseBaseline(text, 'x'))).toBe(text)
    expect(text.endsWith('}\n')).toBe(true)
    // Sorted keys: the file diff shows values that changed, never keys that moved.
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['comment', 'scenarios', 'schema_version', 'tolerances'])
  })

  it('names the bad field in one line', () => {
    expect(badInput(() => parseBaseline('{', 'reports/baseline.json'))).toMatch(/^reports\/baseline.json: not valid JSON/)
    expect(badInput(() => parseBaseline('{"schema_version":2,"scenarios":{}}', 'b.json'))).toMatch(/^b.json: schema_version: /)
    const wrongType = JSON.stringify({ schema_version: 1, scenarios: { baseline: { seed: '1', metrics: { hops_p99: 'four' } } } })
    expect(badInput(() => parseBaseline(wrongType, 'b.json'))).toMatch(/^b.json: scenarios.baseline.metrics.hops_p99: .*expected number/)
    const badTol = JSON.stringify({ schema_version: 1, scenarios: {}, tolerances: { hops_p99: { worse: 'sideways' } } })
    expect(badInput(() => parseBaseline(badTol, 'b.json'))).toMatch(/^b.json: tolerances.hops_p99.worse: /)
    const negative = JSON.stringify({ schema_version: 1, scenarios: {}, tolerances: { hops_p99: { worse: 'higher', absolute: -1 } } })
    expect(badInput(() => parseBaseline(negative, 'b.json'))).toMatch(/tolerances.hops_p99.absolute/)
    expect(badInput(() => parseBaseline('{"schema_version":1,"scenarios":{},"extra":1}', 'b.json'))).toMatch(/Unrecognized key/)
  })

  it('a missing file is no baseline; an unreadable one is bad input', () => {
    dir = mkdtempSync(join(tmpdir(), 'dht-sim-baseline-'))
    expect(loadBaseline(join(dir, 'nope.json'))).toBeNull()
    expect(badInput(() => loadBaseline(dir!))).toMatch(/cannot read/)
  })

  it('--update-baseline replaces the scenarios run, keeps the others and hand-edited tolerances', () => {
    const previous = withUpdatedEntries(null, [load('baseline-pass.json'), load('eclipse-variants.json')])
    const edited = { ...previous, tolerances: { ...previous.tolerances, lookup_p95_ms: { worse: 'higher' as const, relative: 0.25 } } }
    const base = load('baseline-pass.json')
    const faster: Report = { ...base, gates: base.gates.map((g) => (g.metric === 'lookup_p95_ms' ? { ...g, measured: 280 } : g)) }
    const next = withUpdatedEntries(edited, [faster])
    expect(next.scenarios.baseline?.metrics.lookup_p95_ms).toBe(280)
    expect(next.scenarios.eclipse).toEqual(previous.scenarios.eclipse)
    expect(next.tolerances?.lookup_p95_ms).toEqual({ worse: 'higher', relative: 0.25 })
  })

  it('an entry records the seed, a fingerprint of the resolved scenario, the gate metrics and the guarded ones', () => {
    const e = entryForReport(load('baseline-pass.json'))
    expect(e.seed).toBe('42')
    expect(e.scenario_sha256).toMatch(/^[0-9a-f]{64}$/)
    // messages_per_lookup: no gate names it, the baseline keeps it (GUARDED_METRICS); the fixture has no accuracy figures.
    expect(e.metrics).toEqual({ hops_p99: 4, lookup_p95_ms: 312.4, time_to_ready_p99_s: 6.2, lookup_success: 0.9996, messages_per_lookup: 38.2 })
  })

  it('a fresh baseline writes the default tolerances so they can be edited', () => {
    dir = mkdtempSync(join(tmpdir(), 'dht-sim-baseline-'))
    const path = join(dir, 'baseline.json')
    writeFileSync(path, serializeBaseline(emptyBaseline()))
    expect(loadBaseline(path)?.tolerances?.hops_p99).toEqual({ worse: 'higher', absolute: 1 })
  })
})
