// chart.js's UMD bundle, read from the installed package at runtime so that report.html is
// self-contained (no network, readable offline) and follows the locked chart.js version.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { InvariantError } from '../engine/errors.js'
import { inlineScriptSource } from './escape.js'

let cached: string | null = null

/** The chart.js UMD source, safe to put inside a <script> element (source-map comment removed). */
export function chartJsSource(): string {
  if (cached !== null) return cached
  const require = createRequire(import.meta.url)
  let text: string
  try {
    // chart.js's "exports" map hides dist/chart.umd.js; its CommonJS entry sits beside it.
    const entry = require.resolve('chart.js')
    text = readFileSync(join(dirname(entry), 'chart.umd.js'), 'utf8')
  } catch (err) {
    throw new InvariantError(`cannot read chart.js's UMD bundle (is the chart.js package installed?): ${(err as Error).message}`)
  }
  cached = inlineScriptSource(text.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n'))
  return cached
}
