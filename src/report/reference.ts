// The "Published reference" section of report.md and report.html: each published figure of the
// scenario's `reference:` beside this run's prediction and the prediction error, with the source
// cited. Absent when the scenario names no reference.
import type { Report } from '../sim/report-types.js'
import { escapeHtml, escapeMarkdownCell } from './escape.js'
import { formatDecimal } from './format.js'
import { htmlTable } from './html-page.js'

type Figure = NonNullable<Report['reference']>[number]['figures'][number]

const HEADER = ['figure', 'published', 'predicted (this run)', 'error']

function figureName(f: Figure): string {
  const narrowed = [f.op, f.successful === true ? 'successful' : undefined].filter((x) => x !== undefined)
  return narrowed.length === 0 ? f.metric : `${f.metric} (${narrowed.join(', ')})`
}

function errorText(f: Figure): string {
  if (f.error_pct === null) return 'not measured'
  return `${f.error_pct > 0 ? '+' : ''}${formatDecimal(f.error_pct)} %`
}

export function referenceMarkdown(report: Report): string[] {
  if (report.reference === undefined || report.reference.length === 0) return []
  const out = ['## Published reference', '', 'Not gated: the error is (predicted - published) / published.', '']
  for (const r of report.reference) {
    out.push(`Source: ${escapeMarkdownCell(r.source)}${r.url !== undefined ? ` (${r.url})` : ''}`, '')
    if (r.note !== undefined) out.push(escapeMarkdownCell(r.note), '')
    out.push(`| ${HEADER.join(' | ')} |`, '|---|---|---|---|')
    for (const f of r.figures) out.push(`| ${escapeMarkdownCell(figureName(f))} | ${formatDecimal(f.published)} | ${formatDecimal(f.predicted)} | ${errorText(f)} |`)
    out.push('')
  }
  return out
}

export function referenceHtml(report: Report): string {
  if (report.reference === undefined || report.reference.length === 0) return ''
  const parts = ['<h2>Published reference</h2>', '<p>Not gated: the error is (predicted − published) / published.</p>']
  for (const r of report.reference) {
    const cite = r.url !== undefined ? `${escapeHtml(r.source)} (<a href="${escapeHtml(r.url)}">${escapeHtml(r.url)}</a>)` : escapeHtml(r.source)
    parts.push(`<p class="source">Source: ${cite}</p>`)
    if (r.note !== undefined) parts.push(`<p>${escapeHtml(r.note)}</p>`)
    parts.push(
      htmlTable(
        HEADER,
        r.figures.map((f) => [escapeHtml(figureName(f)), escapeHtml(formatDecimal(f.published)), escapeHtml(formatDecimal(f.predicted)), escapeHtml(errorText(f))]),
        [1, 2, 3],
      ),
    )
  }
  return parts.join('\n')
}
