// A measure that did not happen is null with its reason, never a stand-in value; a gate on it is
// "not reached" and takes the verdict the scenario gives it. When lookups really collapse, the
// readiness lead is a measured number, with the false alarms beside it.
import { describe, expect, it } from 'vitest'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { checkGates, parseGate } from '../../src/sim/gates.js'
import { checkGate } from '../../src/report/gate.js'
import { parseReportText } from '../../src/report/load-report.js'
import { renderJson } from '../../src/report/files.js'
import { renderMarkdown } from '../../src/report/markdown.js'

const drill = (faults: string, gates: string): string => `
name: small-loss
seed: 3
duration_s: 1200
warmup_s: 120
network:
  peers: 200
  bootstraps: 4
  join_spread_s: 60
  access_latency_ms: { median: 2, sigma: 0.5 }
  loss: 0.001
workload: { find_node_per_s: 4, provide_per_s: 0.4, get_providers_per_s: 2 }
faults:
${faults}
gates:
${gates}
`

describe('no invented figures', () => {
  it('a gate on a null metric is not reached: fails by default, passes when the scenario says so, and the re-check agrees', () => {
    const metrics = { collapse_s: null }
    const reasons = { collapse_s: 'lookups never collapsed while the fault lasted' }
    const gates = [parseGate('collapse_s > 0').gate!, parseGate({ metric: 'collapse_s', op: '>', threshold: 0, if_not_reached: 'pass' }).gate!]
    const [strict, lenient] = checkGates(gates, () => metrics, () => reasons)
    expect(strict!.pass).toBe(false)
    expect(strict!.not_reached).toBe('lookups never collapsed while the fault lasted')
    expect(lenient!.pass).toBe(true)
    for (const g of [strict!, lenient!]) {
      expect(checkGate(g).inconsistency).toBeNull()
      expect(checkGate(g).pass).toBe(g.pass)
    }
  })

  it('a null that means the system missed what the gate times fails whatever the scenario says, and the re-check agrees', () => {
    const metrics = { readiness_lead_s: null }
    const reasons = { readiness_lead_s: 'lookups collapsed and readiness never flipped' }
    const lenient = parseGate({ metric: 'readiness_lead_s', op: '>', threshold: 0, if_not_reached: 'pass' }).gate!
    const [notReached] = checkGates([lenient], () => metrics, () => reasons, () => new Set())
    const [missed] = checkGates([lenient], () => metrics, () => reasons, () => new Set(['readiness_lead_s']))
    expect(notReached!.pass).toBe(true)
    expect(missed!.pass).toBe(false)
    expect(missed!.missed).toBe(true)
    expect(checkGate(missed!).inconsistency).toBeNull()
    // A report edited to call the missed gate a pass is caught by the gate's re-check.
    expect(checkGate({ ...missed!, pass: true }).inconsistency).not.toBeNull()
  })

  it('lookups that never collapse give collapse_s and readiness_lead_s null with the reason, not the fault end', () => {
    const s = parseScenarioText(
      drill('  - { id: boot-loss, at_s: 400, for_s: 400, kind: loss, percent: 50, targets: bootstrap }', '  - { metric: readiness_lead_s, op: ">", threshold: 0, window: "during:boot-loss" }'),
      'small.yaml',
    )
    const r = runScenario(s)
    const f = r.faults[0]!
    expect(f.collapse_s).toBeNull()
    expect(f.readiness_lead_s).toBeNull()
    expect(f.notes?.collapse_s).toBe('lookups never collapsed while the fault lasted')
    expect(r.metrics.collapse_s).toBeNull()
    expect(r.metric_notes?.readiness_lead_s).toMatch(/never collapsed/)
    const g = r.gates[0]!
    expect(g.measured).toBeNull()
    expect(g.pass).toBe(false)
    expect(g.not_reached).toMatch(/never collapsed/)
    // Readiness flipped while lookups kept succeeding: those flips are counted as false alarms.
    expect(f.flipped_nodes).toBeGreaterThan(0)
    expect(f.false_alarms).toBeGreaterThan(0)
    expect(f.false_alarms!).toBeLessThanOrEqual(f.flipped_nodes!)
    // The reasons survive the report's schema on load, and the rendering says what did not happen.
    const back = parseReportText(renderJson(r), 'report.json')
    expect(back.gates[0]!.not_reached).toBe(g.not_reached)
    expect(back.faults[0]!.notes).toEqual(f.notes)
    expect(back.faults[0]!.false_alarms).toBe(f.false_alarms)
    const md = renderMarkdown(back)
    expect(md).toContain('not reached (lookups never collapsed')
    expect(md).toContain('| no collapse |')
    expect(md).toMatch(/peers flipped not-ready, \d+ of them while their own lookups still succeeded/)
  })

  it('when the network behind the bootstraps degrades too, lookups collapse and the lead is measured', () => {
    const s = parseScenarioText(
      drill(
        '  - { id: boot-loss, at_s: 400, for_s: 500, kind: loss, percent: 80, targets: bootstrap }\n  - { id: wide-loss, at_s: 580, for_s: 300, kind: loss, percent: 60, targets: all }',
        '  - { metric: readiness_lead_s, op: ">", threshold: 0, window: "during:boot-loss" }',
      ),
      'small.yaml',
    )
    const r = runScenario(s)
    const f = r.faults.find((x) => x.id === 'boot-loss')!
    expect(f.collapse_s).not.toBeNull()
    expect(f.readiness_flip_s).not.toBeNull()
    expect(f.readiness_lead_s).toBe(Math.round((f.collapse_s! - f.readiness_flip_s!) * 1000) / 1000)
    expect(f.notes?.collapse_s).toBeUndefined()
    expect(r.gates[0]!.measured).toBe(f.readiness_lead_s)
  })
})
