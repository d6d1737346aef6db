// Simulator benchmark (its speed and memory target): 10,000 peers, 1 h of virtual time,
// 10 % churn per hour, >= 50,000 lookups. Target on the 2-core reference machine: < 60 s wall,
// < 2 GiB peak RSS. Prints a JSON line and a Markdown table.
//
//   npm run build:bench && node dist-bench/sim.js [--peers 10000] [--duration-s 3600] [--seed 1]
//                                                 [--invariants-every N]  (0: engines never check their
//                                                 invariants; default: the simulator's sampling)
//                                                 [--scenario FILE]  (bench that scenario instead;
//                                                 --peers and --duration-s then override its own)
//                                                 [--construct-only]  (under --expose-gc: build the
//                                                 simulation, run nothing, print its memory per peer)
//
// CPU is split by part of the run, by virtual time: the join storm (every peer joining, up to
// network.join_spread_s), the settling after it (up to warmup_s: the joins' follow-up refreshes)
// and the steady state (the measured hour); each with its messages and CPU per message. The split
// is read at the simulator's progress calls (every 65,536 events), so a boundary is a few
// milliseconds of virtual time late.
import { performance } from 'node:perf_hooks'
import { loadScenario, resolveScenario } from '../dist/sim/scenario.js'
import type { ResolvedScenario } from '../dist/sim/scenario.js'
import { runScenario } from '../dist/sim/run-scenario.js'
import { Simulation } from '../dist/sim/simulation.js'
import { limitSimHeapGrowth } from '../dist/sim/thread-limits.js'

function flag(name: string, fallback: number | string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : String(fallback)
}

function fail(msg: string): never {
  process.stderr.write(`bench sim: ${msg}\n`)
  process.exit(2)
}

const scenarioFile = flag('scenario', '')
const seed = flag('seed', 1)
const invariantsFlag = flag('invariants-every', '')
const invariantsEvery = invariantsFlag === '' ? undefined : Number(invariantsFlag)

function positiveInt(name: string, v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive integer, got "${v}"`)
  return n
}

function benchScenario(peers: number, durationS: number): ResolvedScenario {
  return resolveScenario(
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
}

/** The scenario file, with --peers and --duration-s (when given) in place of its own. */
function fileScenario(file: string): ResolvedScenario {
  let sc: ResolvedScenario
  try {
    sc = loadScenario(file)
  } catch (err) {
    fail((err as Error).message)
  }
  const peersFlag = flag('peers', '')
  const durFlag = flag('duration-s', '')
  const peers = peersFlag === '' ? sc.network.peers : positiveInt('peers', peersFlag)
  const durationS = durFlag === '' ? sc.duration_s : positiveInt('duration-s', durFlag)
  if (peers <= sc.network.bootstraps) fail(`--peers must exceed the scenario's ${sc.network.bootstraps} bootstraps, got ${peers}`)
  return {
    ...sc,
    seed: flag('seed', sc.seed),
    duration_s: durationS,
    // The scenario's own warm-up, so its metrics are those `dht-sim run` reports; only a run cut
    // shorter than the warm-up gets a quarter of its length (something must be measured).
    warmup_s: sc.warmup_s < durationS ? sc.warmup_s : durationS / 4,
    network: { ...sc.network, peers },
  }
}

const scenario = scenarioFile === '' ? benchScenario(positiveInt('peers', flag('peers', 10_000)), positiveInt('duration-s', flag('duration-s', 3600))) : fileScenario(scenarioFile)
const peers = scenario.network.peers
const durationS = scenario.duration_s
const isDefault = scenarioFile === '' && peers === 10_000 && durationS === 3600

/** Part boundaries in virtual ms, in order: the part ends when virtual time reaches its end. */
const parts = [
  { name: 'join', endMs: scenario.network.join_spread_s * 1000 },
  { name: 'settle', endMs: Math.max(scenario.network.join_spread_s, scenario.warmup_s) * 1000 },
  { name: 'steady', endMs: Infinity },
]
const partCpuUs: number[] = parts.map(() => 0)
const partMessages: number[] = parts.map(() => 0)
let part = 0
let cpuMark = process.cpuUsage()
let msgMark = 0
let sim: Simulation | undefined
/** Closes parts up to the one holding virtual time v (or all of them at the end). */
function closeParts(v: number, end: boolean): void {
  while (part < parts.length && (end || v >= parts[part]!.endMs)) {
    const cpu = process.cpuUsage(cpuMark)
    const msgs = sim?.network.packetsSent ?? 0
    partCpuUs[part] = cpu.user + cpu.system
    partMessages[part] = msgs - msgMark
    cpuMark = process.cpuUsage()
    msgMark = msgs
    part++
    if (end) break
  }
}

if (process.argv.includes('--construct-only')) constructOnly()

/**
 * What the simulator holds per peer before any engine exists (ids, addresses, the ground truth,
 * its per-peer arrays), after a full collection on each side: the floor under every run's bytes
 * per peer, cheap to measure at sizes no run fits.
 */
function constructOnly(): never {
  const gcFn = (globalThis as { gc?: () => void }).gc
  if (gcFn === undefined) fail('--construct-only needs node --expose-gc')
  gcFn()
  const before = process.memoryUsage()
  const cpu0 = process.cpuUsage()
  const built = new Simulation(scenario, { seed: scenario.seed })
  const cpu = process.cpuUsage(cpu0)
  gcFn()
  const after = process.memoryUsage()
  const heap = after.heapUsed - before.heapUsed
  const external = after.external - before.external
  const out = {
    scenario: scenarioFile === '' ? 'bench-sim' : scenarioFile,
    peers: built.n,
    construct_cpu_s: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    heap_mib: Math.round(heap / 2 ** 20),
    external_mib: Math.round(external / 2 ** 20),
    bytes_per_peer: Math.round((heap + external) / built.n),
    peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
  process.exit(0)
}

// The old generation's growth `dht-sim run` sets for its simulation thread (thread-limits.ts).
limitSimHeapGrowth()
const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20
const t0 = performance.now()
let lastPrint = t0
const report = runScenario(scenario, {
  ...(invariantsEvery === undefined ? {} : { engineInvariantsEvery: invariantsEvery }),
  setup: (s) => {
    sim = s
  },
  onProgress: (v) => {
    closeParts(v, false)
    const now = performance.now()
    if (process.stderr.isTTY && now - lastPrint > 2000) {
      lastPrint = now
      process.stderr.write(`\rvirtual ${(v / 1000).toFixed(0)} / ${durationS} s, wall ${((now - t0) / 1000).toFixed(1)} s   `)
    }
  },
})
const wallS = (performance.now() - t0) / 1000
// The rest of the last part (the report is built after the run: counted in the last part).
closeParts(Infinity, true)
if (process.stderr.isTTY) process.stderr.write('\n')
const peakRssMiB = process.resourceUsage().maxRSS / 1024
const heapMiB = process.memoryUsage().heapUsed / 2 ** 20
// What the simulation holds at the end (tables filled), without the garbage heapUsed counts: only
// after a full collection, so only under --expose-gc (null otherwise). The simulation and its
// report are still referenced here, so they are counted.
const gc = (globalThis as { gc?: () => void }).gc
let liveHeapMiB: number | null = null
if (gc !== undefined) {
  gc()
  liveHeapMiB = process.memoryUsage().heapUsed / 2 ** 20
}
const liveExternalMiB = gc === undefined ? null : process.memoryUsage().external / 2 ** 20
const m = report.metrics
const packets = m.packets_sent ?? 0
const hist = report.hops_histogram
let hopsN = 0
let hopsSum = 0
for (let h = 0; h < hist.length; h++) {
  hopsN += hist[h]!
  hopsSum += h * hist[h]!
}
const totalCpuUs = partCpuUs.reduce((a, b) => a + b, 0)
const cpuParts = parts
  .map((p, i) => ({
    part: p.name,
    until_s: Number.isFinite(p.endMs) ? p.endMs / 1000 : durationS,
    cpu_s: Math.round(partCpuUs[i]! / 1e4) / 100,
    share: totalCpuUs === 0 ? 0 : Math.round((partCpuUs[i]! / totalCpuUs) * 1000) / 1000,
    messages: partMessages[i]!,
    us_per_message: partMessages[i]! === 0 ? null : Math.round((partCpuUs[i]! / partMessages[i]!) * 10) / 10,
  }))
  // A part that spans no virtual time (no settling when warm-up ends with the joins) is left out.
  .filter((_, i) => i === 0 || parts[i]!.endMs > parts[i - 1]!.endMs)
const result = {
  scenario: scenarioFile === '' ? 'bench-sim' : scenarioFile,
  peers,
  virtual_s: durationS,
  lookups: report.metrics.lookups,
  wall_s: Math.round(wallS * 10) / 10,
  peak_rss_mib: Math.round(peakRssMiB),
  rss_before_mib: Math.round(rssBeforeMiB),
  heap_used_end_mib: Math.round(heapMiB),
  bytes_per_peer_peak_rss: Math.round((peakRssMiB * 2 ** 20) / peers),
  bytes_per_peer_heap_end: Math.round((heapMiB * 2 ** 20) / peers),
  heap_live_end_mib: liveHeapMiB === null ? null : Math.round(liveHeapMiB),
  external_live_end_mib: liveExternalMiB === null ? null : Math.round(liveExternalMiB),
  bytes_per_peer_live: liveHeapMiB === null || liveExternalMiB === null ? null : Math.round(((liveHeapMiB + liveExternalMiB) * 2 ** 20) / peers),
  messages: packets,
  messages_per_wall_s: Math.round(packets / wallS),
  virtual_per_wall: Math.round((durationS / wallS) * 10) / 10,
  lookup_success: m.lookup_success,
  lookup_p95_ms: m.lookup_p95_ms,
  hops_p50: m.hops_p50,
  hops_p99: m.hops_p99,
  hops_histogram: hist,
  hops_mean: hopsN === 0 ? null : Math.round((hopsSum / hopsN) * 1000) / 1000,
  table_fill: m.table_fill ?? null,
  table_fill_far: m.table_fill_far ?? null,
  messages_per_lookup: m.messages_per_lookup,
  cpu_parts: cpuParts,
  node: process.version,
  ...(isDefault
    ? { target: { wall_s: 60, peak_rss_mib: 2048, lookups: 50_000 }, pass: wallS < 60 && peakRssMiB < 2048 && (m.lookups ?? 0) >= 50_000 }
    : {}),
}
process.stdout.write(`${JSON.stringify(result)}\n\n`)
process.stdout.write(
  [
    '| peers | virtual | lookups | wall | peak RSS | bytes/peer (RSS) | messages | messages/wall-s |',
    '|---|---|---|---|---|---|---|---|',
    `| ${peers} | ${durationS} s | ${result.lookups} | ${result.wall_s} s | ${result.peak_rss_mib} MiB | ${result.bytes_per_peer_peak_rss} | ${packets} | ${result.messages_per_wall_s} |`,
    '',
    '| part | virtual until | CPU | share | messages | us/message |',
    '|---|---|---|---|---|---|',
    ...cpuParts.map((p) => `| ${p.part} | ${p.until_s} s | ${p.cpu_s} s | ${(p.share * 100).toFixed(1)} % | ${p.messages} | ${p.us_per_message ?? '-'} |`),
    '',
  ].join('\n'),
)
