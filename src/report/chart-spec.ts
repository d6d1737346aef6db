// The data contract between the report renderer (TypeScript, server side) and the small script
// in report.html that turns each spec into a chart.js chart. Everything a chart shows is decided
// here, deterministically; the page script only maps it onto chart.js options.

export interface ChartPoint {
  readonly x: number
  readonly y: number | null
}

export interface ChartSeries {
  readonly label: string
  readonly color: string
  /** Line charts: {x, y} points. Bar charts: one value per label. Timeline: [from, to] per label. */
  readonly points?: readonly ChartPoint[]
  readonly values?: readonly (number | null)[]
  readonly ranges?: readonly (readonly [number, number])[]
  readonly stepped?: boolean
  readonly dashed?: boolean
  readonly pointRadius?: number
}

/** A shaded x-range (a fault window, the warm-up). */
export interface ChartBand {
  readonly from: number
  readonly to: number
  readonly label: string
  /** Fill colour (CSS); default: the fault-window orange. */
  readonly color?: string
}

/** A horizontal gate threshold, drawn over [from, to] of the x axis (null: the chart's edge). */
export interface ChartThreshold {
  readonly y: number
  readonly from: number | null
  readonly to: number | null
  readonly label: string
  /** Default: the gate red. A criterion the points are judged against is drawn in its own colour. */
  readonly color?: string
}

/** A vertical gate threshold: a deadline on the time axis (MTTR, time to alert). */
export interface ChartXThreshold {
  readonly x: number
  readonly label: string
}

/** A vertical mark at x (an alert firing or clearing, a latency gate on the CDF). */
export interface ChartMark {
  readonly x: number
  readonly label: string
  readonly color: string
}

export interface ChartSpec {
  readonly id: string
  readonly kind: 'line' | 'bar' | 'timeline'
  readonly xLabel: string
  readonly yLabel: string
  /** Bar and timeline charts: the category labels. */
  readonly labels?: readonly string[]
  readonly series: readonly ChartSeries[]
  readonly bands?: readonly ChartBand[]
  readonly thresholds?: readonly ChartThreshold[]
  readonly xThresholds?: readonly ChartXThreshold[]
  readonly marks?: readonly ChartMark[]
  /** Logarithmic x axis (latency CDF: the body and the tail both readable). */
  readonly xLog?: boolean
  readonly xMin?: number
  readonly xMax?: number
  readonly yMin?: number
  readonly yMax?: number
  readonly ySuggestedMin?: number
  readonly ySuggestedMax?: number
}

/** Fixed palette: series colours are chosen by index, never at random. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22', '#d62728'] as const

export function paletteColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length] ?? '#1f77b4'
}

export const COLOR_FIRED = '#d62728'
export const COLOR_CLEARED = '#2ca02c'
/** Criterion lines (what an elapsed measure's series is judged against): not the gate's red. */
export const COLOR_CRITERION = '#8a4b08'
export const COLOR_WARMUP = 'rgba(128, 128, 128, 0.15)'
export const COLOR_EVENT = '#1f77b4'
