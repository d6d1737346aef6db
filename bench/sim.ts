// Simulator benchmark (its speed and memory target): 10,000 peers, 1 h of virtual time,
// 10 % churn per hour, >= 50,000 lookups. Target on the 2-core reference machine: < 60 s wall,
// < 2 GiB peak RSS. Prints a JSON line and a Markdown table.
//
//   npm run build:bench && node dist-bench/sim.js [--peers 10000] [--duration-s 3600] [--seed 1]
//                                                 [--invariants-every N]  (0: engines never check their
//                                                 invariants; default: the simulator's sampling)
import { performance } from 'node:perf_hooks'
import { resolveScenario } from '../dist/sim/scenario.js'
import { runScenario } from '../dist/sim/run-scenario.js'

function flag(name: string, fallback: number | string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : String(fallback)
}

const peers = Number(flag('peers', 10_000))
const durationS = Number(flag('duration-s', 3600))
const seed = flag('seed', 1)
const invariantsFlag = flag('invariants-every', '')
const invariantsEvery = invariantsFlag === '' ? undefined : Number(invariantsFlag)

const scenario = resolveScenario(
  {
    name: 'bench-sim',
    seed,
    duration_s: durationS,
    warmup_s: Math.min(300, durationS / 4),
    network: {
      peers,
      bootstraps: 8,
      join_spread_s: Math.min(120, durationS / 10),
      regions: [
        { name: 'europe-west', weight: 4 },
        { name: 'europe-central', weight: 3 },
        { name: 'north-america-east', weight: 3 },
      ],
      access_latency_ms: { median: 2, sigma: 0.5 },
      loss: 0.001,
    },
    churn: { turnover_per_hour: 0.1, session: 'exponential', downtime_mean_s: 600 },
    // 16 lookups/s: >= 50,000 counted over the hour after the 5-minute warm-up (3,300 s).
    workload: { find_node_per_s: 11, provide_per_s: 1, get_providers_per_s: 4 },
    metrics: { window_s: 60 },
  },
  'bench',
)

const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20
const t0 = performance.now()
let lastPrint = t0
const report = runScenario(scenario, {
  ...(invariantsEvery === undefined ? {} : { engineInvariantsEvery: invariantsEvery }),
  onProgress: (v) => {
    const now = performance.now()
    if (process.stderr.isTTY && now - lastPrint > 2000) {
      lastPrint = now
      process.stderr.write(`\rvirtual ${(v / 1000).toFixed(0)} / ${durationS} s, wall ${((now - t0) / 1000).toFixed(1)} s   `)
    }
  },
})
const wallS = (performance.now() - t0) / 1000
if (process.stderr.isTTY) process.stderr.write('\n')
const peakRssMiB = process.resourceUsage().maxRSS / 1024
const heapMiB = process.memoryUsage().heapUsed / 2 ** 20
const m = report.metrics
const packets = m.packets_sent ?? 0
const result = {
  peers,
  virtual_s: durationS,
  lookups: report.metrics.lookups,
  wall_s: Math.round(wallS * 10) / 10,
  peak_rss_mib: Math.round(peakRssMiB),
  rss_before_mib: Math.round(rssBeforeMiB),
  heap_used_end_mib: Math.round(heapMiB),
  bytes_per_peer_peak_rss: Math.round((peakRssMiB * 2 ** 20) / peers),
  bytes_per_peer_heap_end: Math.round((heapMiB * 2 ** 20) / peers),
  messages: packets,
  messages_per_wall_s: Math.round(packets / wallS),
  virtual_per_wall: Math.round((durationS / wallS) * 10) / 10,
  lookup_success: m.lookup_success,
  lookup_p95_ms: m.lookup_p95_ms,
  hops_p99: m.hops_p99,
  node: process.version,
  target: { wall_s: 60, peak_rss_mib: 2048, lookups: 50_000 },
  pass: wallS < 60 && peakRssMiB < 2048 && (m.lookups ?? 0) >= 50_000,
}
process.stdout.write(`${JSON.stringify(result)}\n\n`)
process.stdout.write(
  [
    '| peers | virtual | lookups | wall | peak RSS | bytes/peer (RSS) | messages | messages/wall-s |',
    '|---|---|---|---|---|---|---|---|',
    `| ${peers} | ${durationS} s | ${result.lookups} | ${result.wall_s} s | ${result.peak_rss_mib} MiB | ${result.bytes_per_peer_peak_rss} | ${packets} | ${result.messages_per_wall_s} |`,
    '',
  ].join('\n'),
)
