// provider_success by record age in the run reports: a table in report.md and report.html, and a
// bar chart in report.html. Shown only when records aged past the first band (a run of more than
// 12 virtual hours): in a shorter run the one band is provider_success itself.
import type { Report } from '../sim/report-types.js'
import type { ChartSpec, ChartThreshold } from './chart-spec.js'
import { paletteColor } from './chart-spec.js'
import { formatDecimal, formatNumber } from './format.js'

export interface AgeBandRow {
  readonly band: string
  readonly lookups: number
  readonly success: number | null
}

/** The bands to show, or [] when at most one band has lookups. */
export function recordAgeRows(report: Report): AgeBandRow[] {
  const bands = report.provider_success_by_age ?? []
  if (bands.filter((b) => b.lookups > 0).length < 2) return []
  return bands.map((b) => ({ band: b.band, lookups: b.lookups, success: b.success }))
}

export function recordAgeMarkdown(report: Report): string[] {
  const rows = recordAgeRows(report)
  if (rows.length === 0) return []
  return [
    '## Provider success by record age',
    '',
    'GET_PROVIDERS with a provider online, by the age of the key\'s record (since its latest successful PROVIDE); records are republished every 22 h and expire after 48 h.',
    '',
    '| record age | lookups | success |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.band} | ${r.lookups} | ${formatDecimal(r.success)} |`),
    '',
  ]
}

/** The bar chart of success per band, with the gates on provider_success_by_age_min drawn across it. */
export function recordAgeChart(report: Report): { spec: ChartSpec; title: string; hasData: boolean; empty: string } | undefined {
  const rows = recordAgeRows(report)
  if (rows.length === 0) return undefined
  const thresholds: ChartThreshold[] = report.gates
    .filter((g) => g.metric === 'provider_success_by_age_min')
    .map((g) => ({ y: g.threshold, from: null, to: null, label: `every band: gate ${g.op} ${formatNumber(g.threshold)}` }))
  const values = rows.map((r) => r.success)
  const low = Math.min(...values.filter((v): v is number => v !== null), ...thresholds.map((t) => t.y))
  return {
    title: 'Provider success by record age',
    hasData: true,
    empty: '',
    spec: {
      id: 'chart-record-age',
      kind: 'bar',
      xLabel: 'record age',
      yLabel: 'success fraction (GET_PROVIDERS, provider online)',
      labels: rows.map((r) => r.band),
      series: [{ label: 'success', color: paletteColor(2), values }],
      thresholds,
      yMin: Math.max(0, Math.floor(low * 100 - 1) / 100),
      yMax: 1,
    },
  }
}
