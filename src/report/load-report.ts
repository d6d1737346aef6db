// Reads a report.json written by `dht-sim run` (or anyone else: the file is untrusted). Any
// problem becomes one BadInputError line naming the file and the field; nothing here throws
// anything else. The schema is the one the Report type is derived from (src/sim/report-types.ts).
import { readFileSync, statSync } from 'node:fs'
import { BadInputError } from '../common/errors.js'
import { reportSchema, type Report } from '../sim/report-types.js'
import { firstIssueLine } from './zod-line.js'

/** Largest report.json read: a 1 h run with 10 s windows is well under 1 MiB. */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024

/** Validates an already-parsed value as a Report. */
export function parseReport(raw: unknown, source: string): Report {
  const parsed = reportSchema.safeParse(raw)
  if (!parsed.success) throw new BadInputError(firstIssueLine(source, parsed.error))
  return parsed.data
}

export function parseReportText(text: string, source: string): Report {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new BadInputError(`${source}: not valid JSON (${(err as Error).message})`)
  }
  return parseReport(raw, source)
}

export function loadReport(path: string): Report {
  let text: string
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new BadInputError(`${path}: not a file`)
    if (st.size > MAX_REPORT_BYTES) throw new BadInputError(`${path}: larger than ${MAX_REPORT_BYTES} bytes`)
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (err instanceof BadInputError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new BadInputError(`${path}: cannot read (${code === 'ENOENT' ? 'no such file' : (err as Error).message})`)
  }
  return parseReportText(text, path)
}
