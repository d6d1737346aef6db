// One peer flooding a node with requests at a fixed rate, and what an honest peer's FIND_NODE p95
// does meanwhile, with the penalty box off and on, alternated in one run.
//
//   npm run build:bench && node dist-bench/node-flood.js [--rate 6000] [--seconds 20] [--pairs 2]
//                                                        [--samples 300] [--bin bin/dht-sim.js]
//
// Each variant starts `dht-sim serve` (default profile, amnesia, no allow list) in its own
// process: `off` with --dht-penalty-refusals 0 (the per-peer token bucket alone, as before the
// penalty box), `on` with the profile's penalty box. The honest peer (this process, one
// connection, a fresh stream per FIND_NODE with libp2p's full negotiation, one at a time) takes
// its quiet p95 just before the flood and its flood p95 inside it. The attacker is this file with
// --attacker, in a process of its own: one peer id, FIND_NODEs paced at --rate (open loop, ticks
// of 5 ms, at most 512 in flight), each on a fresh yamux stream opened on the muxer with the
// protocol lines and the request in one write (the cheapest way to send it). When the node closes
// its connection it dials again at once (and every 10 ms while dials fail), as a flooder would.
// It counts requests scheduled, sent, answered and refused, and its dials.
import '../dist/polyfill.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p, StreamMuxer } from '@libp2p/interface'
import { frame } from '../dist/node/host/rpc-io.js'
import { MessageType } from '../dist/wire/message.js'
import { KAD_PROTOCOL, libp2pLogger } from '../dist/node/host/libp2p-node.js'

const args = process.argv.slice(2)
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name)
  return i === -1 ? d : args[i + 1]!
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function mssLine(s: string): Uint8Array {
  const b = Buffer.from(`${s}\n`)
  return Buffer.concat([Buffer.from([b.length]), b])
}

async function lean(): Promise<Libp2p> {
  const logger = libp2pLogger()
  return createLibp2p({
    ...(logger ? { logger } : {}),
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
}

// ---------------------------------------------------------------------------------- the attacker

async function attacker(addr: string, rate: number, ms: number): Promise<void> {
  const MAX_INFLIGHT = 512
  const node = await lean()
  const target = multiaddr(addr)
  const keys = Array.from({ length: 64 }, () => peerIdFromPublicKey(publicKeyFromRaw(randomBytes(32))).toMultihash().bytes)
  const mss = Buffer.concat([mssLine('/multistream/1.0.0'), mssLine(KAD_PROTOCOL)])
  const requests = keys.map((key) => Buffer.concat([mss, frame({ type: MessageType.FIND_NODE, key, closerPeers: [], providerPeers: [] })]))
  const echoBytes = mss.length
  const st = { scheduled: 0, sent: 0, answered: 0, refused: 0, noConnection: 0, overInflight: 0, dials: 0, dialsFailed: 0 }
  let conn: Connection | undefined
  let muxer: StreamMuxer | undefined
  let dialing = false
  let running = true
  let inflight = 0

  const connect = async (): Promise<void> => {
    if (dialing) return
    dialing = true
    while (running) {
      st.dials++
      try {
        const c = await node.dial(target, { signal: AbortSignal.timeout(3_000) })
        const m = (c as unknown as { muxer?: StreamMuxer }).muxer
        if (c.status === 'open' && m !== undefined) {
          conn = c
          muxer = m
          break
        }
      } catch {
        // refused
      }
      st.dialsFailed++
      await sleep(10)
    }
    dialing = false
  }

  const one = async (m: StreamMuxer, i: number): Promise<void> => {
    inflight++
    st.sent++
    try {
      const s = await m.createStream()
      const answered = await new Promise<boolean>((resolve) => {
        let got = 0
        s.addEventListener('message', (evt) => {
          const d = evt.data
          got += d instanceof Uint8Array ? d.length : d.byteLength
          // The echo and at least one byte of the answer.
          if (got > echoBytes) resolve(true)
        })
        s.addEventListener('close', () => resolve(false), { once: true })
        s.send(requests[i % requests.length]!)
      })
      if (answered) st.answered++
      else st.refused++
      s.abort(new Error('done'))
    } catch {
      st.refused++
    } finally {
      inflight--
    }
  }

  await connect()
  const t0 = performance.now()
  while (performance.now() - t0 < ms) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate)
    while (st.scheduled < due) {
      const i = st.scheduled++
      if (conn === undefined || conn.status !== 'open' || muxer === undefined || muxer.status !== 'open') {
        st.noConnection++
        void connect()
      } else if (inflight >= MAX_INFLIGHT) st.overInflight++
      else void one(muxer, i)
    }
    await sleep(5)
  }
  running = false
  const seconds = (performance.now() - t0) / 1000
  process.stdout.write(`${JSON.stringify({ ...st, seconds })}\n`)
  await Promise.resolve(node.stop()).catch(() => undefined)
  process.exit(0)
}

if (args[0] === '--attacker') {
  await attacker(args[1]!, Number(args[2]), Number(args[3]))
}

// ---------------------------------------------------------------------------------- the bench

const RATE = Number(opt('--rate', '6000'))
const SECONDS = Number(opt('--seconds', '20'))
const PAIRS = Number(opt('--pairs', '2'))
const SAMPLES = Number(opt('--samples', '300'))
const BIN = opt('--bin', 'bin/dht-sim.js')

interface Server {
  proc: ChildProcess
  addr: string
  http: number
}

async function startServer(extra: string[]): Promise<Server> {
  const dhtPort = 20000 + Math.floor(Math.random() * 20000)
  const httpPort = dhtPort + 1
  const proc = spawn(process.execPath, [BIN, 'serve', '--dht-addr', `127.0.0.1:${dhtPort}`, '--metrics-addr', `127.0.0.1:${httpPort}`, '--ron-amnesia', 'on', '--dht-log-level', 'warn', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  const onData = (d: Buffer): void => void (out += d.toString())
  proc.stdout!.on('data', onData)
  const exited = new Promise<never>((_, reject) => proc.on('exit', (c) => reject(new Error(`server exited ${c}`))))
  // At warn the start line is not logged: ask the node its address over HTTP.
  const addr = await Promise.race([
    exited,
    (async (): Promise<string> => {
      for (;;) {
        try {
          const self = (await (await fetch(`http://127.0.0.1:${httpPort}/v1/self`)).json()) as { addrs?: string[] }
          const a = self.addrs?.find((x) => x.startsWith('/ip4/127.0.0.1/'))
          if (a !== undefined) return a
        } catch {
          // not up yet
        }
        await sleep(100)
      }
    })(),
  ])
  return { proc, addr, http: httpPort }
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : -1
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

async function findNode(conn: Connection): Promise<number | undefined> {
  const t0 = performance.now()
  try {
    const s = await conn.newStream(KAD_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
    const answered = new Promise<boolean>((resolve) => {
      s.addEventListener('message', () => resolve(true), { once: true })
      s.addEventListener('close', () => resolve(false), { once: true })
    })
    s.send(frame({ type: MessageType.FIND_NODE, key: new Uint8Array(32).fill(3), closerPeers: [], providerPeers: [] }))
    const ok = await answered
    s.abort(new Error('done'))
    return ok ? performance.now() - t0 : undefined
  } catch {
    return undefined
  }
}

/** p95 of `n` sequential FIND_NODEs, and how many failed. */
async function p95(conn: Connection, n: number): Promise<{ p95: number; failed: number }> {
  const xs: number[] = []
  for (let i = 0; i < n; i++) {
    const ms = await findNode(conn)
    if (ms !== undefined) xs.push(ms)
  }
  xs.sort((a, b) => a - b)
  return { p95: Math.round((xs[Math.floor(xs.length * 0.95)] ?? NaN) * 10) / 10, failed: n - xs.length }
}

async function metric(srv: Server, re: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${srv.http}/metrics`)).text()
  return Number(re.exec(text)?.[1] ?? 0)
}

async function variant(name: 'off' | 'on'): Promise<Record<string, unknown>> {
  const srv = await startServer(name === 'off' ? ['--dht-penalty-refusals', '0'] : [])
  try {
    const honest = await lean()
    const hc = await honest.dial(multiaddr(srv.addr))
    await p95(hc, 30) // warm-up
    const quiet = await p95(hc, SAMPLES)
    const cpu0 = cpuSeconds(srv.proc.pid!)
    const t0 = performance.now()
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--attacker', srv.addr, String(RATE), String(SECONDS * 1000)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    let peak = rssMiB(srv.proc.pid!)
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(srv.proc.pid!))), 250)
    // Let the flood start (the attacker's dial and first second) before the honest peer measures.
    await sleep(1_500)
    const flood = await p95(hc, SAMPLES)
    const measuredS = (performance.now() - t0) / 1000
    await exited
    clearInterval(sampler)
    const cpu = cpuSeconds(srv.proc.pid!) - cpu0
    const wall = (performance.now() - t0) / 1000
    const a = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, number>
    const r = {
      variant: name,
      quietP95Ms: quiet.p95,
      floodP95Ms: flood.p95,
      ratio: Math.round((flood.p95 / quiet.p95) * 100) / 100,
      honestFailed: quiet.failed + flood.failed,
      honestMeasuredWithinS: Math.round(measuredS * 10) / 10,
      attackerScheduledPerS: Math.round(a.scheduled! / a.seconds!),
      attackerSentPerS: Math.round(a.sent! / a.seconds!),
      attackerAnsweredPerS: Math.round(a.answered! / a.seconds!),
      attackerRefused: a.refused,
      attackerNoConnection: a.noConnection,
      attackerOverInflight: a.overInflight,
      attackerDials: a.dials,
      attackerDialsFailed: a.dialsFailed,
      rejectedRateLimited: await metric(srv, /rejected_total\{reason="rate-limited"\} (\d+)/),
      rejectedPenalized: await metric(srv, /rejected_total\{reason="penalized"\} (\d+)/),
      nodeCpuPct: Math.round((cpu / wall) * 100),
      rssPeakMiB: peak,
      loadAvg: loadavg().map((x) => Math.round(x * 10) / 10),
    }
    await honest.stop()
    return r
  } finally {
    srv.proc.kill('SIGKILL')
  }
}

const rows: Record<string, unknown>[] = []
for (let p = 0; p < PAIRS; p++) {
  for (const v of p % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
    const r = variant(v)
    const row = await r
    rows.push(row)
    process.stdout.write(`${JSON.stringify(row)}\n`)
  }
}
process.stdout.write('\n| variant | quiet p95 | flood p95 | ratio | attacker scheduled / sent / answered per s | refused dials | node CPU | peak RSS | load |\n|---|---|---|---|---|---|---|---|---|\n')
for (const r of rows) {
  process.stdout.write(
    `| ${String(r.variant)} | ${String(r.quietP95Ms)} ms | ${String(r.floodP95Ms)} ms | x${String(r.ratio)} | ${String(r.attackerScheduledPerS)} / ${String(r.attackerSentPerS)} / ${String(r.attackerAnsweredPerS)} | ${String(r.attackerDialsFailed)} of ${String(r.attackerDials)} | ${String(r.nodeCpuPct)} % | ${String(r.rssPeakMiB)} MiB | ${(r.loadAvg as number[]).join(' ')} |\n`,
  )
}
process.exit(0)
