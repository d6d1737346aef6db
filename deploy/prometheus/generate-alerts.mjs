#!/usr/bin/env node
// Renders deploy/prometheus/alerts.yml from deploy/alert-thresholds.json (the one source of the
// runbook's thresholds). Run `node deploy/prometheus/generate-alerts.mjs` after changing the
// thresholds; test/unit/alerts-rules.test.ts fails while the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
export const THRESHOLDS_PATH = here('../alert-thresholds.json')
export const ALERTS_PATH = here('./alerts.yml')

/** Metric that exists only on DHT nodes: scopes generic process metrics to them. */
const NODE_MARKER = 'ron_dht_ready'

/** 15 -> "15s", 120 -> "2m", 3600 -> "1h". */
export function duration(s) {
  if (!Number.isInteger(s) || s < 0) throw new Error(`bad duration ${s}`)
  if (s > 0 && s % 3600 === 0) return `${s / 3600}h`
  if (s > 0 && s % 60 === 0) return `${s / 60}m`
  return `${s}s`
}

export function exprOf(a) {
  switch (a.kind) {
    case 'gauge-equals':
      return `${a.metric} == ${a.value}`
    case 'histogram-quantile':
      return `histogram_quantile(${a.quantile}, sum by (job, instance, le) (rate(${a.metric}_bucket[${duration(a.windowS)}]))) > ${a.above}`
    case 'counter-increase': {
      const w = duration(a.windowS)
      const inc = `increase(${a.metric}[${w}]) > ${a.above}`
      if (!a.countProcessStarts) return inc
      return `changes(process_start_time_seconds[${w}]) > ${a.above} and on (job, instance) present_over_time(${NODE_MARKER}[${w}])\n  or ${inc}`
    }
    default:
      throw new Error(`unknown alert kind ${a.kind}`)
  }
}

const q = (s) => JSON.stringify(s)

export function renderAlertRules(t) {
  const lines = [
    '# GENERATED from deploy/alert-thresholds.json by deploy/prometheus/generate-alerts.mjs: do not edit.',
    '# Alerting rules for dht-sim nodes (`dht-sim serve`), Prometheus rule-group format.',
    '# Metric names: src/node/metric-names.ts. Unit tests: alerts.test.yml (promtool test rules).',
    'groups:',
    '  - name: dht-node',
    `    interval: ${duration(t.evaluationIntervalS)}`,
    '    rules:',
  ]
  for (const a of t.alerts) {
    const expr = exprOf(a)
    lines.push(`      - alert: ${a.name}`)
    if (expr.includes('\n')) {
      lines.push('        expr: |-')
      for (const l of expr.split('\n')) lines.push(`          ${l}`)
    } else {
      lines.push(`        expr: ${expr}`)
    }
    if (a.forS > 0) lines.push(`        for: ${duration(a.forS)}`)
    lines.push('        labels:')
    lines.push(`          severity: ${a.severity}`)
    lines.push('        annotations:')
    lines.push(`          summary: ${q(a.summary)}`)
    lines.push(`          description: ${q(`{{ $labels.instance }}: ${a.summary} (value {{ $value }}).`)}`)
  }
  return lines.join('\n') + '\n'
}

export function loadThresholds(path = THRESHOLDS_PATH) {
  return JSON.parse(readFileSync(path, 'utf8'))
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ALERTS_PATH, renderAlertRules(loadThresholds()))
  process.stdout.write(`wrote ${ALERTS_PATH}\n`)
}
