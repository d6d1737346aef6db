// The shape of report.json, written once: a zod schema, and the TypeScript types derived from it.
// The simulator builds a Report; src/report renders it and loads it back (`gate`, `compare`)
// through the same schema. Bump REPORT_SCHEMA_VERSION on any incompatible change. Nothing here
// may depend on wall-clock time: same scenario + same seed => identical bytes.
import { z } from 'zod'

export const REPORT_SCHEMA_VERSION = 1

const num = z.number().finite()
const nullableNum = num.nullable()
const rpcQuantilesSchema = z.object({ requests: num, p50_ms: nullableNum, p95_ms: nullableNum, p99_ms: nullableNum })
/** Every figure the summary table shows, by snake_case metric name; null when not measured. */
const metricsSchema = z.record(z.string(), nullableNum)

export const gateOpSchema = z.enum(['<', '<=', '>', '>=', '=='])

export const gateResultSchema = z.object({
  /** snake_case metric name, the same in scenario, report and summary (e.g. "hops_p99"). */
  metric: z.string(),
  op: gateOpSchema,
  threshold: num,
  /** null when the metric was not measured (e.g. lookups never collapsed): the gate is "not reached". */
  measured: nullableNum,
  pass: z.boolean(),
  /** "all" (whole run after warm-up), "during:<fault id>", "after:<fault id>". */
  window: z.string(),
  /** When measured is null: why, and the scenario's verdict for that case (fail unless it says pass). */
  not_reached: z.string().optional(),
  if_not_reached: z.enum(['pass', 'fail']).optional(),
  /** The null means the system missed what the gate times (e.g. lookups collapsed, readiness never flipped): fails whatever if_not_reached says. */
  missed: z.boolean().optional(),
})

export const seriesPointSchema = z.object({
  /** Window end, virtual seconds since start. */
  t_s: num,
  lookups: num,
  lookup_p95_ms: nullableNum,
  hops_p99: nullableNum,
  lookup_success: nullableNum,
  ready_nodes: num,
  online_nodes: num,
})

export const faultWindowSchema = z.object({
  id: z.string(),
  kind: z.string(),
  at_s: num,
  until_s: num,
  /** Recovery measures in seconds (src/sim/recovery/measures.ts); null when not observed. */
  readiness_flip_s: nullableNum.optional(),
  collapse_s: nullableNum.optional(),
  readiness_lead_s: nullableNum.optional(),
  mttr_s: nullableNum.optional(),
  recovery_s: nullableNum.optional(),
  time_to_alert_s: nullableNum.optional(),
  /** Honest peers that flipped not-ready during the fault; those whose own lookups still succeeded. */
  flipped_nodes: num.optional(),
  false_alarms: num.optional(),
  /** Why a measure above is null: a measure that did not happen never gets a stand-in value. */
  notes: z.record(z.string(), z.string()).optional(),
  /** Null measures above that are failures, not "not reached" (the system missed what they time). */
  missed: z.array(z.string()).optional(),
})

/**
 * One gate's metric over virtual time (src/sim/metric-series.ts), so a reader sees what the gate
 * judges. "level": the metric itself over each series window, judged against the gate's threshold.
 * "elapsed": a measure timed from a fault's edge (MTTR, time to alert, readiness lead): the points
 * are the series it is read from, `criterion` the line they are judged against, `origin_s` the edge.
 */
export const metricSeriesSchema = z.object({
  metric: z.string(),
  window: z.string(),
  kind: z.enum(['level', 'elapsed']),
  /** What a point is, for people ("outside_lookup_p95_ms over each 60 s window"). */
  label: z.string(),
  points: z.array(z.object({ t_s: num, value: nullableNum })),
  origin_s: num.optional(),
  criterion: z.object({ op: gateOpSchema, value: num, label: z.string() }).optional(),
  /** Instants the measure is read from (readiness flip, collapse, back inside the gates, first alert). */
  events: z.array(z.object({ t_s: num, label: z.string() })).optional(),
})

export const alertRecordSchema = z.object({
  name: z.string(),
  fired_s: num,
  cleared_s: nullableNum,
  /** Instances that fired during the episode (0 for a fleet-wide rule). */
  instances: num.optional(),
})

/** Unknown extra keys are dropped on load, so that a newer writer with additive fields still loads. */
export const reportSchema = z.object({
  schema_version: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('dht-sim'), version: z.string() }),
  scenario: z.object({
    name: z.string(),
    /** The scenario with every default filled in: enough to reproduce the run. */
    resolved: z.unknown(),
  }),
  seed: z.string(),
  /** The exact command that replays this run. */
  replay: z.string(),
  virtual_duration_s: num,
  metrics: metricsSchema,
  gates: z.array(gateResultSchema),
  pass: z.boolean(),
  series: z.object({ window_s: num, points: z.array(seriesPointSchema) }),
  /** One entry per gated (metric, window), in gate order; absent in reports written before it existed. */
  metric_series: z.array(metricSeriesSchema).optional(),
  /** hops[i] = number of successful lookups that took i hops. */
  hops_histogram: z.array(num),
  /**
   * provider_success by the age of the key's record (bands in hours, to_h null: open-ended); the
   * metric provider_success_by_age_min is the lowest measured band. Absent in older reports.
   */
  provider_success_by_age: z
    .array(z.object({ band: z.string(), from_h: num, to_h: nullableNum, lookups: num, success: nullableNum }))
    .optional(),
  /** Lookup latency CDF at fixed quantiles: [{ms, fraction}]. */
  latency_cdf: z.array(z.object({ ms: num, fraction: num })),
  faults: z.array(faultWindowSchema),
  /** Why a null metric above is null (fault measures that did not happen). */
  metric_notes: z.record(z.string(), z.string()).optional(),
  alerts: z.array(alertRecordSchema),
  /** Extra runs shown beside this one (e.g. the same attack with defences off), by label. */
  variants: z.array(z.object({ label: z.string(), metrics: metricsSchema, gates: z.array(gateResultSchema) })),
  /** Bytes on the wire per message type and direction (the scenario's network.wire_codec on). */
  wire: z
    .object({
      by_type: z.array(z.object({ type: z.string(), direction: z.enum(['request', 'response']), messages: num, bytes: num, resets: num })),
      messages: num,
      bytes: num,
    })
    .optional(),
  /**
   * Time to ready of every start of the run, the initial joins included (the metrics'
   * time_to_ready_* count only the restarts of the measured window). Absent in older reports.
   */
  readiness: z.object({ starts: num, time_to_ready_p50_s: nullableNum, time_to_ready_p99_s: nullableNum }).optional(),
  /**
   * Connections opened in the measured window (after the warm-up), each counted once: the
   * simulator's stack model (network.stack on) or, on the testbed, the real nodes' dials.
   */
  connections: z.object({ opened: num }).optional(),
  /**
   * Round trips of the answered requests sent in the measured window (send to answer, ms), all
   * and split by first contact / open connection (netmodel/rpc-times.ts): the simulator's with
   * network.stack on, the testbed's from its nodes' clocks.
   */
  rpc: z
    .object({
      all: rpcQuantilesSchema,
      first_contact: rpcQuantilesSchema,
      open_connection: rpcQuantilesSchema,
    })
    .optional(),
  /** Published figures beside this run's predictions (the scenario's `reference:`); absent without one. */
  reference: z
    .array(
      z.object({
        source: z.string(),
        url: z.string().optional(),
        note: z.string().optional(),
        figures: z.array(
          z.object({
            metric: z.string(),
            op: z.string().optional(),
            successful: z.boolean().optional(),
            published: num,
            predicted: nullableNum,
            /** (predicted - published) / published, percent. */
            error_pct: nullableNum,
          }),
        ),
      }),
    )
    .optional(),
})

/** A parsed value, read-only all the way down: a report is data to render, never to patch. */
type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T

export type Report = DeepReadonly<z.infer<typeof reportSchema>>
export type GateOp = z.infer<typeof gateOpSchema>
export type GateResult = DeepReadonly<z.infer<typeof gateResultSchema>>
export type SeriesPoint = DeepReadonly<z.infer<typeof seriesPointSchema>>
export type FaultWindow = DeepReadonly<z.infer<typeof faultWindowSchema>>
export type AlertRecord = DeepReadonly<z.infer<typeof alertRecordSchema>>
export type MetricSeries = DeepReadonly<z.infer<typeof metricSeriesSchema>>
