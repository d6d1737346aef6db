// The sweep's table and progress: chosen columns (each cell's gates, then what it costs), not
// every metric; an ETA from the cells done so far; --columns refuses a metric nobody measures;
// share charts stay within [0, 1].
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { clock, parseColumns, progressLine } from '../../src/cli/commands/sweep.js'
import { BadInputError } from '../../src/common/errors.js'
import type { ChartSpec } from '../../src/report/chart-spec.js'
import { renderSweepHtml } from '../../src/report/sweep-html.js'
import { sweepTable } from '../../src/report/sweep-markdown.js'
import type { SweepReport } from '../../src/sim/sweep/sweep-types.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const sweep = JSON.parse(readFileSync(join(fixtures, 'sweep-eclipse.json'), 'utf8')) as SweepReport
/** The fixture with the cost figures a real sweep cell carries. */
const withCost: SweepReport = {
  ...sweep,
  cells: sweep.cells.map((c, i) => ({ ...c, metrics: { ...c.metrics, messages_per_lookup: 20 + i, hops_p50: 3, packets_sent: 1e6 } })),
}

function specsOf(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)
  return (JSON.parse(m![1]!) as { charts: ChartSpec[] }).charts
}

describe('sweep table', () => {
  it('shows the parameters, the verdict, each gate, then the cost columns; not every metric', () => {
    const [header, rows] = sweepTable(withCost)
    expect(header).toEqual(['adversary_fraction', 'disjoint_paths', 'result', 'lookup_success >= 0.99', 'lookup_p95_ms < 800', 'messages_per_lookup'])
    expect(rows[0]?.at(-1)).toBe('20')
    // lookup_p95_ms is gated over the whole run: its gate column shows it, not a second column.
    expect(header.filter((h) => h.startsWith('lookup_p95_ms'))).toHaveLength(1)
    const chosen = sweepTable({ ...withCost, columns: ['hops_p50'] })[0]
    expect(chosen.at(-1)).toBe('hops_p50')
  })

  it('sweep.html charts the cost columns after the gates, and keeps a share within [0, 1]', () => {
    const specs = specsOf(renderSweepHtml(withCost))
    expect(specs.map((s) => s.yLabel)).toEqual(['lookup_success', 'lookup_p95_ms', 'messages_per_lookup'])
    expect(specs[0]?.yMax).toBe(1)
    expect(specs[0]?.yMin).toBeGreaterThanOrEqual(0)
    expect(specs[2]?.ySuggestedMin).toBeGreaterThanOrEqual(0)
  })

  it('--columns takes known metrics only, naming the bad one', () => {
    expect(parseColumns('lookup_p95_ms,messages_per_lookup,rejected_overloaded')).toEqual(['lookup_p95_ms', 'messages_per_lookup', 'rejected_overloaded'])
    expect(parseColumns(undefined)).toBeUndefined()
    expect(() => parseColumns('lookup_p95_ms,nope')).toThrow(BadInputError)
    expect(() => parseColumns('lookup_p95_ms,nope')).toThrow(/^--columns: unknown metric "nope"/)
  })
})

describe('sweep progress', () => {
  it('shows elapsed time and an ETA from the mean cell so far', () => {
    expect(clock(65_000)).toBe('1:05')
    expect(clock(3_723_000)).toBe('1:02:03')
    expect(progressLine(0, 8, 0)).toBe('cell 0/8 done, 0:00 elapsed')
    expect(progressLine(2, 8, 60_000)).toBe('cell 2/8 done, 1:00 elapsed, ETA 3:00')
    expect(progressLine(8, 8, 240_000)).toBe('cell 8/8 done, 4:00 elapsed')
  })
})
