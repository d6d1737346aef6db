// Published figures a scenario is set beside (`reference:` in a scenario): a measurement study's
// numbers for the network the scenario models, each named like a report metric. The report
// shows, per figure, what was published, what this run predicts and the prediction error, so a
// model of a real network carries its own check against reality. Not a gate: a reference never
// decides the verdict (the error is a number to shrink, not a threshold).
//
// A figure names a report metric ("hops_p99", "lookup_success") or a lookup latency quantile
// "lookup_p<q>_ms" with 0 < q < 100 (e.g. lookup_p90_ms), which may be narrowed to one operation
// (`op`) and to successful lookups (`successful`), as a published latency usually is.
import * as z from 'zod'
import type { LookupOp } from '../engine/types.js'
import { isMetricName } from './metrics.js'

const LATENCY_QUANTILE = /^lookup_p(\d{1,2}(?:\.\d{1,3})?)_ms$/

const figureSchema = z.strictObject({
  metric: z.string().describe('a report metric, or lookup_p<q>_ms (a latency quantile, 0 < q < 100)'),
  value: z.number().describe('the published value, in the metric\'s unit'),
  op: z.enum(['FIND_NODE', 'GET_PROVIDERS', 'PROVIDE']).optional().describe('latency quantiles only: lookups of this operation'),
  successful: z.boolean().optional().describe('latency quantiles only: successful lookups only (default: every lookup not shed)'),
})

export const referenceSchema = z
  .array(
    z.strictObject({
      source: z.string().min(1).max(500).describe('who published the figures, where and when (cited in the report)'),
      url: z.string().max(500).regex(/^https?:\/\/\S+$/, 'must be an http(s) address').optional().describe('where the figures are published (a link in report.html)'),
      note: z.string().max(2000).optional().describe('what was measured and how it differs from what the scenario runs'),
      figures: z.array(figureSchema).min(1).max(32),
    }),
  )
  .min(1)
  .max(16)
  .describe('published figures shown beside this run\'s (report: published, predicted, error); never gated')

export type ReferenceSpec = z.output<typeof referenceSchema>

/** The quantile (0..1) a latency figure names, or undefined when it names a plain metric. */
export function latencyQuantile(metric: string): number | undefined {
  const m = LATENCY_QUANTILE.exec(metric)
  if (m === null) return undefined
  const q = Number(m[1]) / 100
  return q > 0 && q < 1 ? q : undefined
}

/** Problems with the figures' names, with their path under `reference`. */
export function referenceIssues(spec: ReferenceSpec | undefined): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = []
  spec?.forEach((r, i) =>
    r.figures.forEach((f, j) => {
      const q = latencyQuantile(f.metric)
      if (q === undefined && !isMetricName(f.metric)) {
        out.push({ path: [i, 'figures', j, 'metric'], message: `unknown metric "${f.metric}" (a report metric, or lookup_p<q>_ms with 0 < q < 100)` })
      } else if (q === undefined && (f.op !== undefined || f.successful !== undefined)) {
        out.push({ path: [i, 'figures', j, f.op !== undefined ? 'op' : 'successful'], message: `only a latency quantile (lookup_p<q>_ms) can be narrowed; "${f.metric}" is a plain metric` })
      }
    }),
  )
  return out
}

/** What the report needs to measure a figure: the run's metrics and its latency quantiles. */
export interface ReferenceMeasures {
  readonly metrics: Readonly<Record<string, number | null>>
  latencyQuantileMs(q: number, op: LookupOp | undefined, successfulOnly: boolean): number | null
}

export interface ReferenceResult {
  readonly source: string
  readonly url?: string
  readonly note?: string
  readonly figures: {
    readonly metric: string
    readonly op?: LookupOp
    readonly successful?: boolean
    readonly published: number
    readonly predicted: number | null
    /** (predicted - published) / published, in percent, 1 decimal; null when not measured or published is 0. */
    readonly error_pct: number | null
  }[]
}

/** Each reference with this run's prediction and error beside every published figure. */
export function measureReference(spec: ReferenceSpec, m: ReferenceMeasures): ReferenceResult[] {
  return spec.map((r) => ({
    source: r.source,
    ...(r.url !== undefined ? { url: r.url } : {}),
    ...(r.note !== undefined ? { note: r.note } : {}),
    figures: r.figures.map((f) => {
      const q = latencyQuantile(f.metric)
      const raw = q !== undefined ? m.latencyQuantileMs(q, f.op, f.successful === true) : (m.metrics[f.metric] ?? null)
      const predicted = raw === null ? null : Math.round(raw * 1000) / 1000
      const error = predicted === null || f.value === 0 ? null : Math.round(((predicted - f.value) / f.value) * 1000) / 10
      return {
        metric: f.metric,
        ...(f.op !== undefined ? { op: f.op } : {}),
        ...(f.successful !== undefined ? { successful: f.successful } : {}),
        published: f.value,
        predicted,
        error_pct: error,
      }
    }),
  }))
}
