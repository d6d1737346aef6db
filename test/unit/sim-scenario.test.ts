// Scenario schema: defaults, and one-line errors naming the field path (exit code 2).
import { describe, expect, it } from 'vitest'
import { parseScenarioText, scenarioJsonSchema } from '../../src/sim/scenario.js'
import { BadInputError } from '../../src/common/errors.js'
import { engineConfigFor } from '../../src/sim/simulation.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'

const MIN = 'network:\n  peers: 10\n'

function errorOf(yaml: string): string {
  try {
    parseScenarioText(yaml, 'scenario.yaml')
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError)
    expect(exitCodeFor(err)).toBe(2)
    const msg = (err as Error).message
    expect(msg).not.toContain('\n')
    return msg
  }
  throw new Error('expected a BadInputError')
}

describe('scenario schema', () => {
  it('fills every default and names the scenario after its file', () => {
    const s = parseScenarioText(MIN, 'dir/My Drill.yaml')
    expect(s.name).toBe('my-drill')
    expect(s.seed).toBe('1')
    expect(s.network.bootstraps).toBe(4)
    expect(s.network.regions).toEqual([{ name: 'europe-west', weight: 1 }])
    expect(s.churn.turnover_per_hour).toBe(0)
    expect(s.dht.k).toBe(20)
    expect(s.workload.start_s).toBe(s.network.join_spread_s)
    expect(s.gates).toEqual([])
    expect(Object.keys(s)).toEqual(['name', 'description', 'seed', 'gate', 'duration_s', 'warmup_s', 'network', 'churn', 'dht', 'workload', 'metrics', 'limits', 'gates'])
  })

  it('parses gates from strings and objects', () => {
    const s = parseScenarioText(`${MIN}gates:\n  - "hops_p99 <= 5"\n  - "lookup_p95_ms<500"\n  - {metric: lookup_success, op: ">=", threshold: 0.999}\n`, 's.yaml')
    expect(s.gates).toEqual([
      { metric: 'hops_p99', op: '<=', threshold: 5, window: 'all', if_not_reached: 'fail' },
      { metric: 'lookup_p95_ms', op: '<', threshold: 500, window: 'all', if_not_reached: 'fail' },
      { metric: 'lookup_success', op: '>=', threshold: 0.999, window: 'all', if_not_reached: 'fail' },
    ])
  })

  it('maps dht overrides and the policy profile onto the engine config', () => {
    const s = parseScenarioText(`${MIN}dht:\n  k: 16\n  timeout_ms: 500\n  refresh_interval_s: 60\n  policy: strict\n`, 's.yaml')
    const c = engineConfigFor(s.dht)
    expect(c.k).toBe(16)
    expect(c.rpcTimeoutMs).toBe(500)
    expect(c.refreshIntervalMs).toBe(60_000)
    expect(c.policy.sybilDetection).toBe(true)
    // The strict profile does not widen every lookup: only one the detector flags pays.
    expect([c.disjointPaths, c.beta]).toEqual([engineConfigFor(parseScenarioText(MIN, 's.yaml').dht).disjointPaths, engineConfigFor(parseScenarioText(MIN, 's.yaml').dht).beta])
  })

  it('out of range: names the path, the bound and the value', () => {
    expect(errorOf('network:\n  peers: 0\n')).toBe('scenario.yaml: network.peers: must be >= 2 (got 0)')
    expect(errorOf(`${MIN}network:\n  peers: 10\n  loss: 1.5\n`)).toMatch(/YAML error/) // duplicate key
    expect(errorOf('network:\n  peers: 10\n  loss: 1.5\n')).toBe('scenario.yaml: network.loss: must be <= 0.99 (got 1.5)')
  })

  it('unknown key, at any depth', () => {
    expect(errorOf(`${MIN}colour: blue\n`)).toBe('scenario.yaml: colour: unknown key')
    expect(errorOf('network:\n  peers: 10\n  regions: [{name: europe-west, wieght: 2}]\n')).toBe('scenario.yaml: network.regions[0].wieght: unknown key')
  })

  it('wrong type and missing field', () => {
    expect(errorOf('network:\n  peers: many\n')).toBe('scenario.yaml: network.peers: must be a number (got "many")')
    expect(errorOf('network:\n  peers: 2.5\n')).toBe('scenario.yaml: network.peers: must be an integer (got 2.5)')
    expect(errorOf('duration_s: 60\n')).toBe('scenario.yaml: network: required (a mapping)')
    expect(errorOf(`${MIN}dht:\n  policy: paranoid\n`)).toBe('scenario.yaml: dht.policy: must be one of "default", "strict" (got "paranoid")')
  })

  it('gates: unknown metric, bad syntax, unknown window', () => {
    expect(errorOf(`${MIN}gates: ["hops_p98 <= 5"]\n`)).toMatch(/^scenario\.yaml: gates\[0\]: unknown metric "hops_p98" \(known: lookups, /)
    expect(errorOf(`${MIN}gates: ["hops_p99 about 5"]\n`)).toMatch(/^scenario\.yaml: gates\[0\]: must look like "hops_p99 <= 5"/)
    expect(errorOf(`${MIN}gates: [42]\n`)).toMatch(/^scenario\.yaml: gates\[0\]: must be a gate like/)
    expect(errorOf(`${MIN}gates: [{metric: hops_p99, op: "<=", threshold: 5, window: "during:nope"}]\n`)).toMatch(/names no fault/)
  })

  it('cross-field checks and regions', () => {
    expect(errorOf('network:\n  peers: 4\n  bootstraps: 4\n')).toBe('scenario.yaml: network.bootstraps: must be < network.peers (4) (got 4)')
    expect(errorOf(`${MIN}duration_s: 60\nwarmup_s: 60\n`)).toBe('scenario.yaml: warmup_s: must be < duration_s (60) (got 60)')
    expect(errorOf('network:\n  peers: 10\n  regions: [{name: atlantis}]\n')).toMatch(/^scenario\.yaml: network\.regions\[0\]\.name: unknown region "atlantis"/)
  })

  it('YAML errors and non-mappings are one line too', () => {
    expect(errorOf('network: [\n')).toMatch(/^scenario\.yaml: YAML error at line \d+: /)
    expect(errorOf('- 1\n- 2\n')).toBe('scenario.yaml: must be a mapping of scenario fields (got a list)')
    expect(errorOf('')).toBe('scenario.yaml: must be a mapping of scenario fields (got null)')
  })

  it('exports a JSON Schema that rejects unknown keys and lists the fields', () => {
    const js = scenarioJsonSchema() as { type: string; additionalProperties: boolean; properties: Record<string, { properties?: Record<string, unknown> }> }
    expect(js.type).toBe('object')
    expect(js.additionalProperties).toBe(false)
    expect(Object.keys(js.properties)).toContain('gates')
    expect(Object.keys(js.properties.network!.properties!)).toContain('peers')
  })
})
