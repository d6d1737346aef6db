// The alert rules are generated from the one thresholds file, use only metric names the node
// exports, carry the runbook's numbers, and every alert has a firing and a quiet promtool test.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { ALERTS_PATH, THRESHOLDS_PATH, duration, loadThresholds, renderAlertRules } from '../../deploy/prometheus/generate-alerts.mjs'
import { ALL_METRIC_NAMES } from '../../src/node/metric-names.js'

const thresholds = loadThresholds()
const rulesText = readFileSync(ALERTS_PATH, 'utf8')
const byName = new Map(thresholds.alerts.map((a) => [a.name, a]))

interface Rule {
  alert: string
  expr: string
  for?: string
  labels: Record<string, string>
}

describe('alert rules', () => {
  it('alerts.yml is exactly what the thresholds file generates (run generate-alerts.mjs)', () => {
    expect(rulesText).toBe(renderAlertRules(thresholds))
  })

  it('carries the runbook thresholds', () => {
    expect(byName.get('DhtNotReady')).toMatchObject({ metric: 'ron_dht_ready', value: 0, forS: 15 })
    expect(byName.get('DhtBootstrapPeersZero')).toMatchObject({ metric: 'ron_dht_bootstrap_peers', value: 0, forS: 120 })
    expect(byName.get('DhtLookupLatencyP95High')).toMatchObject({ metric: 'ron_dht_lookup_seconds', quantile: 0.95, above: 0.5, forS: 600 })
    expect(byName.get('DhtLookupHopsP99High')).toMatchObject({ metric: 'ron_dht_hops', quantile: 0.99, above: 5, forS: 600 })
    expect(byName.get('DhtRestartBurst')).toMatchObject({ metric: 'service_restarts_total', above: 3, windowS: 300 })
    expect(byName.get('DhtPqDowngradeAttempt')).toMatchObject({ metric: 'pq_downgrade_attempt_total', above: 0 })
    expect(thresholds.alerts.length).toBe(6)
  })

  it('is a valid rule group whose rules match the thresholds', () => {
    const doc = parseYaml(rulesText) as { groups: { name: string; interval: string; rules: Rule[] }[] }
    expect(doc.groups.length).toBe(1)
    const rules = doc.groups[0]!.rules
    expect(rules.map((r) => r.alert)).toEqual(thresholds.alerts.map((a) => a.name))
    for (const r of rules) {
      const t = byName.get(r.alert)!
      expect(r.for ?? '0s').toBe(duration(t.forS))
      expect(r.labels.severity).toBe(t.severity)
      expect(r.expr).toContain(t.metric)
    }
    expect(rules.find((r) => r.alert === 'DhtLookupLatencyP95High')!.expr).toBe(
      'histogram_quantile(0.95, sum by (job, instance, le) (rate(ron_dht_lookup_seconds_bucket[5m]))) > 0.5',
    )
  })

  it('queries only metrics the node exports', () => {
    const doc = parseYaml(rulesText) as { groups: { rules: Rule[] }[] }
    const functions = new Set(['histogram_quantile', 'sum', 'by', 'rate', 'increase', 'changes', 'and', 'or', 'on', 'present_over_time', 'job', 'instance', 'le'])
    const used = new Set<string>()
    for (const r of doc.groups[0]!.rules) {
      for (const m of r.expr.replace(/\[\d+[smhd]\]/g, '').matchAll(/[a-z_][a-z0-9_]*/g)) if (!functions.has(m[0])) used.add(m[0].replace(/_bucket$/, ''))
    }
    expect([...used].filter((m) => !ALL_METRIC_NAMES.includes(m))).toEqual([])
    expect(used.size).toBeGreaterThanOrEqual(6)
  })

  it('has a firing and a quiet promtool test for every alert', () => {
    const tests = parseYaml(readFileSync(ALERTS_PATH.replace(/alerts\.yml$/, 'alerts.test.yml'), 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[]
    }
    const fires = new Set<string>()
    const quiet = new Set<string>()
    for (const t of tests.tests) for (const a of t.alert_rule_test) (a.exp_alerts.length > 0 ? fires : quiet).add(a.alertname)
    for (const a of thresholds.alerts) {
      expect(fires.has(a.name), `${a.name} fires`).toBe(true)
      expect(quiet.has(a.name), `${a.name} quiet`).toBe(true)
    }
  })

  it('keeps the thresholds file where src/sim can read it without importing src/node', () => {
    expect(THRESHOLDS_PATH.endsWith('/deploy/alert-thresholds.json')).toBe(true)
  })
})

describe('metric names', () => {
  it('are valid, unique Prometheus names and include the ones the runbook names', () => {
    for (const n of ALL_METRIC_NAMES) expect(n).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/)
    expect(new Set(ALL_METRIC_NAMES).size).toBe(ALL_METRIC_NAMES.length)
    for (const n of [
      'ron_dht_lookup_seconds',
      'ron_dht_hops',
      'ron_dht_bootstrap_peers',
      'ron_dht_inflight_lookup',
      'ron_dht_routing_table_peers',
      'ron_dht_missing_records',
      'ron_dht_ready',
      'rejected_total',
      'requests_total',
      'request_latency_seconds',
      'service_restarts_total',
      'pq_downgrade_attempt_total',
      'build_info',
    ]) {
      expect(ALL_METRIC_NAMES).toContain(n)
    }
  })
})
