// The shape of report.json: one definition shared by the writer (the simulator), the HTML report,
// `gate`, `compare` and the sweep table. Bump REPORT_SCHEMA_VERSION on any incompatible change.
// Nothing here may depend on wall-clock time: same scenario + same seed => identical bytes.

export const REPORT_SCHEMA_VERSION = 1

export type GateOp = '<' | '<=' | '>' | '>=' | '=='

export interface GateResult {
  /** snake_case metric name, the same in scenario, report and summary (e.g. "hops_p99"). */
  readonly metric: string
  readonly op: GateOp
  readonly threshold: number
  /** null when the metric was not measured (e.g. lookups never collapsed): the gate is "not reached". */
  readonly measured: number | null
  readonly pass: boolean
  /** "all" (whole run after warm-up), "during:<fault id>", "after:<fault id>". */
  readonly window: string
  /** When measured is null: why, and the scenario's verdict for that case (fail unless it says pass). */
  readonly not_reached?: string
  readonly if_not_reached?: 'pass' | 'fail'
}

export interface SeriesPoint {
  /** Window end, virtual seconds since start. */
  readonly t_s: number
  readonly lookups: number
  readonly lookup_p95_ms: number | null
  readonly hops_p99: number | null
  readonly lookup_success: number | null
  readonly ready_nodes: number
  readonly online_nodes: number
}

export interface FaultWindow {
  readonly id: string
  readonly kind: string
  readonly at_s: number
  readonly until_s: number
  /** Issue #3 measures, seconds (see src/sim/recovery/measures.ts); null when not observed. */
  readonly readiness_flip_s?: number | null
  readonly collapse_s?: number | null
  readonly readiness_lead_s?: number | null
  readonly mttr_s?: number | null
  readonly recovery_s?: number | null
  readonly time_to_alert_s?: number | null
  /** Honest peers that flipped not-ready during the fault; those whose own lookups still succeeded. */
  readonly flipped_nodes?: number
  readonly false_alarms?: number
  /** Why a measure above is null. */
  readonly notes?: Readonly<Record<string, string>>
}

export interface AlertRecord {
  readonly name: string
  readonly fired_s: number
  readonly cleared_s: number | null
  /** Instances that fired during the episode (issue #3; 0 for a fleet-wide rule). */
  readonly instances?: number
}

export interface Report {
  readonly schema_version: typeof REPORT_SCHEMA_VERSION
  readonly tool: { readonly name: 'dht-sim'; readonly version: string }
  readonly scenario: {
    readonly name: string
    /** The scenario with every default filled in: enough to reproduce the run. */
    readonly resolved: unknown
  }
  readonly seed: string
  /** The exact command that replays this run. */
  readonly replay: string
  readonly virtual_duration_s: number
  /** Every figure the summary table shows, by metric name. */
  readonly metrics: Readonly<Record<string, number | null>>
  readonly gates: readonly GateResult[]
  readonly pass: boolean
  readonly series: { readonly window_s: number; readonly points: readonly SeriesPoint[] }
  /** hops[i] = number of successful lookups that took i hops. */
  readonly hops_histogram: readonly number[]
  /** Lookup latency CDF at fixed quantiles: [{ms, fraction}]. */
  readonly latency_cdf: readonly { readonly ms: number; readonly fraction: number }[]
  readonly faults: readonly FaultWindow[]
  /** Why a null metric above is null (fault measures that did not happen). */
  readonly metric_notes?: Readonly<Record<string, string>>
  readonly alerts: readonly AlertRecord[]
  /** Extra runs shown beside this one (e.g. the same attack with defences off), by label. */
  readonly variants: readonly { readonly label: string; readonly metrics: Readonly<Record<string, number | null>>; readonly gates: readonly GateResult[] }[]
}
