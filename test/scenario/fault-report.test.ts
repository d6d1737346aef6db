// The chaos machinery as `dht-sim run` sees it: fault windows with their measures, alerts,
// gate windows during:/after:, chaos metrics in the report, variants beside the run, and the
// same bytes for the same seed.
import { describe, expect, it } from 'vitest'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { renderJson } from '../../src/report/files.js'
import { parseReportText } from '../../src/report/load-report.js'
import { smallNet } from './fault-harness.js'

const yaml = smallNet(`
groups: [{name: cut, fraction: 0.2}]
faults:
  - {id: cut-off, at_s: 90, for_s: 60, kind: partition, targets: "replica:cut"}
variants:
  - {label: disjoint paths 2, set: {dht.disjoint_paths: 2}}
gates:
  - {metric: outside_lookup_success, op: ">=", threshold: 0.9, window: "during:cut-off"}
  - {metric: lookup_success, op: ">=", threshold: 0.9, window: "after:cut-off"}
  - {metric: time_to_alert_s, op: "<", threshold: 1000, window: "during:cut-off"}
`)

describe('chaos in the run report', () => {
  it('reports fault measures, windowed gates, alerts and variants, deterministically', () => {
    const s = parseScenarioText(yaml, 'chaos.yaml')
    const a = runScenario(s, { toolVersion: 't', scenarioPath: 'chaos.yaml' })
    expect(a.faults).toHaveLength(1)
    const f = a.faults[0]!
    expect(f).toMatchObject({ id: 'cut-off', kind: 'partition', at_s: 90, until_s: 150 })
    expect(f).toHaveProperty('mttr_s')
    expect(f).toHaveProperty('time_to_alert_s')
    expect(a.gates.map((g) => g.window)).toEqual(['during:cut-off', 'after:cut-off', 'during:cut-off'])
    expect(a.gates[0]!.measured).not.toBeNull()
    expect(a.metrics).toHaveProperty('outside_lookup_p95_ms')
    expect(a.variants.map((v) => v.label)).toEqual(['disjoint paths 2'])
    expect(a.variants[0]!.gates).toHaveLength(3)
    const b = runScenario(s, { toolVersion: 't', scenarioPath: 'chaos.yaml' })
    expect(renderJson(b)).toBe(renderJson(a))
    // The report's one schema covers every field the simulator writes: loading drops unknown
    // keys, so a field missing from the schema would not survive the round trip.
    expect(a.alerts.length).toBeGreaterThan(0)
    expect(renderJson(parseReportText(renderJson(a), 'chaos report.json'))).toBe(renderJson(a))
  })

  it('a scenario without chaos resolves and reports as before (no chaos metrics)', () => {
    const s = parseScenarioText(smallNet('', 40, 60), 'plain.yaml')
    expect(Object.keys(s)).not.toContain('faults')
    const r = runScenario(s, { toolVersion: 't' })
    expect(r.metrics).not.toHaveProperty('mttr_s')
    expect(r.faults).toEqual([])
  })
})
