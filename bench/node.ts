// Node benchmark: requests served per second by OUR node vs a STOCK @libp2p/kad-dht node, and
// time from process start to ready. Every server and every client is its own process.
//
//   npm run build:bench && node dist-bench/node.js [--seconds 3] [--rounds 2] [--quick] [--out .bench/node.json]
//                                            [--only throughput|startup] [--startup-runs 5]
//
// Throughput: FIND_NODE and GET_PROVIDERS, a fresh stream per request, 1/16/64 in flight, with
// small state and with the routing table seeded with 10,000 peers and the provider store with
// 100,000 records (seeded directly in the server process). Start-up: the server process is
// spawned with one live bootstrap (a server of the same kind) and exits when ready; we take the
// wall time from spawn to its report, and the part after imports it measures itself.
// With each throughput cell goes the server's CPU time per request over the measured window
// (from /proc), a figure far less sensitive than req/s to other load on a shared machine.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const SERVER = join(HERE, 'node-server.js')
const CLIENT = join(HERE, 'node-client.js')

const argv = process.argv.slice(2)
const arg = (n: string): string | undefined => {
  const i = argv.indexOf(n)
  return i === -1 ? undefined : argv[i + 1]
}
const seconds = Number(arg('--seconds') ?? 3)
const quick = argv.includes('--quick')
/** Run one part only: throughput or startup. */
const only = arg('--only')
// `npm run bench` (bench/run.ts) collects figures from .bench/<name>.json.
const out = arg('--out') ?? join('.bench', 'node.json')
const KINDS = ['ours', 'stock'] as const
const OPS = ['FIND_NODE', 'GET_PROVIDERS'] as const
const INFLIGHT = quick ? [16] : [1, 16, 64]
const SIZES = quick
  ? [{ peers: 100, records: 1_000 }]
  : [
      { peers: 100, records: 1_000 },
      { peers: 1_000, records: 10_000 },
      { peers: 10_000, records: 100_000 },
    ]
const STARTUP_RUNS = Number(arg('--startup-runs') ?? (quick ? 2 : 5))
const HANDLER_N = quick ? 2_000 : 20_000
const ROUNDS = Number(arg('--rounds') ?? (quick ? 1 : 2))

interface Listening {
  addr: string
  importMs: number
  afterImportMs: number
  sinceProcessStartMs: number
  table: number
  records: number
  handlerPerS?: Record<string, number>
}

/** CPU time (user + system) a process has used, in ms; undefined where /proc is not there. */
function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    // utime and stime (fields 14 and 15 of stat, counted after the command name) in clock ticks
    // of 10 ms (USER_HZ is 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

function startServer(args: string[]): Promise<{ info: Listening; stop: () => Promise<void>; wallMs: number; pid: number | undefined }> {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--expose-gc', SERVER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let buf = ''
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl === -1) return
      const info = JSON.parse(buf.slice(0, nl)) as Listening
      const wallMs = performance.now() - t0
      const exited = new Promise<void>((r) => child.once('exit', () => r()))
      resolve({
        info,
        wallMs,
        pid: child.pid,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM')
          await exited
        },
      })
    })
    child.once('exit', (code) => reject(new Error(`server exited ${code} before listening`)))
  })
}

interface ClientResult {
  ok: number
  errors: number
  perSecond: number
  /** The server's CPU time per request served over the measured window (Linux only). */
  serverCpuMsPerReq?: number
}

function runClient(addr: string, op: string, inflight: number, keysFile: string, serverPid: number | undefined): Promise<ClientResult> {
  // The client marks its measured window on stderr; the server's CPU time is sampled at both
  // marks. CPU per request is much less sensitive than req/s to other load on the machine.
  const child = spawn(process.execPath, [CLIENT, addr, op, String(inflight), String(seconds * 1000), keysFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_MARKS: '1' },
  })
  let cpu0: number | undefined
  let cpu1: number | undefined
  child.stderr.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n')) {
      if (l === 'measure-start') cpu0 = cpuMsOf(serverPid)
      else if (l === 'measure-end') cpu1 = cpuMsOf(serverPid)
      else if (l !== '') process.stderr.write(l + '\n')
    }
  })
  return new Promise((resolve, reject) => {
    let buf = ''
    child.stdout.on('data', (d: Buffer) => (buf += d.toString()))
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`client exited ${code}`))
      const r = JSON.parse(buf.trim().split('\n').pop()!) as ClientResult
      if (cpu0 !== undefined && cpu1 !== undefined && r.ok > 0) r.serverCpuMsPerReq = (cpu1 - cpu0) / r.ok
      resolve(r)
    })
  })
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const dir = mkdtempSync(join(tmpdir(), 'dht-bench-'))
const results: Array<Record<string, unknown>> = []
const log = (s: string): void => void process.stderr.write(s + '\n')

try {
  // ---------------------------------------------------------------- throughput
  // Both servers run at once and the client alternates between them, ROUNDS times per cell,
  // so both see the same background load; a cell reports the best round (least disturbed).
  for (const size of only === 'startup' ? [] : SIZES) {
    const servers: Partial<Record<(typeof KINDS)[number], { info: Listening; stop: () => Promise<void>; pid: number | undefined }>> = {}
    const keys: Partial<Record<string, string>> = {}
    try {
      for (const kind of KINDS) {
        keys[kind] = join(dir, `${kind}-${size.records}.json`)
        const t0 = performance.now()
        servers[kind] = await startServer([kind, '--peers', String(size.peers), '--records', String(size.records), '--keys-out', keys[kind]!, '--handler-bench', String(HANDLER_N)])
        const info = servers[kind]!.info
        log(`${kind}: seeded ${size.peers} peers (table ${info.table}) and ${size.records} records in ${Math.round(performance.now() - t0)} ms`)
        for (const op of OPS) {
          const perS = Math.round(info.handlerPerS?.[op] ?? 0)
          results.push({ bench: 'handler', kind, op, peers: size.peers, table: info.table, records: size.records, perSecond: perS })
          log(`  ${kind} handler only ${op}: ${perS}/s`)
        }
      }
      for (const op of OPS) {
        for (const inflight of INFLIGHT) {
          const rounds: Record<string, ClientResult[]> = { ours: [], stock: [] }
          for (let round = 0; round < ROUNDS; round++) {
            for (const kind of round % 2 === 0 ? KINDS : [...KINDS].reverse()) {
              rounds[kind]!.push(await runClient(servers[kind]!.info.addr, op, inflight, keys[kind]!, servers[kind]!.pid))
            }
          }
          for (const kind of KINDS) {
            const rs = rounds[kind]!
            const best = rs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a))
            const all = rs.map((r) => Math.round(r.perSecond))
            const cpus = rs.map((r) => r.serverCpuMsPerReq).filter((x): x is number => x !== undefined)
            // Four decimals: at ~0.2 ms per request, two would hide a 5 % change.
            const cpuMs = cpus.length > 0 ? Math.round(Math.min(...cpus) * 10000) / 10000 : undefined
            results.push({ bench: 'throughput', kind, op, inflight, peers: size.peers, table: servers[kind]!.info.table, records: size.records, perSecond: Math.round(best.perSecond), rounds: all, errors: rs.reduce((n, r) => n + r.errors, 0), ...(cpuMs !== undefined ? { serverCpuMsPerReq: cpuMs } : {}) })
            log(`  ${kind} ${op} inflight=${inflight} peers=${size.peers} records=${size.records}: best ${Math.round(best.perSecond)}/s (rounds ${all.join(', ')})${cpuMs !== undefined ? `, server CPU ${cpuMs} ms/req` : ''}`)
          }
        }
      }
    } finally {
      await Promise.allSettled(Object.values(servers).map((s) => s.stop()))
    }
  }

  // ---------------------------------------------------------------- start-up
  // One live bootstrap of each kind; the measured processes alternate ours/stock.
  if (only !== 'throughput') {
    const boots = { ours: await startServer(['ours']), stock: await startServer(['stock']) }
    const samples: Record<string, { wall: number[]; after: number[]; imports: number[] }> = {
      ours: { wall: [], after: [], imports: [] },
      stock: { wall: [], after: [], imports: [] },
    }
    try {
      for (let i = 0; i < STARTUP_RUNS; i++) {
        for (const kind of i % 2 === 0 ? KINDS : [...KINDS].reverse()) {
          const r = await startServer([kind, '--bootstrap', boots[kind].info.addr, '--exit-when-ready'])
          await r.stop()
          samples[kind]!.wall.push(r.wallMs)
          samples[kind]!.after.push(r.info.afterImportMs)
          samples[kind]!.imports.push(r.info.importMs)
        }
      }
    } finally {
      await Promise.allSettled([boots.ours.stop(), boots.stock.stop()])
    }
    for (const kind of KINDS) {
      const x = samples[kind]!
      results.push({ bench: 'startup', kind, runs: STARTUP_RUNS, wallMedianMs: Math.round(median(x.wall)), importMedianMs: Math.round(median(x.imports)), afterImportMedianMs: Math.round(median(x.after)), afterImportMinMs: Math.round(Math.min(...x.after)), wallMinMs: Math.round(Math.min(...x.wall)) })
      log(`${kind} start-up to ready: ${Math.round(median(x.wall))} ms wall (imports ${Math.round(median(x.imports))} ms, after imports ${Math.round(median(x.after))} ms), median of ${STARTUP_RUNS}`)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------- report
const lines: string[] = [
  '| op | in flight | peers seeded (ours/stock table) | records | ours req/s (best of rounds) | stock req/s | ratio | server CPU ms/req ours / stock (least of rounds) |',
  '|---|---|---|---|---|---|---|---|',
]
for (const size of SIZES) {
  for (const op of OPS) {
    for (const inflight of INFLIGHT) {
      const pick = (k: string) => results.find((r) => r.bench === 'throughput' && r.kind === k && r.op === op && r.inflight === inflight && r.peers === size.peers)
      const o = pick('ours')
      const s = pick('stock')
      if (!o || !s) continue
      const ratio = (o.perSecond as number) / Math.max(1, s.perSecond as number)
      const cpu = o.serverCpuMsPerReq !== undefined && s.serverCpuMsPerReq !== undefined ? `${o.serverCpuMsPerReq} / ${s.serverCpuMsPerReq}` : '-'
      lines.push(`| ${op} | ${inflight} | ${size.peers} (${o.table}/${s.table}) | ${size.records} | ${o.perSecond} | ${s.perSecond} | ${ratio.toFixed(1)}x | ${cpu} |`)
    }
  }
}
lines.push('', '| handler only (no streams), op | peers seeded (ours/stock table) | records | ours ops/s | stock ops/s | ratio |', '|---|---|---|---|---|---|')
for (const size of SIZES) {
  for (const op of OPS) {
    const pick = (k: string) => results.find((r) => r.bench === 'handler' && r.kind === k && r.op === op && r.peers === size.peers)
    const o = pick('ours')
    const s = pick('stock')
    if (!o || !s) continue
    lines.push(`| ${op} | ${size.peers} (${o.table}/${s.table}) | ${size.records} | ${o.perSecond} | ${s.perSecond} | ${((o.perSecond as number) / Math.max(1, s.perSecond as number)).toFixed(0)}x |`)
  }
}
lines.push('', '| start-up with one live bootstrap | wall, spawn to ready: median (min) | imports (median) | after imports: median (min) |', '|---|---|---|---|')
for (const r of results.filter((x) => x.bench === 'startup')) lines.push(`| ${r.kind} | ${r.wallMedianMs} (${r.wallMinMs}) ms | ${r.importMedianMs} ms | ${r.afterImportMedianMs} (${r.afterImportMinMs}) ms |`)
process.stdout.write(lines.join('\n') + '\n')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, JSON.stringify({ seconds, rounds: ROUNDS, results, table: lines.join('\n') }, null, 2))
