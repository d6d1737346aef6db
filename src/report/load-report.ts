// Reads a report.json written by `dht-sim run` (or anyone else: the file is untrusted). Any
// problem becomes one BadInputError line naming the file and the field; nothing here throws
// anything else. The schema mirrors src/sim/report-types.ts; unknown extra keys are ignored so
// that a newer writer with additive fields still loads.
import { readFileSync, statSync } from 'node:fs'
import { z } from 'zod'
import { BadInputError } from '../common/errors.js'
import { REPORT_SCHEMA_VERSION, type Report } from '../sim/report-types.js'
import { firstIssueLine } from './zod-line.js'

/** Largest report.json read: a 1 h run with 10 s windows is well under 1 MiB. */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024

const num = z.number().finite()
const nullableNum = num.nullable()
const metricsSchema = z.record(z.string(), nullableNum)
const gateSchema = z.object({
  metric: z.string(),
  op: z.enum(['<', '<=', '>', '>=', '==']),
  threshold: num,
  measured: nullableNum,
  pass: z.boolean(),
  window: z.string(),
})

const reportSchema = z.object({
  schema_version: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('dht-sim'), version: z.string() }),
  scenario: z.object({ name: z.string(), resolved: z.unknown() }),
  seed: z.string(),
  replay: z.string(),
  virtual_duration_s: num,
  metrics: metricsSchema,
  gates: z.array(gateSchema),
  pass: z.boolean(),
  series: z.object({
    window_s: num,
    points: z.array(
      z.object({
        t_s: num,
        lookups: num,
        lookup_p95_ms: nullableNum,
        hops_p99: nullableNum,
        lookup_success: nullableNum,
        ready_nodes: num,
        online_nodes: num,
      }),
    ),
  }),
  hops_histogram: z.array(num),
  latency_cdf: z.array(z.object({ ms: num, fraction: num })),
  faults: z.array(z.object({ id: z.string(), kind: z.string(), at_s: num, until_s: num })),
  alerts: z.array(z.object({ name: z.string(), fired_s: num, cleared_s: nullableNum })),
  variants: z.array(z.object({ label: z.string(), metrics: metricsSchema, gates: z.array(gateSchema) })),
})

/** Validates an already-parsed value as a Report. */
export function parseReport(raw: unknown, source: string): Report {
  const parsed = reportSchema.safeParse(raw)
  if (!parsed.success) throw new BadInputError(firstIssueLine(source, parsed.error))
  return parsed.data as Report
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
