// Types for generate-alerts.mjs (imported by test/unit/alerts-rules.test.ts).
export interface AlertThreshold {
  readonly name: string
  readonly kind: 'gauge-equals' | 'histogram-quantile' | 'counter-increase'
  readonly metric: string
  readonly value?: number
  readonly quantile?: number
  readonly above?: number
  readonly windowS?: number
  readonly forS: number
  readonly countProcessStarts?: boolean
  readonly severity: string
  readonly summary: string
}
export interface AlertThresholds {
  readonly version: number
  readonly evaluationIntervalS: number
  readonly alerts: readonly AlertThreshold[]
}
export const THRESHOLDS_PATH: string
export const ALERTS_PATH: string
export function duration(s: number): string
export function exprOf(a: AlertThreshold): string
export function renderAlertRules(t: AlertThresholds): string
export function loadThresholds(path?: string): AlertThresholds
