// The shape of sweep.json: what `dht-sim sweep` measures when it runs one scenario over a grid of
// parameters (e.g. adversary fraction x disjoint paths). One cell per grid point, each with the
// same metrics and gates a run report has. The simulator fills it in; src/report renders it.
import type { GateResult } from '../report-types.js'

export const SWEEP_SCHEMA_VERSION = 1

/** The cost of a cell beside its gates: latency and messages per lookup. */
export const DEFAULT_SWEEP_COLUMNS: readonly string[] = ['lookup_p95_ms', 'messages_per_lookup']

export interface SweepAxis {
  /** The scenario field swept, as a dotted path or short name, e.g. "adversary.fraction". */
  readonly name: string
  readonly values: readonly (number | string)[]
}

export interface SweepCell {
  /** One value per axis, by axis name. */
  readonly params: Readonly<Record<string, number | string>>
  readonly seed: string
  /** The command that replays this one cell. */
  readonly replay: string
  readonly metrics: Readonly<Record<string, number | null>>
  readonly gates: readonly GateResult[]
  readonly pass: boolean
  /** The cell's report.json relative to the sweep directory, when it was written. */
  readonly report_path?: string | null
}

export interface SweepReport {
  readonly schema_version: typeof SWEEP_SCHEMA_VERSION
  readonly kind: 'sweep'
  readonly tool: { readonly name: 'dht-sim'; readonly version: string }
  readonly scenario: { readonly name: string; readonly resolved: unknown }
  readonly seed: string
  /** The command that replays the whole sweep. */
  readonly replay: string
  readonly axes: readonly SweepAxis[]
  /** In grid order (first axis slowest); the renderer does not depend on this order. */
  readonly cells: readonly SweepCell[]
  /**
   * How to plot: `x` is the axis on the x axis (default: the first), `group` the axis whose values
   * become separate lines (default: the second, if any), `metrics` the metrics to chart (default:
   * every metric some cell gates on). Further axes split lines too ("a=1, b=2").
   */
  readonly plot?: { readonly x?: string; readonly group?: string; readonly metrics?: readonly string[] }
  /**
   * Whole-run metrics shown beside the gates in the table and charted after them (what a cell
   * costs, e.g. p95 and messages per lookup); absent: DEFAULT_SWEEP_COLUMNS.
   */
  readonly columns?: readonly string[]
}
