// summary.md reads as Markdown (no HTML entities where none is needed), links each scenario's
// report, shows the variants beside their run, and replays only what failed; junit.xml carries the
// wall time each scenario took; a tolerance that can never fail is refused.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BadInputError } from '../../src/common/errors.js'
import { parseBaseline } from '../../src/report/baseline.js'
import { escapeMarkdownCell } from '../../src/report/escape.js'
import { evaluateGate } from '../../src/report/gate.js'
import { renderJunit } from '../../src/report/junit.js'
import { renderSummaryMarkdown } from '../../src/report/summary.js'
import { DEFAULT_TOLERANCES, neverFails } from '../../src/report/tolerances.js'
import type { Report } from '../../src/sim/report-types.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const load = (name: string): Report => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Report

describe('summary.md', () => {
  const base = load('baseline-pass.json')
  const drill = load('drill-loss-fail.json')
  const eclipse = load('eclipse-variants.json')
  const md = renderSummaryMarkdown(evaluateGate([base, drill, eclipse], null))

  it('writes "<" as "<" where it cannot open a tag', () => {
    expect(md).not.toContain('&lt;')
    expect(md).toContain('| baseline | lookup_p95_ms < 500 | all | 312.4 | PASS |')
    expect(escapeMarkdownCell('p95 <= 500, <b>x</b>')).toBe('p95 <= 500, &lt;b>x&lt;/b>')
  })

  it('links each scenario report', () => {
    expect(md).toContain('- PASS baseline: [report.md](baseline/report.md), [report.html](baseline/report.html)')
    expect(md).toContain('- **FAIL** bootstrap-loss: [report.md](bootstrap-loss/report.md)')
  })

  it('shows the variants beside their run', () => {
    const name = eclipse.scenario.name
    expect(md).toContain(`### ${name}: this run and its variants`)
    expect(md).toContain('| verdict | PASS | FAIL |')
    expect(md).toMatch(/\| messages_per_lookup \(cost, whole run\) \|/)
  })

  it('replays only the scenarios that failed', () => {
    const replays = md.slice(md.indexOf('### Replay the failures'))
    expect(replays).toContain(drill.replay)
    expect(replays).not.toContain(base.replay)
    expect(renderSummaryMarkdown(evaluateGate([base], null))).not.toContain('### Replay')
  })
})

describe('junit.xml time', () => {
  const base = load('baseline-pass.json')
  it("carries each scenario's wall time on its suite and the total on the root", () => {
    const xml = renderJunit(evaluateGate([base], null), { [base.scenario.name]: 12.3456 })
    expect(xml).toMatch(new RegExp(`<testsuite name="${base.scenario.name}" [^>]* time="12.346">`))
    expect(xml).toMatch(/<testsuites [^>]* time="12.346">/)
  })
  it('without times it is byte-identical run to run', () => {
    expect(renderJunit(evaluateGate([base], null))).toBe(renderJunit(evaluateGate([base], null)))
  })
})

describe('tolerances', () => {
  it('no default tolerance can never fail', () => {
    for (const [k, t] of Object.entries(DEFAULT_TOLERANCES)) expect(neverFails(t), k).toBeNull()
  })
  it('the baseline loader refuses -100 % on a metric where lower is worse, naming the field', () => {
    const text = JSON.stringify({ schema_version: 1, tolerances: { load_shed: { worse: 'lower', relative: 1 } }, scenarios: {} })
    let err: unknown
    try {
      parseBaseline(text, 'reports/baseline.json')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(BadInputError)
    expect((err as Error).message).toMatch(/^reports\/baseline.json: tolerances.load_shed: relative 1 allows a fall of 100 %: it can never fail/)
    const ok = JSON.stringify({ schema_version: 1, tolerances: { load_shed: { worse: 'lower', relative: 0.5 } }, scenarios: {} })
    expect(() => parseBaseline(ok, 'b.json')).not.toThrow()
  })
})
