// The long fuzz run: a million fuzzed frames from peers against one real node on 127.0.0.1,
// with the node's memory measured before and after (after a forced GC), and the node asked a
// PING between batches. The node runs in a child process (its own RSS, a crash is its exit). The CI layer (test/property/node-fuzz.test.ts) runs a bounded count of
// the same kinds of input; this is the run behind the numbers in BENCHMARKS.md.
//
// usage: npm run build:bench && node dist-bench/fuzz.js [--frames N] [--seed S] [--workers W]
// Prints the seed first (`fuzz: seed=S frames=N`), one progress line per 100,000 frames and one
// JSON line at the end; exits 1 if the node stopped answering, a budget stayed held, or RSS grew
// by 50 MiB or more after GC (RSS of the node's process, measured after 1 % of warm-up).
//
// Layers (share of cases): kad frames on negotiated kad streams, 80 %: up to 15 well-formed
// requests with fuzzed contents, then one frame of any kind (valid messages of any type, mutated
// ones, random bodies, random bytes, oversized, truncated and over-long prefixes), the stream
// closed cleanly or reset, sometimes written in two parts; multistream-select lines on fresh yamux streams 12 %;
// yamux frames written under noise on a fresh connection (version, type, flags, stream id and
// length fuzzed, 1-16 per connection) 5 %; noise handshake messages after a correct multistream
// selection of /noise, and raw bytes, on bare TCP 3 %. Every worker has its own generator forked
// from the seed, so a worker's inputs replay exactly; their interleaving on the wire does not.
import '../dist/polyfill.js'
import { fork } from 'node:child_process'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p, Stream, StreamMuxer } from '@libp2p/interface'
import { DhtNode } from '../dist/node/dht-node.js'
import { engineConfig } from '../dist/engine/config.js'
import { createLogger } from '../dist/node/log.js'
import { frame } from '../dist/node/host/rpc-io.js'
import { encodeMessage, MessageType, type WireMessage, type WirePeer } from '../dist/wire/message.js'
import { KAD_PROTOCOL } from '../dist/node/host/libp2p-node.js'

const args = process.argv.slice(2)
function arg(name: string): string | undefined {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}
function intArg(name: string, dflt: number): number {
  const v = arg(name)
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`fuzz: ${name} must be a non-negative integer, got "${v}"\n`)
    process.exit(2)
  }
  return n
}
const TARGET = intArg('--frames', 1_000_000)
const SEED = intArg('--seed', Date.now() % 2 ** 31)
const WORKERS = Math.max(1, intArg('--workers', 32))
const isTarget = process.argv.includes('--target')
const gc = (globalThis as { gc?: () => void }).gc
if (isTarget && gc === undefined) throw new Error('the node process is started with --expose-gc')
if (!isTarget) console.log(`fuzz: seed=${SEED} frames=${TARGET} workers=${WORKERS}`)

// ------------------------------------------------------------------ generator

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
class Rng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

function mssLine(text: string): Uint8Array {
  const b = Buffer.from(`${text}\n`)
  return concat([Uint8Array.of(b.length), b])
}
const MSS = concat([mssLine('/multistream/1.0.0'), mssLine(KAD_PROTOCOL)])

function varint(n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}

// Real peer ids and addresses, so that some fuzzed messages get past the id checks.
const validIds: Uint8Array[] = []
for (let i = 0; i < 16; i++) validIds.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toMultihash().bytes)
const validAddrs = ['/ip4/10.1.2.3/tcp/4001', '/ip4/127.0.0.1/tcp/1', '/ip6/::1/tcp/9', '/dns4/example.com/tcp/443'].map((a) => multiaddr(a).bytes)

function wirePeer(r: Rng): WirePeer {
  const id = r.int(3) === 0 ? r.bytes(r.int(48)) : r.pick(validIds)
  const addrs = Array.from({ length: r.int(4) }, () => (r.int(2) === 0 ? r.pick(validAddrs) : r.bytes(r.int(40))))
  return { id: id.length === 0 ? Uint8Array.of(0) : id, addrs }
}

function wireMessage(r: Rng): WireMessage {
  const type = r.int(10) === 0 ? r.int(256) : r.pick([MessageType.PING, MessageType.FIND_NODE, MessageType.GET_PROVIDERS, MessageType.ADD_PROVIDER, 0, 1])
  const m: { -readonly [K in keyof WireMessage]: WireMessage[K] } = {
    type: type as WireMessage['type'],
    closerPeers: Array.from({ length: r.int(4) }, () => wirePeer(r)),
    providerPeers: Array.from({ length: r.int(4) }, () => wirePeer(r)),
  }
  if (r.int(4) !== 0) m.key = r.int(3) === 0 ? r.pick(validIds) : r.bytes(r.int(80))
  if (r.int(8) === 0) m.record = r.bytes(r.int(64))
  return m
}

/** One kad frame's bytes, and whether it is complete (a truncated one ends the stream's input). */
function kadFrame(r: Rng): Uint8Array {
  const kind = r.int(100)
  if (kind < 30) {
    const m = wireMessage(r)
    const body = encodeMessage(m, 0)
    return concat([varint(body.length), body])
  }
  if (kind < 60) {
    const b = Uint8Array.from(frame(wireMessage(r)))
    for (let i = 1 + r.int(8); i > 0; i--) b[r.int(b.length)] = r.int(256)
    return b
  }
  if (kind < 75) {
    const body = r.bytes(r.int(300))
    return concat([varint(body.length), body])
  }
  if (kind < 85) return r.bytes(1 + r.int(64))
  if (kind < 90) return concat([varint((1 << 20) + 1 + r.int(1 << 24)), r.bytes(r.int(32))]) // oversized
  if (kind < 95) return concat([varint(100 + r.int(1000)), r.bytes(r.int(100))]) // truncated
  return concat([Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), r.bytes(r.int(8))]) // over-long prefix
}

function mssCase(r: Rng): Uint8Array {
  const kind = r.int(6)
  if (kind === 0) return r.bytes(1 + r.int(80))
  if (kind === 1) {
    const b = Uint8Array.from(MSS)
    for (let i = 1 + r.int(3); i > 0; i--) b[r.int(b.length)] = r.int(256)
    return b
  }
  if (kind === 2) return MSS.subarray(0, 1 + r.int(MSS.length - 1))
  if (kind === 3) return concat([mssLine('/multistream/1.0.0'), mssLine(`/${Buffer.from(r.bytes(r.int(40))).toString('latin1')}`)])
  if (kind === 4) return concat([mssLine('/multistream/1.0.0'), mssLine('ls')])
  return concat([mssLine('/multistream/1.0.0'), Uint8Array.of(0x80 | r.int(128), 0x80 | r.int(128), r.int(128)), r.bytes(r.int(64))])
}

/** A yamux frame: 12-byte header (version, type, flags, stream id, length) and maybe a body. */
function yamuxFrame(r: Rng): Uint8Array {
  const h = new Uint8Array(12)
  const dv = new DataView(h.buffer)
  h[0] = r.int(20) === 0 ? r.int(256) : 0
  h[1] = r.int(10) === 0 ? r.int(256) : r.int(4)
  dv.setUint16(2, r.int(10) === 0 ? r.int(65536) : r.pick([0, 1, 2, 4, 8, 1 | 2, 4 | 8]))
  dv.setUint32(4, r.int(4) === 0 ? r.int(2 ** 32) : r.int(16))
  const len = r.int(4) === 0 ? r.int(2 ** 32) : r.int(512)
  dv.setUint32(8, len)
  if (h[1] !== 0) return h
  return concat([h, r.bytes(Math.min(len, r.int(600)))])
}

// ------------------------------------------------------------------ target

// The node runs in a child process (so its RSS is its own, a crash is its exit, and the fuzzer
// gets the other core): it answers 'mem' with its memory after a forced GC.
interface Mem {
  rss: number
  heap: number
  buffered: number
}
if (isTarget) {
  const node = new DhtNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    httpHost: '127.0.0.1',
    httpPort: 0,
    engine: engineConfig({ warmTableSize: 2 }),
    bootstraps: [],
    amnesia: true,
    drainTimeoutMs: 2_000,
    // The fuzzer is trusted with its request rate (this run is about the parsers, not the
    // budgets); every byte budget still applies.
    allow: ['/ip4/127.0.0.1'],
    log: createLogger({ level: 'silent' }),
    version: 'fuzz',
    commit: 'fuzz',
  })
  await node.start()
  process.send!({ addr: node.multiaddrs.find((a) => a.includes('/ip4/127.0.0.1/')) })
  process.on('message', (m: string) => {
    if (m === 'mem') {
      void (async () => {
        for (let i = 0; i < 3; i++) {
          gc!()
          await new Promise((r) => setTimeout(r, 200))
        }
        const u = process.memoryUsage()
        process.send!({ rss: u.rss / 2 ** 20, heap: u.heapUsed / 2 ** 20, buffered: node.host.buffers.bytes } satisfies Mem)
      })()
    } else if (m === 'stop') {
      void node.drain().finally(() => process.exit(0))
    }
  })
  await new Promise(() => undefined)
}

const target = fork(fileURLToPath(import.meta.url), ['--target'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
let crashed: string | undefined
target.on('exit', (code, sig) => {
  if (!stopping) crashed = `node process exited (code ${code}, signal ${sig})`
})
let stopping = false
const replies: ((m: unknown) => void)[] = []
target.on('message', (m) => replies.shift()?.(m))
const reply = <T>(): Promise<T> => new Promise((resolve) => replies.push(resolve as (m: unknown) => void))
const addr = (await reply<{ addr: string }>()).addr
const port = Number(/\/tcp\/(\d+)/.exec(addr)![1])
async function targetMem(): Promise<Mem> {
  await new Promise((r) => setTimeout(r, 1_000))
  const p = reply<Mem>()
  target.send('mem')
  const m = await p
  return { rss: Math.round(m.rss * 10) / 10, heap: Math.round(m.heap * 10) / 10, buffered: m.buffered }
}

async function client(): Promise<Libp2p> {
  return createLibp2p({ addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } })
}
const fuzzer = await client()
const honest = await client()

const counts = { kad: 0, mss: 0, yamux: 0, noise: 0, tcp: 0, streams: 0, connections: 0 }
/** Worker time spent per layer (where a slow run spends its time). */
const caseMs: Record<string, number> = { kad: 0, mss: 0, yamux: 0, raw: 0 }
const total = (): number => counts.kad + counts.mss + counts.yamux + counts.noise + counts.tcp

let shared: { conn: Connection; muxer: StreamMuxer } | undefined
let dialing: Promise<{ conn: Connection; muxer: StreamMuxer }> | undefined
async function liveMuxer(): Promise<StreamMuxer> {
  if (shared !== undefined && shared.conn.status === 'open' && shared.muxer.status === 'open') return shared.muxer
  dialing ??= (async () => {
    const conn = await fuzzer.dial(multiaddr(addr), { force: true })
    // Let the listener set the connection up before streams arrive (libp2p buffers 10 early ones).
    await new Promise((r) => setTimeout(r, 50))
    return { conn, muxer: (conn as unknown as { muxer: StreamMuxer }).muxer }
  })().finally(() => (dialing = undefined))
  shared = await dialing
  return shared.muxer
}

/** Streams the node neither closed nor reset within 100 ms of our last byte (then we reset). */
let stalls = 0

/** Writes, then closes the write side or resets; waits (bounded) for the node to end the stream. */
async function throwAt(s: Stream, bytes: Uint8Array, reset: boolean): Promise<void> {
  const done = new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      stalls++
      resolve()
    }, 100)
    const end = (): void => {
      clearTimeout(t)
      resolve()
    }
    s.addEventListener('close', end, { once: true })
    s.addEventListener('remoteCloseWrite', end, { once: true })
  })
  try {
    s.send(bytes)
    if (reset) s.abort(new Error('fuzz reset'))
    else await s.close({ signal: AbortSignal.timeout(1_000) })
  } catch {
    // the node may reset first
  }
  await done
  s.abort(new Error('done'))
}

/** A well-formed request the node reads and answers and that keeps the stream open for the next. */
function servedFrame(r: Rng): Uint8Array {
  const m = { ...wireMessage(r), type: r.pick([MessageType.PING, MessageType.FIND_NODE, MessageType.GET_PROVIDERS]) }
  if (m.key !== undefined && m.key.length > 256) m.key = m.key.subarray(0, 256)
  return frame(m)
}

async function kadCase(r: Rng): Promise<void> {
  // Up to 15 well-formed requests with fuzzed contents (each one read, decoded and answered),
  // then one frame from the whole distribution (which may end the stream).
  const frames = [...Array.from({ length: r.int(16) }, () => servedFrame(r)), kadFrame(r)]
  const bytes = concat([MSS, ...frames])
  // Sometimes in several writes, as a slow peer's bytes arrive.
  const s = await (await liveMuxer()).createStream()
  counts.kad += frames.length
  counts.streams++
  if (r.int(8) === 0 && bytes.length > 2) {
    const cut = 1 + r.int(bytes.length - 1)
    try {
      s.send(bytes.subarray(0, cut))
    } catch {
      // reset already
    }
    await throwAt(s, bytes.subarray(cut), r.int(5) === 0)
  } else {
    await throwAt(s, bytes, r.int(5) === 0)
  }
}

async function mssCaseRun(r: Rng): Promise<void> {
  const s = await (await liveMuxer()).createStream()
  counts.mss++
  counts.streams++
  await throwAt(s, mssCase(r), r.int(5) === 0)
}

async function yamuxCase(r: Rng): Promise<void> {
  const conn = await fuzzer.dial(multiaddr(addr), { force: true })
  counts.connections++
  const muxer = (conn as unknown as { muxer: { maConn: { send(b: Uint8Array): boolean } } }).muxer
  const frames = Array.from({ length: 1 + r.int(16) }, () => yamuxFrame(r))
  counts.yamux += frames.length
  try {
    // Under noise, below yamux: the node's muxer parses these as the peer's frames.
    muxer.maConn.send(concat(frames))
  } catch {
    // closed already
  }
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 150)
    conn.addEventListener('close', () => (clearTimeout(t), resolve()), { once: true })
  })
  await conn.close({ signal: AbortSignal.timeout(500) }).catch(() => conn.abort(new Error('done')))
}

async function rawCase(r: Rng): Promise<void> {
  counts.connections++
  const parts: Uint8Array[] = []
  if (r.int(3) !== 0) {
    // A correct selection of /noise, then noise handshake messages (2-byte length + payload).
    parts.push(mssLine('/multistream/1.0.0'), mssLine('/noise'))
    const n = 1 + r.int(3)
    counts.noise += n
    for (let i = 0; i < n; i++) {
      const body = r.int(3) === 0 ? r.bytes(32) : r.bytes(r.int(200))
      const len = r.int(10) === 0 ? r.int(65536) : body.length
      parts.push(Uint8Array.of(len >> 8, len & 255), body)
    }
  } else {
    counts.tcp++
    parts.push(r.bytes(1 + r.int(512)))
  }
  await new Promise<void>((resolve) => {
    const sock = connect({ host: '127.0.0.1', port })
    const t = setTimeout(() => end(), 300)
    const end = (): void => {
      clearTimeout(t)
      sock.destroy()
      resolve()
    }
    sock.on('error', end)
    sock.on('close', end)
    sock.on('connect', () => sock.write(concat(parts)))
  })
}

async function ping(): Promise<boolean> {
  try {
    const s = await honest.dialProtocol(multiaddr(addr), KAD_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
    const answered = new Promise<boolean>((resolve) => {
      s.addEventListener('message', () => resolve(true), { once: true })
      s.addEventListener('close', () => resolve(false), { once: true })
      setTimeout(() => resolve(false), 10_000).unref()
    })
    s.send(frame({ type: MessageType.PING, closerPeers: [], providerPeers: [] }))
    const ok = await answered
    s.abort(new Error('done'))
    return ok
  } catch {
    return false
  }
}

async function run(upTo: number, rngs: Rng[], onProgress?: () => Promise<void>): Promise<void> {
  let nextReport = Math.ceil((total() + 1) / 100_000) * 100_000
  await Promise.all(
    rngs.map(async (r) => {
      while (total() < upTo && crashed === undefined) {
        const layer = r.int(100)
        const c0 = performance.now()
        const name = layer < 80 ? 'kad' : layer < 92 ? 'mss' : layer < 97 ? 'yamux' : 'raw'
        try {
          if (name === 'kad') await kadCase(r)
          else if (name === 'mss') await mssCaseRun(r)
          else if (name === 'yamux') await yamuxCase(r)
          else await rawCase(r)
        } catch {
          // a dial or stream refused: the node decided, the fuzzer goes on
        }
        caseMs[name] = (caseMs[name] ?? 0) + performance.now() - c0
        if (total() >= nextReport) {
          nextReport += 100_000
          await onProgress?.()
        }
      }
    }),
  )
}

const t0 = performance.now()
const rngs = Array.from({ length: WORKERS }, (_, i) => new Rng((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0))
const start = await targetMem()
// Warm-up (JIT, pools, libp2p's caches): 1 % of the run, then the baseline.
await run(Math.max(1_000, Math.floor(TARGET / 100)), rngs)
const warm = await targetMem()
let pingsFailed = 0
await run(TARGET, rngs, async () => {
  const ok = await ping()
  if (!ok) pingsFailed++
  console.log(JSON.stringify({ frames: total(), seconds: Math.round((performance.now() - t0) / 1000), pingOk: ok, ...(crashed !== undefined ? { crashed } : {}) }))
})
const seconds = (performance.now() - t0) / 1000
const answers = crashed === undefined && (await ping())
// Lingering streams reset within 10 s of their last byte; buffers must be empty after that.
await new Promise((r) => setTimeout(r, 11_000))
const end = await targetMem()
const buffered = end.buffered
const growth = Math.round((end.rss - warm.rss) * 10) / 10
const result = {
  seed: SEED,
  frames: total(),
  byLayer: counts,
  workerSecondsByLayer: Object.fromEntries(Object.entries(caseMs).map(([k, v]) => [k, Math.round(v / 1000)])),
  seconds: Math.round(seconds),
  framesPerS: Math.round(total() / seconds),
  rssStartMiB: start.rss,
  rssWarmMiB: warm.rss,
  rssEndMiB: end.rss,
  rssGrowthMiB: growth,
  heapWarmMiB: warm.heap,
  heapEndMiB: end.heap,
  bufferedBytesEnd: buffered,
  streamsLeftOpenByNode: stalls,
  pingsFailed,
  answersAtEnd: answers,
  crashes: crashed === undefined ? 0 : 1,
  ...(crashed !== undefined ? { crashed } : {}),
}
console.log(JSON.stringify(result))
await Promise.allSettled([fuzzer.stop(), honest.stop()])
stopping = true
target.send('stop')
process.exit(crashed === undefined && answers && buffered === 0 && growth < 50 ? 0 : 1)
