// The eclipse of a provided key, at reduced size: a packed cluster of Sybils around the probe
// key plus 20 % misrouting Sybils. With the strict profile's defences (Sybil-density detection,
// disjoint paths, diversity), honest providers are still found; without them the cluster
// censors the key. Both runs are measured the same way: the share of probe GET_PROVIDERS that
// found an HONEST provider.
import { describe, expect, it } from 'vitest'
import { runChaosYaml } from './fault-harness.js'

const yaml = (policy: string): string => `
seed: 3
duration_s: 260
warmup_s: 60
network:
  peers: 150
  bootstraps: 3
  join_spread_s: 30
  regions: [{name: europe-west, weight: 1}]
dht: {policy: ${policy}}
workload: {find_node_per_s: 0.5, provide_per_s: 0, get_providers_per_s: 0}
adversary:
  fraction: 0.2
  behaviours: {misroute: true, providers: none, store: false}
  eclipse: {target: probe-key, cluster: 20, addresses: spread}
probe: {providers: 5, provide_at_s: 90, start_s: 110, get_per_s: 2}
`

describe('adversary: eclipse of a provided key', () => {
  it('defences on: honest providers are found; defences off: measured beside it', () => {
    const on = runChaosYaml(yaml('strict')).chaos
    const off = runChaosYaml(yaml('default')).chaos
    const mOn = on.metricsFor('all')
    const mOff = off.metricsFor('all')
    expect(mOn.probe_lookups).toBeGreaterThan(200)
    expect(mOn.sybil_suspected).toBeGreaterThan(0)
    expect(mOn.honest_provider_success).toBeGreaterThanOrEqual(0.95)
    expect(mOff.honest_provider_success).toBeLessThan(mOn.honest_provider_success!)
  })
})
