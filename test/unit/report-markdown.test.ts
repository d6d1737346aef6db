// report.md shows what report.json holds beyond the gates: each fault's measures (readiness lead,
// MTTR, time to alert), the alerts that fired and cleared, and a variant run (e.g. defences off)
// beside this one, with scenario strings escaped for table cells.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../src/report/markdown.js'
import type { Report } from '../../src/sim/report-types.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const load = (name: string): Report => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Report

describe('report.md', () => {
  it("shows each fault's measures and every alert episode", () => {
    const r = load('drill-loss-fail.json')
    const withMeasures: Report = { ...r, faults: [{ ...r.faults[0]!, readiness_flip_s: 16, collapse_s: 886, readiness_lead_s: 870, mttr_s: 0, recovery_s: 0, time_to_alert_s: 45 }] }
    const md = renderMarkdown(withMeasures)
    expect(md).toContain('| bootstrap-loss | loss | 1200 | 1800 | 16 | 886 | 870 | 0 | 0 | 45 |')
    expect(md).toContain('| DhtNotReady | 1216 | 1815 |')
    expect(md).toContain('| DhtLookupP95High | 2400 | still firing |')
    // a fault without measures shows n/a rather than dropping columns
    expect(renderMarkdown(r)).toContain('| bootstrap-loss | loss | 1200 | 1800 | n/a | n/a | n/a | n/a | n/a | n/a |')
  })

  it('puts a variant run beside this one, at the top and metric by metric', () => {
    const r = load('eclipse-variants.json')
    const md = renderMarkdown(r)
    const v = r.variants[0]!
    expect(md.indexOf('## This run and its variants')).toBeLessThan(md.indexOf('## Gates'))
    expect(md).toContain(`| | this run | ${v.label} |`)
    expect(md).toContain('| lookup_success >= 0.99 (during:eclipse) | 0.9952 PASS | 0.7313 FAIL |')
    expect(md).toContain(`| lookup_success | ${r.metrics['lookup_success']} | 0.7313 |`)
    const hostile: Report = { ...r, variants: [{ ...v, label: 'off | <b>' }], alerts: [{ name: 'A|B', fired_s: 1, cleared_s: null }] }
    const md2 = renderMarkdown(hostile)
    expect(md2).toContain('| metric | this run | off \\| &lt;b> |')
    expect(md2).toContain('| A\\|B | 1 | still firing |')
  })
})
