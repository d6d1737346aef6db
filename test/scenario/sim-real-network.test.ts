// A real network's population on the real engine, small and seeded: undialable peers enter
// routing tables and lookups spend timeouts on them; hosted peers get their own access latency and
// issue the lookups when asked; sessions follow the fitted CDF; and the report sets the
// scenario's published figures beside its predictions, in report.json, report.md and report.html.
import { describe, expect, it } from 'vitest'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { Simulation } from '../../src/sim/simulation.js'
import { DhtEngine } from '../../src/engine/engine.js'
import { peerIndex } from '../../src/sim/peers.js'
import { renderJson } from '../../src/report/files.js'
import { renderMarkdown } from '../../src/report/markdown.js'
import { renderHtml } from '../../src/report/html.js'

const BASE = `
name: real
seed: 5
duration_s: 240
warmup_s: 90
network:
  peers: 300
  bootstraps: 3
  join_spread_s: 30
  regions: [{name: europe-west, weight: 2}, {name: north-america-east, weight: 1}]
  access_latency_ms: {median: 10, sigma: 0.5}
workload:
  find_node_per_s: 6
  provide_per_s: 1
  get_providers_per_s: 4
metrics:
  window_s: 30
`

const UNREACHABLE = BASE.replace('  access_latency_ms: {median: 10, sigma: 0.5}\n', '  access_latency_ms: {median: 10, sigma: 0.5}\n  unreachable_share: 0.3\n')

// Every new part at once (sessions from a CDF, undialable and hosted peers, the stack): the
// determinism check below runs on it.
const FULL = BASE.replace(
  '  access_latency_ms: {median: 10, sigma: 0.5}\n',
  '  access_latency_ms: {median: 10, sigma: 0.5}\n  unreachable_share: 0.2\n  hosted: {share: 0.3}\n  stack: {setup_rtts: 2, stream_rtts: 0}\n',
).replace('metrics:', 'churn:\n  session: weibull\n  session_cdf: [{s: 60, fraction: 0.5}, {s: 300, fraction: 0.8}]\n  downtime_mean_s: 30\nmetrics:')

const REFERENCE = `${FULL}reference:
  - source: A study, 2025
    url: https://example.org/study
    note: what they measured
    figures:
      - { metric: lookup_p50_ms, value: 100, op: FIND_NODE, successful: true }
      - { metric: lookup_p99.9_ms, value: 900 }
      - { metric: hops_p99, value: 4 }
      - { metric: lookup_p90_ms, value: 0 }
`

const run = (text: string) => runScenario(parseScenarioText(text, 'real.yaml'), { scenarioPath: 'real.yaml', toolVersion: 'test' })

describe('a real network: unreachable peers, hosted peers, published figures', () => {
  it('undialable peers sit in routing tables, never answer a request, and lookups spend timeouts on them', () => {
    const sim = new Simulation(parseScenarioText(UNREACHABLE, 'real.yaml'), { seed: '5' })
    sim.run()
    const unreachable = sim.network.unreachable!
    let marked = 0
    for (let i = 0; i < sim.n; i++) marked += unreachable[i]!
    expect(marked / (sim.n - sim.bootstrapCount)).toBeGreaterThan(0.22)
    expect(marked / (sim.n - sim.bootstrapCount)).toBeLessThan(0.38)
    for (let i = 0; i < sim.bootstrapCount; i++) expect(unreachable[i]).toBe(0)
    // In routing tables: their own requests made them known, as real undialable peers are.
    let inTables = 0
    for (let p = 0; p < sim.n; p++) {
      const e = sim.engines[p]
      if (e?.contacts === undefined) continue
      for (const c of e.contacts()) if (unreachable[peerIndex(c, sim.contacts)] === 1) inTables++
    }
    expect(inTables).toBeGreaterThan(100)
    expect(sim.network.dropsByReason.get('unreachable')!).toBeGreaterThan(100)

    // The same run without them has no lookup that waited out a per-hop timeout (750 ms); with
    // them, the slowest lookups did, and the tail grows by about one timeout's worth.
    const without = run(BASE).metrics
    const withThem = run(UNREACHABLE).metrics
    expect(without.lookup_p99_ms!).toBeLessThan(750)
    expect(withThem.lookup_p99_ms!).toBeGreaterThan(750)
    expect(withThem.lookup_p95_ms!).toBeGreaterThan(without.lookup_p95_ms! + 150)
    expect(withThem.lookup_success!).toBeGreaterThanOrEqual(0.95)
  })

  it('with the stack model, a dial to an undialable peer is reported to the engine and never connects', () => {
    const text = UNREACHABLE.replace('  unreachable_share: 0.3\n', '  unreachable_share: 0.3\n  stack: {}\n')
    // Per peer: where each request went; then which requests heard rpc-dialing / rpc-connected.
    const sentTo = new Map<string, number>()
    const dialed: string[] = []
    const connected = new Set<string>()
    let sim: Simulation | undefined = undefined
    sim = new Simulation(parseScenarioText(text, 'real.yaml'), {
      seed: '5',
      engineFactory: (o) => {
        const e = new DhtEngine(o)
        const me = o.self.peer
        return {
          contacts: () => e.contacts(),
          step(now, input) {
            if (input.kind === 'rpc-dialing') dialed.push(`${me}/${input.rpcId}`)
            if (input.kind === 'rpc-connected') connected.add(`${me}/${input.rpcId}`)
            const out = e.step(now, input)
            for (const send of out.sends) if (send.msg.kind === 'request') sentTo.set(`${me}/${send.msg.rpcId}`, peerIndex(send.to, sim!.contacts))
            return out
          },
        }
      },
    })
    sim.run()
    // Dials that never connected went to undialable peers, and there were many; a dial to an
    // undialable peer connects only over a connection that peer opened itself.
    // (A few dials to reachable peers are still being set up when the run ends.)
    const never = dialed.filter((k) => !connected.has(k))
    const toUndialable = never.filter((k) => sim.network.unreachable![sentTo.get(k)!] === 1)
    expect(toUndialable.length).toBeGreaterThan(50)
    expect(toUndialable.length / never.length).toBeGreaterThan(0.9)
  })

  it('hosted peers get their own access latency; issuers "hosted" issues from them only', () => {
    const text = BASE.replace('  access_latency_ms: {median: 10, sigma: 0.5}\n', '  access_latency_ms: {median: 40, sigma: 0}\n  hosted: {share: 0.25, access_latency_ms: {median: 1, sigma: 0}}\n').replace(
      'workload:\n',
      'workload:\n  issuers: hosted\n',
    )
    const sim = new Simulation(parseScenarioText(text, 'real.yaml'), { seed: '5' })
    const hosted = sim.hosted!
    let h = 0
    for (let i = 0; i < sim.n; i++) {
      h += hosted[i]!
      expect(sim.network.accessMs[i]).toBe(hosted[i] === 1 ? 1 : 40)
    }
    expect(h / sim.n).toBeGreaterThan(0.18)
    expect(h / sim.n).toBeLessThan(0.32)
    // User lookups carry positive tags (the engine's own use -1): every one came from a hosted peer.
    const issuers = new Set<number>()
    const watched = new Simulation(parseScenarioText(text, 'real.yaml'), {
      seed: '5',
      onEngineEvents: (peer, evs) => {
        for (const ev of evs) if (ev.kind === 'lookup-done' && ev.tag > 0) issuers.add(peer)
      },
    })
    watched.run()
    expect(issuers.size).toBeGreaterThan(20)
    for (const p of issuers) expect(watched.hosted![p]).toBe(1)
    // And they are faster than lookups from any peer (a 40 ms home link on every first hop).
    const r = run(text)
    expect(r.metrics.lookups!).toBeGreaterThan(500)
    expect(r.metrics.lookup_p50_ms!).toBeLessThan(run(text.replace('  issuers: hosted\n', '')).metrics.lookup_p50_ms!)
  })

  it('sessions from session_cdf churn the network with no turnover_per_hour', () => {
    const text = BASE.replace('metrics:', 'churn:\n  session: weibull\n  session_cdf: [{s: 30, fraction: 0.5}, {s: 120, fraction: 0.8}]\n  downtime_mean_s: 20\nmetrics:')
    const m = run(text).metrics
    expect(m.restarts!).toBeGreaterThan(50)
    expect(m.turnover_per_hour!).toBeGreaterThan(1)
    expect(run(BASE).metrics.restarts).toBe(0)
  })

  it('the reference block: published, predicted and error per figure, in report.json, .md and .html', () => {
    const r = run(REFERENCE)
    const ref = r.reference![0]!
    expect(ref.source).toBe('A study, 2025')
    const [p50, p999, hops, zero] = ref.figures
    expect(p50!.published).toBe(100)
    expect(p50!.predicted).toBeGreaterThan(0)
    expect(p50!.error_pct).toBeCloseTo(((p50!.predicted! - 100) / 100) * 100, 1)
    expect(p999!.predicted).toBeGreaterThanOrEqual(p50!.predicted!)
    expect(hops!.predicted).toBe(r.metrics.hops_p99)
    expect(zero!.error_pct).toBeNull()
    const md = renderMarkdown(r)
    expect(md).toContain('## Published reference')
    expect(md).toContain('Source: A study, 2025 (https://example.org/study)')
    expect(md).toContain(`| lookup_p50_ms (FIND_NODE, successful) | 100 | ${p50!.predicted} | ${p50!.error_pct! > 0 ? '+' : ''}${p50!.error_pct} % |`)
    expect(md).toContain(`| hops_p99 | 4 | ${hops!.predicted} |`)
    const html = renderHtml(r)
    expect(html).toContain('<h2>Published reference</h2>')
    expect(html).toContain('<a href="https://example.org/study">')
    // No reference, no section and no field; the same run twice: the same bytes.
    const plain = run(BASE)
    expect(plain.reference).toBeUndefined()
    expect(renderMarkdown(plain)).not.toContain('Published reference')
    expect(renderJson(run(REFERENCE))).toBe(renderJson(r))
  })
})
