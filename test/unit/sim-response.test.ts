// The operator's response on the timeline (scenario `response`): a hot reload of every honest
// node's settings at at_s, undone after for_s; a window in the report that gates may name; bad
// actions refused with one line.
import { describe, expect, it } from 'vitest'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { BadInputError } from '../../src/common/errors.js'

const BASE = `
name: response-small
seed: 3
duration_s: 600
warmup_s: 120
network:
  peers: 150
  bootstraps: 2
  join_spread_s: 30
  regions:
    - { name: europe-west, weight: 1 }
    - { name: north-america-east, weight: 1 }
  loss: 0
workload:
  find_node_per_s: 4
  provide_per_s: 0
  get_providers_per_s: 0
metrics:
  window_s: 60
`

const run = (extra: string) => runScenario(parseScenarioText(BASE + extra, 'response-small.yaml'), { scenarioPath: 'response-small.yaml', toolVersion: 'test' })

describe('response', () => {
  it('reloads every honest node at at_s, undoes it after for_s, and is a window gates can name', () => {
    const without = run('')
    const withIt = run(`
response:
  - { id: wide, at_s: 300, for_s: 120, alpha: 10 }
gates:
  - "messages_per_lookup >= 0 during:wide"
  - "messages_per_lookup >= 0 after:wide"
`)
    expect(withIt.faults).toEqual([{ id: 'wide', kind: 'response', at_s: 300, until_s: 420 }])
    const perWindow = (r: typeof without) => r.series.points.map((p) => p.lookup_p95_ms)
    // Before the reload the two runs are the same run.
    expect(perWindow(withIt).slice(0, 5)).toEqual(perWindow(without).slice(0, 5))
    // While it holds, lookups ask 10 peers at a time instead of 3: more messages each.
    const during = withIt.gates.find((g) => g.window === 'during:wide')!.measured!
    const after = withIt.gates.find((g) => g.window === 'after:wide')!.measured!
    expect(during).toBeGreaterThan(1.05 * after)
    // Undone after for_s: the last windows cost what the run without it costs.
    expect(Math.abs(after - without.metrics.messages_per_lookup!)).toBeLessThan(0.15 * without.metrics.messages_per_lookup!)
  })

  it('switches the policy profile from at_s on, to the end of the run when it has no for_s', () => {
    const plain = run('')
    const r = run(`
response:
  - { id: strict-on, at_s: 300, policy: strict }
`)
    expect(r.faults[0]).toMatchObject({ id: 'strict-on', kind: 'response', at_s: 300, until_s: 600 })
    const p95 = (x: typeof r) => x.series.points.map((p) => p.lookup_p95_ms)
    // The same run up to the switch; from it on, the strict profile's lookups (full neighbourhoods,
    // the detector's checks) are not the default's.
    expect(p95(r).slice(0, 5)).toEqual(p95(plain).slice(0, 5))
    expect(p95(r).slice(5)).not.toEqual(p95(plain).slice(5))
  })

  it('reprovide: every honest node re-announces what it provides, once, at at_s', () => {
    const providing = (extra: string) => runScenario(parseScenarioText(BASE.replace('provide_per_s: 0', 'provide_per_s: 0.5') + extra, 'response-small.yaml'), { scenarioPath: 'response-small.yaml', toolVersion: 'test' })
    const plain = providing('')
    const r = providing('response:\n  - { id: again, at_s: 300, reprovide: true }\n')
    expect(r.faults[0]).toMatchObject({ id: 'again', kind: 'response', at_s: 300 })
    // The same run until then; then a PROVIDE's worth of messages per provided key more.
    expect(r.series.points.slice(0, 5)).toEqual(plain.series.points.slice(0, 5))
    expect(r.metrics.packets_sent!).toBeGreaterThan(plain.metrics.packets_sent! + 100)
  })

  it('refuses an action that sets nothing, an id taken by a fault, a time past the run, with one line', () => {
    const bad = (extra: string) => () => parseScenarioText(BASE + extra, 'bad.yaml')
    expect(bad('response:\n  - { id: x, at_s: 10 }\n')).toThrow(/response\[0\]: does nothing: needs one of policy, alpha, beta or reprovide: true/)
    expect(bad('faults:\n  - { id: x, kind: loss, at_s: 10, for_s: 5, targets: all, percent: 5 }\nresponse:\n  - { id: x, at_s: 10, beta: 4 }\n')).toThrow(/response\[0\]\.id: duplicate id "x"/)
    expect(bad('response:\n  - { id: x, at_s: 900, beta: 4 }\n')).toThrow(/response\[0\]\.at_s: must be < duration_s/)
    expect(bad('response:\n  - { id: x, at_s: 10, policy: paranoid }\n')).toThrow(BadInputError)
    expect(bad('gates:\n  - "lookups >= 0 during:nope"\n')).toThrow(/names no fault or response/)
  })
})
