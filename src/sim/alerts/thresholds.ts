// The runbook's alert thresholds, read from deploy/alert-thresholds.json: the ONE source shared
// with the Prometheus rules (deploy/prometheus/alerts.yml is generated from it). The simulator
// evaluates the same rules on its own time series (evaluator.ts).
import { readFileSync } from 'node:fs'
import { BadInputError } from '../../common/errors.js'

// The types are declared once, beside the generator of alerts.yml that reads the same file.
export type { AlertThreshold, AlertThresholds } from '../../../deploy/prometheus/generate-alerts.mjs'
import type { AlertThreshold, AlertThresholds } from '../../../deploy/prometheus/generate-alerts.mjs'

export const THRESHOLDS_URL = new URL('../../../deploy/alert-thresholds.json', import.meta.url)

let cached: AlertThresholds | undefined

/** Loads and checks the thresholds file (cached). A missing or malformed file is bad input. */
export function loadAlertThresholds(url: URL = THRESHOLDS_URL): AlertThresholds {
  if (url === THRESHOLDS_URL && cached !== undefined) return cached
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(url, 'utf8'))
  } catch (err) {
    throw new BadInputError(`cannot read the alert thresholds ${url.pathname}: ${(err as Error).message}`)
  }
  const t = raw as Partial<AlertThresholds>
  if (typeof t !== 'object' || t === null || !Array.isArray(t.alerts) || typeof t.evaluationIntervalS !== 'number' || !(t.evaluationIntervalS > 0)) {
    throw new BadInputError(`${url.pathname}: needs evaluationIntervalS > 0 and an alerts list`)
  }
  for (const [i, a] of t.alerts.entries()) {
    const x = a as Partial<AlertThreshold>
    if (typeof x.name !== 'string' || typeof x.metric !== 'string' || typeof x.forS !== 'number' || x.forS < 0) {
      throw new BadInputError(`${url.pathname}: alerts[${i}]: needs name, metric and forS >= 0`)
    }
    if (x.kind !== 'gauge-equals' && x.kind !== 'histogram-quantile' && x.kind !== 'counter-increase') {
      throw new BadInputError(`${url.pathname}: alerts[${i}].kind: unknown kind ${JSON.stringify(x.kind)}`)
    }
  }
  const out = t as AlertThresholds
  if (url === THRESHOLDS_URL) cached = out
  return out
}
