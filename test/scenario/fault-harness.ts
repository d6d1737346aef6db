// Runs a small chaos scenario on the Simulation class with the chaos machinery (the fault,
// drill and adversary tests' harness): the same wiring runScenario uses, with hooks for tests.
import { readFileSync } from 'node:fs'
import YAML from 'yaml'
import { SeededRng } from '../../src/engine/rng.js'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { Simulation, type EngineFactory } from '../../src/sim/simulation.js'
import { ChaosRun } from '../../src/sim/chaos/chaos-run.js'
import { chaosOf } from '../../src/sim/faults/chaos-schema.js'

export interface ChaosResult {
  readonly sim: Simulation
  readonly chaos: ChaosRun
}

export function runChaosYaml(text: string, opts: { wrap?: (f: EngineFactory) => EngineFactory; before?: (r: ChaosResult) => void } = {}): ChaosResult {
  const scenario = parseScenarioText(text, 'test.yaml')
  const chaos = new ChaosRun(scenario, chaosOf(scenario), new SeededRng(scenario.seed))
  const sim = new Simulation(scenario, chaos.simulationOptions(scenario.seed, opts.wrap))
  chaos.setup(sim)
  opts.before?.({ sim, chaos })
  sim.run()
  chaos.finish()
  return { sim, chaos }
}

/** A small healthy network: 120 peers, 2 regions, no churn, FIND_NODE workload. */
export function smallNet(extra: string, peers = 120, durationS = 240): string {
  return `
seed: 11
duration_s: ${durationS}
warmup_s: 30
network:
  peers: ${peers}
  bootstraps: 3
  join_spread_s: 20
  regions: [{name: europe-west, weight: 1}, {name: north-america-east, weight: 1}]
  jitter_ms: {median: 1, sigma: 0.5}
workload:
  find_node_per_s: 5
  provide_per_s: 0
  get_providers_per_s: 0
metrics:
  window_s: 30
${extra}
`
}

/**
 * A drill scenario file at reduced size: `patch` edits the parsed YAML (peers, times, ...); the
 * result goes back to YAML text for runChaosYaml. The drill's own gates are kept as written.
 */
// Test code edits arbitrary nested YAML: a loose type on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RawYaml = Record<string, any>

export function reducedDrill(file: string, patch: (raw: RawYaml) => void): string {
  const raw = YAML.parse(readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), 'utf8')) as RawYaml
  delete raw.name
  delete raw.gate
  delete raw.description
  raw.gates = []
  patch(raw)
  return YAML.stringify(raw)
}
