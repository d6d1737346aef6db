// One peer flooding a node with requests at a fixed rate, and what an honest peer's FIND_NODE p95
// does meanwhile, with the penalty box off and on, alternated in one run.
//
//   npm run build:bench && node dist-bench/node-flood.js [--rate 6000] [--seconds 20] [--pairs 2]
//                                                        [--samples 300] [--bin bin/dht-sim.js]
//                                                        [--min-offered 0.95]
//
// Each variant starts `dht-sim serve` (default profile, amnesia, no allow list) in its own
// process: `off` with --dht-penalty-refusals 0 (the per-peer token bucket alone), `on` with the
// profile's penalty box. The honest peer (this process, honest-peer.ts) takes its quiet p95 just
// before the flood and its flood p95 inside it. The attacker is flood-attacker.ts in a process
// of its own: one peer id on one connection, FIND_NODEs at --rate on raw yamux streams.
//
// The attacker's own figures say what the node was offered: requests written per second of
// connection, answered, reset. The node's metrics say what it read of them (opens refused at the
// SYN and kad streams taken, the honest peer's left out): less than written when the node falls
// behind reading its socket. A run whose attacker did not write at least --min-offered of
// --rate while it had a connection measured a smaller flood than it claims: its line says
// OFFERED SHORT and the bench exits 1, so a p95 ratio is never quoted for a flood that did not
// happen. (Under `on` the attacker spends most of the run penalized, without a connection: the
// slots it could not send then are `blocked`, the node's doing, not a shortfall.)
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import type { AttackerReport } from './flood-attacker.js'
import { cpuSeconds, honestLatency, watchFlood, leanClient, metric, sleep, startServer, type Server } from './honest-peer.js'

const args = process.argv.slice(2)
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name)
  return i === -1 ? d : args[i + 1]!
}

const RATE = Number(opt('--rate', '6000'))
const SECONDS = Number(opt('--seconds', '20'))
const PAIRS = Number(opt('--pairs', '2'))
const SAMPLES = Number(opt('--samples', '300'))
const BIN = opt('--bin', 'bin/dht-sim.js')
const MIN_OFFERED = Number(opt('--min-offered', '0.95'))
const ATTACKER = join(dirname(fileURLToPath(import.meta.url)), 'flood-attacker.js')

type Row = Record<string, string | number | boolean | number[]>

/**
 * The node's event-loop delay since the last scrape (prom-client's default metrics, which restart
 * their histogram at each scrape: one scrape for both figures), in ms. The histogram samples
 * every 10 ms, so a figure near 10 ms is an idle loop.
 */
async function loopLag(srv: Server): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`http://127.0.0.1:${srv.http}/metrics`)).text()
  const read = (name: string): number => Math.round(Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN) * 1e4) / 10
  return { p99: read('nodejs_eventloop_lag_p99_seconds'), max: read('nodejs_eventloop_lag_max_seconds') }
}

async function variant(name: 'off' | 'on'): Promise<Row> {
  const srv = await startServer(BIN, name === 'off' ? ['--dht-penalty-refusals', '0'] : [])
  try {
    const honest = await leanClient()
    const hc = await honest.dial(multiaddr(srv.addr))
    await honestLatency(hc, 30) // warm-up
    await loopLag(srv) // prom-client's event-loop histogram restarts at each scrape
    const quiet = await honestLatency(hc, SAMPLES)
    const quietLag = await loopLag(srv)
    const cpu0 = cpuSeconds(srv.proc.pid!)
    const t0 = performance.now()
    const child = spawn(process.execPath, [ATTACKER, srv.addr, String(RATE), String(SECONDS * 1000)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    const watch = watchFlood(srv.proc.pid!, child.pid!)
    // Let the flood start (the attacker's dial and first second) before the honest peer measures.
    await sleep(1_500)
    await loopLag(srv)
    const flood = await honestLatency(hc, SAMPLES)
    const floodLag = await loopLag(srv)
    const measuredS = (performance.now() - t0) / 1000
    await exited
    watch.stop()
    const cpu = cpuSeconds(srv.proc.pid!) - cpu0
    const wall = (performance.now() - t0) / 1000
    const a = JSON.parse(out.trim().split('\n').pop() ?? '{}') as AttackerReport
    const offeredPerS = Math.round(a.sent / Math.max(a.connectedSeconds, 1e-9))
    // Under `on` the attacker is penalized within its first second and spends the run redialling:
    // its rate per second of connection is only judged when it had at least 2 s of connection.
    const short = (a.connectedSeconds >= 2 && offeredPerS < MIN_OFFERED * RATE) || (name === 'off' && a.connectedSeconds < 0.95 * a.seconds)
    const refusedBy = async (reason: string): Promise<number> => metric(srv, new RegExp(`rejected_total\\{reason="${reason}"\\} (\\d+)`))
    // What the node read of the flood: the opens it refused at the SYN and the kad streams it
    // took, less the honest peer's (bytes written but not yet read wait in the socket buffers).
    const refusedAtSyn = (await refusedBy('rate-limited')) + (await refusedBy('ip-rate-limited')) + (await refusedBy('streams-per-connection'))
    const kadStreams = (await metric(srv, /ron_dht_inbound_streams_total\{path="fast"\} (\d+)/)) + (await metric(srv, /ron_dht_inbound_streams_total\{path="libp2p"\} (\d+)/))
    const nodeReadPerS = Math.round(Math.max(0, refusedAtSyn + kadStreams - (30 + 2 * SAMPLES)) / Math.max(a.connectedSeconds, 1e-9))
    const r: Row = {
      variant: name,
      quietP50Ms: quiet.p50,
      quietP95Ms: quiet.p95,
      floodP50Ms: flood.p50,
      floodP95Ms: flood.p95,
      ratio: Math.round((flood.p95 / quiet.p95) * 100) / 100,
      honestFailed: quiet.failed + flood.failed,
      // The node's event-loop delay while the honest peer measured (p99 / max, ms).
      loopP99QuietMs: quietLag.p99,
      loopP99FloodMs: floodLag.p99,
      loopMaxQuietMs: quietLag.max,
      loopMaxFloodMs: floodLag.max,
      honestMeasuredWithinS: Math.round(measuredS * 10) / 10,
      targetPerS: RATE,
      offeredPerS,
      nodeReadPerS,
      offeredShort: short,
      scheduledPerS: Math.round(a.scheduled / a.seconds),
      answeredPerS: Math.round(a.answered / a.seconds),
      refusedPerS: Math.round(a.refused / a.seconds),
      blocked: a.blocked,
      unsettled: a.unsettled,
      connectedS: Math.round(a.connectedSeconds * 10) / 10,
      attackerDials: a.dials,
      attackerDialsFailed: a.dialsFailed,
      attackerLateTicks: a.lateTicks,
      rejectedRateLimited: await refusedBy('rate-limited'),
      rejectedStreams: await refusedBy('streams-per-connection'),
      rejectedOverloaded: await refusedBy('overloaded'),
      rejectedPenalized: await refusedBy('penalized'),
      nodeCpuPct: Math.round((cpu / wall) * 100),
      attackerCpuPct: Math.round((watch.attackerCpuS() / wall) * 100),
      rssPeakMiB: watch.peakMiB(),
      loadAvg: loadavg().map((x) => Math.round(x * 10) / 10),
    }
    await honest.stop()
    return r
  } finally {
    srv.proc.kill('SIGKILL')
  }
}

const rows: Row[] = []
for (let p = 0; p < PAIRS; p++) {
  for (const v of p % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
    const row = await variant(v)
    rows.push(row)
    process.stdout.write(`${JSON.stringify(row)}\n`)
    if (row.offeredShort === true) {
      process.stdout.write(`OFFERED SHORT: ${v}: the attacker wrote ${String(row.offeredPerS)} req/s while connected, under ${MIN_OFFERED} x the target ${RATE}; this run's p95 does not measure a ${RATE} req/s flood\n`)
    }
  }
}
const n = (x: unknown): string => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x))
process.stdout.write(
  '\n| variant | honest p95 quiet -> flood | ratio | node event-loop delay p99 quiet -> flood | attacker wrote / node read / answered / reset per s (target) | node refusals: rate-limited / streams / overloaded / penalized | node CPU | attacker CPU | peak RSS | load |\n|---|---|---|---|---|---|---|---|---|---|\n',
)
for (const r of rows) {
  process.stdout.write(
    `| ${n(r.variant)} | ${n(r.quietP95Ms)} -> ${n(r.floodP95Ms)} ms | x${n(r.ratio)} | ${n(r.loopP99QuietMs)} -> ${n(r.loopP99FloodMs)} ms | ${n(r.offeredPerS)}${r.offeredShort === true ? ' (SHORT)' : ''} / ${n(r.nodeReadPerS)} / ${n(r.answeredPerS)} / ${n(r.refusedPerS)} (${n(r.targetPerS)}) | ${n(r.rejectedRateLimited)} / ${n(r.rejectedStreams)} / ${n(r.rejectedOverloaded)} / ${n(r.rejectedPenalized)} | ${n(r.nodeCpuPct)} % | ${n(r.attackerCpuPct)} % | ${n(r.rssPeakMiB)} MiB | ${(r.loadAvg as number[]).join(' ')} |\n`,
  )
}
const shortRuns = rows.filter((r) => r.offeredShort === true).length
if (shortRuns > 0) {
  process.stderr.write(`node-flood: FAILED: ${shortRuns} of ${rows.length} runs offered less than ${MIN_OFFERED} x ${RATE} req/s; their ratios measure a smaller flood\n`)
  process.exit(1)
}
process.exit(0)
