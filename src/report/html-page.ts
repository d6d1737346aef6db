// The page skeleton shared by the run report and the sweep report: head with inline CSS, the body
// given by the caller, chart.js inlined, the chart specs as JSON and the client script. No
// external resource of any kind (no fonts, no CDN, no images): the file opens offline.
import type { ChartSpec } from './chart-spec.js'
import { chartJsSource } from './chartjs-source.js'
import { escapeHtml, inlineScriptSource, jsonForScript } from './escape.js'
import { CLIENT_SCRIPT } from './html-client.js'

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1b1f23; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #e1e4e8; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #116329; font-weight: 600; }
.fail { color: #b31d28; font-weight: 600; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 700; }
.verdict.pass { background: #1a7f37; color: #fff; }
.verdict.fail { background: #cf222e; color: #fff; }
pre, code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.meta td:first-child { color: #57606a; }
.chart { position: relative; height: 300px; margin: 4px 0 18px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 8px 24px; }
.empty { color: #57606a; font-style: italic; }
.description { font-size: 15px; color: #1b1f23; margin: 4px 0 10px; }
.judges { margin: 0 0 6px; color: #32383f; }
`

export interface PageInput {
  readonly title: string
  /** Body HTML, already escaped by the caller. */
  readonly bodyHtml: string
  readonly charts: readonly ChartSpec[]
}

export function renderPage(input: PageInput): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may be fetched: scripts and styles are inline, images are data: at most.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    input.bodyHtml,
    '</main>',
    `<script>${chartJsSource()}</script>`,
    `<script type="application/json" id="report-data">${jsonForScript({ charts: input.charts })}</script>`,
    `<script>${inlineScriptSource(CLIENT_SCRIPT)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

/** A canvas for a chart spec, or a note when the chart would have nothing to show. */
export function chartBlock(title: string, id: string, hasData: boolean, emptyNote: string): string {
  const head = `<h3>${escapeHtml(title)}</h3>`
  if (!hasData) return `<div>${head}<p class="empty">${escapeHtml(emptyNote)}</p></div>`
  return `<div>${head}<div class="chart"><canvas id="${escapeHtml(id)}" role="img" aria-label="${escapeHtml(title)}"></canvas></div></div>`
}

/** A two-column key/value table without a header row (run metadata). Values are escaped HTML. */
export function keyValueTable(rows: readonly (readonly [string, string])[]): string {
  const body = rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join('\n')
  return `<table class="meta">\n<tbody>\n${body}\n</tbody>\n</table>`
}

/** <table> from header and already-escaped cell HTML. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], numericCols: readonly number[] = []): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => (numericCols.includes(i) ? `<td class="num">${c}</td>` : `<td>${c}</td>`)).join('')}</tr>`)
    .join('\n')
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`
}
