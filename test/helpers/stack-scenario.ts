// A small two-region network (60 peers, 2 min) for the stack model's run tests, with
// `network.stack` set to the YAML given (absent: no stack model).
export function smallStackScenarioText(name: string, seed: number, stack?: string): string {
  return `
name: ${name}
seed: ${seed}
duration_s: 120
warmup_s: 40
network:
  peers: 60
  bootstraps: 2
  join_spread_s: 15
  regions:
    - { name: europe-west, weight: 1 }
    - { name: north-america-east, weight: 1 }
  access_latency_ms: { median: 2, sigma: 0.5 }
  loss: 0.001
${stack === undefined ? '' : `  stack: ${stack}\n`}workload:
  find_node_per_s: 4
  provide_per_s: 0.5
  get_providers_per_s: 2
metrics:
  window_s: 40
`
}
