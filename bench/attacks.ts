// Replays the per-peer attacks against a node started with `dht-sim serve` (default profile, no
// allow list) in its own process, and prints one JSON line per attack: the node's RSS before and
// at the end, and what honest peers saw. The node binary is an argument, so the same attacker can
// measure two builds side by side.
//
// usage: npm run build:bench && node dist-bench/attacks.js [path/to/bin/dht-sim.js] [--only name,...]
// attacks: trailing (bytes after a finished request, 4 streams), book (refused ADD_PROVIDERs
// carrying 200 foreign peers of 16 x 512 B addresses), halfopen (100 silent sockets from
// 127.0.0.2 vs 100 honest dials), providers (one peer announcing 3,000 keys: how many the node
// stores), flood (one peer at FLOOD_RATE requests a second, default 6,000, from its own process, vs
// an honest peer's p95; flood-attacker.ts, and the bench exits 1 when it offered less than 95 % of
// the rate while connected).
// Every line carries the node's peak RSS over the attack (sampled every 100 ms) and its
// rejected_total by reason at the end (`refused`). SERVE_ARGS adds
// flags to `serve` (e.g. SERVE_ARGS="--policy-profile strict").
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Stream } from '@libp2p/interface'
import { frame } from '../dist/node/host/rpc-io.js'
import { DEFAULT_ENGINE_CONFIG } from '../dist/engine/config.js'
import { MessageType, type WirePeer } from '../dist/wire/message.js'
import { KAD_PROTOCOL } from '../dist/node/host/libp2p-node.js'
import type { AttackerReport } from './flood-attacker.js'
import { cpuSeconds, honestLatency, watchFlood, leanClient, rssMiB, startServer, type Server } from './honest-peer.js'

const args = process.argv.slice(2)
const bin = args[0] !== undefined && !args[0].startsWith('--') ? args[0] : 'bin/dht-sim.js'
const onlyAt = args.indexOf('--only')
const only = onlyAt === -1 ? undefined : new Set(args[onlyAt + 1]!.split(','))
const MiB = 1 << 20

/** Clients that listen too (their addresses go into the provider records they send). */
const client = (): ReturnType<typeof leanClient> => leanClient(['/ip4/127.0.0.1/tcp/0'])

async function pump(s: Stream, total: number): Promise<number> {
  const chunk = new Uint8Array(64 * 1024).fill(0x41)
  let sent = 0
  while (sent < total && s.status === 'open') {
    try {
      if (!s.send(chunk)) await s.onDrain({ signal: AbortSignal.timeout(3_000) })
    } catch {
      break
    }
    sent += chunk.length
  }
  return sent
}

async function trailing(srv: Server): Promise<object> {
  const c = await client()
  const before = rssMiB(srv.proc.pid!)
  const me = { id: c.peerId.toMultihash().bytes, addrs: c.getMultiaddrs().map((a) => a.bytes) }
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(srv.proc.pid!))), 100)
  const sent = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const s = await c.dialProtocol(multiaddr(srv.addr), KAD_PROTOCOL)
      s.send(frame({ type: MessageType.ADD_PROVIDER, key: new Uint8Array(34).fill(7), closerPeers: [], providerPeers: [me] }))
      return pump(s, 256 * MiB)
    }),
  )
  clearInterval(timer)
  await c.stop()
  return { attack: 'trailing', offeredMiB: 4 * 256, acceptedMiB: Math.round(sent.reduce((a, b) => a + b, 0) / MiB), rssBeforeMiB: before, rssPeakMiB: peak }
}

async function book(srv: Server): Promise<object> {
  const c = await client()
  const addrs = Array.from({ length: 16 }, (_, j) => multiaddr(`/dns4/${'h'.repeat(260)}x${j}.example/tcp/4001`).bytes)
  // 200 peers the sender is not, fresh in every message (each a new contact if converted).
  const strangers = (): WirePeer[] => Array.from({ length: 200 }, () => ({ id: peerIdFromPublicKey(publicKeyFromRaw(randomBytes(32))).toMultihash().bytes, addrs }))
  const before = rssMiB(srv.proc.pid!)
  let peak = before
  const msgs = 300
  const t0 = performance.now()
  for (let i = 0; i < msgs; i++) {
    try {
      const s = await c.dialProtocol(multiaddr(srv.addr), KAD_PROTOCOL)
      s.send(frame({ type: MessageType.ADD_PROVIDER, key: new Uint8Array(34).fill(i & 255), closerPeers: [], providerPeers: strangers() }))
      await s.close().catch(() => undefined)
    } catch {
      // refused
    }
    if (i % 20 === 0) peak = Math.max(peak, rssMiB(srv.proc.pid!))
  }
  await new Promise((r) => setTimeout(r, 1_000))
  peak = Math.max(peak, rssMiB(srv.proc.pid!))
  await c.stop()
  return { attack: 'book', messages: msgs, seconds: Math.round((performance.now() - t0) / 100) / 10, rssBeforeMiB: before, rssPeakMiB: peak }
}

async function halfopen(srv: Server): Promise<object> {
  const port = Number(/\/tcp\/(\d+)/.exec(srv.addr)![1])
  let stopped = false
  const socks = new Set<Socket>()
  const open = (): void => {
    if (stopped) return
    const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' })
    socks.add(s)
    s.on('error', () => undefined)
    s.on('close', () => {
      socks.delete(s)
      if (!stopped) setTimeout(open, 100)
    })
  }
  for (let i = 0; i < 100; i++) open()
  await new Promise((r) => setTimeout(r, 500))
  let ok = 0
  const dials = 100
  for (let i = 0; i < dials; i++) {
    const c = await client()
    try {
      await c.dial(multiaddr(srv.addr), { signal: AbortSignal.timeout(5_000) })
      ok++
    } catch {
      // failed
    }
    await c.stop()
  }
  stopped = true
  for (const s of socks) s.destroy()
  return { attack: 'halfopen', silentSockets: 100, honestDials: dials, honestOk: ok }
}

/**
 * The attacker is dist-bench/flood-attacker.js in its own process (one peer id, one connection,
 * FIND_NODEs on raw yamux streams at FLOOD_RATE a second, default 6,000, open loop, FLOOD_MS
 * long), so its cost does not land in the honest client's event loop. `offeredShort`: with at
 * least 2 s of connection, it wrote less than 95 % of the rate while connected, so the p95s do
 * not measure that flood (the bench then exits 1).
 */
async function flood(srv: Server): Promise<object> {
  const honest = await client()
  const hc = await honest.dial(multiaddr(srv.addr))
  const samples = Number(process.env.FLOOD_SAMPLES ?? 300)
  const quiet = await honestLatency(hc, samples)
  const floodMs = Number(process.env.FLOOD_MS ?? 30_000)
  const here = dirname(fileURLToPath(import.meta.url))
  const cpu0 = cpuSeconds(srv.proc.pid!)
  const t0 = performance.now()
  const rate = Number(process.env.FLOOD_RATE ?? 6000)
  const attacker = spawn(process.execPath, [join(here, 'flood-attacker.js'), srv.addr, String(rate), String(floodMs)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  attacker.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<void>((resolve) => attacker.on('exit', () => resolve()))
  // Measure the honest peer once the attacker has dialled and is under way.
  await new Promise((r) => setTimeout(r, 1_500))
  const watch = watchFlood(srv.proc.pid!, attacker.pid!)
  const loaded = await honestLatency(hc, samples)
  const loadedAt = (performance.now() - t0) / 1000
  await exited
  watch.stop()
  const cpu = cpuSeconds(srv.proc.pid!) - cpu0
  const wall = (performance.now() - t0) / 1000
  await honest.stop()
  const a = JSON.parse(out.trim().split('\n').pop() ?? '{}') as AttackerReport
  const offeredPerS = Math.round(a.sent / Math.max(a.connectedSeconds, 1e-9))
  // A peer boxed by the penalty in its first second has too little connection to judge its rate.
  const short = a.connectedSeconds >= 2 && offeredPerS < 0.95 * rate
  if (short) floodShort = true
  return {
    attack: 'flood',
    attackerTargetReqPerS: rate,
    attackerOfferedPerS: offeredPerS,
    offeredShort: short,
    attackerAnsweredPerS: Math.round(a.answered / a.seconds),
    attackerResetPerS: Math.round(a.refused / a.seconds),
    attackerConnectedS: Math.round(a.connectedSeconds * 10) / 10,
    attackerBlocked: a.blocked,
    honestP95QuietMs: quiet.p95,
    honestP95FloodMs: loaded.p95,
    honestFailed: quiet.failed + loaded.failed,
    honestMeasuredWithinS: Math.round(loadedAt * 10) / 10,
    floodS: floodMs / 1000,
    ratio: Math.round((loaded.p95 / quiet.p95) * 100) / 100,
    nodeCpuPct: Math.round((cpu / wall) * 100),
    attackerCpuPct: Math.round((watch.attackerCpuS() / wall) * 100),
    // The node's CPU per request written (honest pings included, so an upper bound).
    nodeCpuUsPerAttackRequest: Math.round((cpu * 1e6) / Math.max(a.sent, 1)),
    rssPeakMiB: watch.peakMiB(),
    loadAvg: loadavg().map((x) => Math.round(x * 10) / 10),
  }
}

/**
 * One peer announcing far more keys than its share: every ADD_PROVIDER is its own (the provider
 * is the sender), on distinct keys, paced under the request budget so that the quota, not the
 * rate limit, is what answers. The node's metrics say how many it stored.
 */
async function providers(srv: Server): Promise<object> {
  const c = await client()
  const conn = await c.dial(multiaddr(srv.addr))
  const me = { id: c.peerId.toMultihash().bytes, addrs: c.getMultiaddrs().map((a) => a.bytes) }
  const keys = 3_000
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < keys) {
        const i = next++
        // At most 400 a second: under the default budget of 500.
        const due = t0 + (i / 400) * 1000
        if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()))
        const key = new Uint8Array(34)
        key[0] = 0x12
        key[1] = 32
        new DataView(key.buffer).setUint32(2, i)
        try {
          const s = await conn.newStream(KAD_PROTOCOL)
          const done = new Promise<void>((resolve) => {
            s.addEventListener('remoteCloseWrite', () => resolve(), { once: true })
            s.addEventListener('close', () => resolve(), { once: true })
          })
          s.send(frame({ type: MessageType.ADD_PROVIDER, key, closerPeers: [], providerPeers: [me] }))
          await s.close().catch(() => undefined)
          await done
        } catch {
          // refused
        }
      }
    }),
  )
  const text = await (await fetch(`http://127.0.0.1:${srv.http}/metrics`)).text()
  const metric = (re: RegExp): number => Number(re.exec(text)?.[1] ?? 0)
  const stored = metric(/requests_total\{op="ADD_PROVIDER",result="ok"\} (\d+)/)
  // `serve` runs the engine's default store size (keys are what fills it: store-full).
  const storeKeys = DEFAULT_ENGINE_CONFIG.maxProviderKeys
  await c.stop()
  return {
    attack: 'providers',
    announced: keys,
    stored,
    refusedQuota: metric(/rejected_total\{reason="provider-quota"\} (\d+)/),
    refusedRate: metric(/rejected_total\{reason="rate-limited"\} (\d+)/),
    storeKeys,
    sharePct: Math.round((stored / storeKeys) * 10_000) / 100,
  }
}

/** The node's rejected_total by reason at the end of an attack (what an operator would see). */
async function refusals(srv: Server): Promise<Record<string, number>> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${srv.http}/metrics`)).text()
    const out: Record<string, number> = {}
    for (const m of text.matchAll(/^rejected_total\{reason="([^"]+)"\} (\d+)$/gm)) if (Number(m[2]) > 0) out[m[1]!] = Number(m[2])
    return out
  } catch {
    return {}
  }
}

/** Set when the flood's attacker did not offer its rate: the bench then exits 1. */
let floodShort = false

const attacks: Record<string, (s: Server) => Promise<object>> = { trailing, book, halfopen, providers, flood }
for (const [name, run] of Object.entries(attacks)) {
  if (only !== undefined && !only.has(name)) continue
  const srv = await startServer(bin, (process.env.SERVE_ARGS ?? '').split(' ').filter((a) => a !== ''), 'info')
  let peak = rssMiB(srv.proc.pid!)
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(srv.proc.pid!))
    } catch {
      // the node is gone: the attack line says so
    }
  }, 100)
  try {
    const r = await run(srv)
    clearInterval(sampler)
    const refused = await refusals(srv)
    console.log(JSON.stringify({ bin, ...r, rssEndMiB: rssMiB(srv.proc.pid!), rssPeakOverAttackMiB: peak, alive: srv.proc.exitCode === null, refused }))
  } finally {
    clearInterval(sampler)
    srv.proc.kill('SIGKILL')
  }
}
if (floodShort) {
  process.stderr.write('attacks: FAILED: the flood offered less than 95 % of FLOOD_RATE while connected; its p95s measure a smaller flood\n')
  process.exit(1)
}
process.exit(0)
