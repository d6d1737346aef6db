// The load generator, in its own process: dials one server and sends kad requests with a fresh
// stream per request (as kad clients do), keeping `inflight` requests outstanding for a fixed
// time. Prints one JSON line: {"ok":n,"errors":n,"seconds":s,"perSecond":r}.
//
// usage: node dist-bench/node-client.js <server multiaddr> FIND_NODE|GET_PROVIDERS <inflight>
//                                       <durationMs> [keys.json]
//
// Per request, on the wire, exactly what a stock kad client sends: a new yamux stream, full
// multistream-select (header and protocol in one write, then wait for the server to echo both
// before sending anything else; no optimistic/lazy selection), one varint-framed request, one
// framed response read, then our write side closed. The client is lean so that it costs less
// than the servers it measures (it is shared by both, so it was diluting the ratio): it opens
// the yamux stream on the connection's muxer and does the multistream exchange itself instead
// of through libp2p's Connection.newStream (which adds a peer-store write, an abort-signal timer
// and middleware per stream on the client side), and its socket writes are coalesced per
// event-loop turn as the node's are, and libp2p's per-stream debug loggers are off (as in both
// servers). BENCH_CLIENT_STREAMS=libp2p uses Connection.newStream. BENCH_RATE paces the requests
// started, all workers together, at that many a second (an attacker holding a given rate whatever
// the answers; unset: each worker starts its next request as soon as the last one ends).
import type { Stream, StreamMuxer } from '@libp2p/interface'
await import('../dist/polyfill.js')
const { readFileSync } = await import('node:fs')
const { randomBytes } = await import('node:crypto')
const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { multiaddr } = await import('@multiformats/multiaddr')
const { publicKeyFromRaw } = await import('@libp2p/crypto/keys')
const { peerIdFromPublicKey } = await import('@libp2p/peer-id')
const { frame } = await import('../dist/node/host/kad-host.js')
const { MessageType, decodeMessage } = await import('../dist/wire/message.js')
const { KAD_PROTOCOL, libp2pLogger } = await import('../dist/node/host/libp2p-node.js')
const { coalescingEncrypter } = await import('../dist/node/host/coalesce-writes.js')

const [target, typeName, inflightS, durationS, keysFile] = process.argv.slice(2)
const inflight = Number(inflightS)
const durationMs = Number(durationS)
const type = typeName === 'GET_PROVIDERS' ? MessageType.GET_PROVIDERS : MessageType.FIND_NODE
const REQUEST_TIMEOUT_MS = 10_000
const MAX_RESPONSE_BYTES = 1 << 20

// Keys: record keys for GET_PROVIDERS (they exist on the server), random peer ids for FIND_NODE.
let keys: Uint8Array[]
if (keysFile !== undefined && type === MessageType.GET_PROVIDERS) {
  keys = (JSON.parse(readFileSync(keysFile, 'utf8')) as string[]).map((h) => Uint8Array.from(Buffer.from(h, 'hex')))
} else {
  keys = Array.from({ length: 64 }, () => peerIdFromPublicKey(publicKeyFromRaw(randomBytes(32))).toMultihash().bytes)
}
if (keys.length === 0) keys = [randomBytes(34)]
const frames = keys.map((key) => frame({ type, key, closerPeers: [], providerPeers: [] }))

/** The multistream-select lines a dialer sends (and a listener that accepts echoes), framed. */
function mssLine(s: string): Uint8Array {
  const b = Buffer.from(`${s}\n`)
  return Buffer.concat([Buffer.from([b.length]), b])
}
const MSS = Buffer.concat([mssLine('/multistream/1.0.0'), mssLine(KAD_PROTOCOL)])

const logger = libp2pLogger()
const node = await createLibp2p({
  ...(logger !== undefined ? { logger } : {}),
  addresses: { listen: [] },
  transports: [tcp()],
  connectionEncrypters: [coalescingEncrypter(noise())],
  streamMuxers: [yamux()],
})
// Our outbound stream limit for the protocol must not be the bottleneck.
await node.handle(KAD_PROTOCOL, () => undefined, { maxOutboundStreams: 4096, maxInboundStreams: 16 })
const conn = await node.dial(multiaddr(target!))
const muxer = (conn as unknown as { muxer?: StreamMuxer }).muxer
const viaLibp2p = process.env.BENCH_CLIENT_STREAMS === 'libp2p' || muxer === undefined

/** Bytes of one stream, read in two steps: the multistream echo, then one length-prefixed frame. */
class Inbox {
  private buf: Buffer = Buffer.alloc(0)
  private ended = false
  private wake: (() => void) | undefined
  constructor(s: Stream) {
    s.addEventListener('message', (evt) => {
      const d = evt.data
      const bytes = d instanceof Uint8Array ? d : d.subarray()
      this.buf = this.buf.length === 0 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.concat([this.buf, bytes])
      this.wake?.()
    })
    const end = (): void => {
      this.ended = true
      this.wake?.()
    }
    s.addEventListener('remoteCloseWrite', end)
    s.addEventListener('close', end)
  }
  /** Resolves with `n` bytes, or throws when the stream ends first. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended) throw new Error('stream ended')
      await new Promise<void>((r) => (this.wake = r))
      this.wake = undefined
    }
    const out = this.buf.subarray(0, n)
    this.buf = this.buf.subarray(n)
    return out
  }
  /** One varint-length-prefixed frame. */
  async frame(): Promise<Buffer> {
    let len = 0
    for (let shift = 0; ; shift += 7) {
      const b = (await this.take(1))[0]!
      len += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) break
      if (shift >= 28) throw new Error('bad length')
    }
    if (len > MAX_RESPONSE_BYTES) throw new Error('oversized')
    return this.take(len)
  }
}

async function openNegotiated(): Promise<{ s: Stream; inbox: Inbox }> {
  if (viaLibp2p) {
    const s = await conn.newStream(KAD_PROTOCOL, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    return { s, inbox: new Inbox(s) }
  }
  const s = await muxer!.createStream()
  const inbox = new Inbox(s)
  s.send(MSS)
  // Full negotiation: nothing else is sent until the listener has accepted the protocol.
  const echo = await inbox.take(MSS.length)
  if (!echo.equals(MSS)) throw new Error('protocol refused')
  return { s, inbox }
}

let ok = 0
let errors = 0
let measuring = false
let running = true
let seq = 0
const rate = Number(process.env.BENCH_RATE ?? 0)
let paceFromMs = 0
let started = 0

/** With BENCH_RATE: waits for this request's slot in the schedule (late slots start at once). */
async function pace(): Promise<void> {
  if (!(rate > 0)) return
  const due = paceFromMs + (started++ * 1000) / rate
  const wait = due - performance.now()
  if (wait >= 1) await new Promise((r) => setTimeout(r, wait))
}

async function one(): Promise<void> {
  const i = seq++ % frames.length
  let s: Stream | undefined
  const timer = setTimeout(() => s?.abort(new Error('timeout')), REQUEST_TIMEOUT_MS)
  try {
    const opened = await openNegotiated()
    s = opened.s
    s.send(frames[i]!)
    const d = decodeMessage(await opened.inbox.frame())
    if (!d.ok || d.value.type !== type) throw new Error('bad response')
    if (type === MessageType.GET_PROVIDERS && keysFile !== undefined && d.value.providerPeers.length === 0) throw new Error('no providers')
    void s.close().catch(() => undefined)
  } catch (e) {
    s?.abort(e as Error)
    throw e
  } finally {
    clearTimeout(timer)
  }
}

async function worker(): Promise<void> {
  while (running) {
    await pace()
    if (!running) return
    try {
      await one()
      if (measuring) ok++
    } catch {
      if (measuring) errors++
      // A dead connection fails at once: stop, and never spin without letting timers run.
      if (conn.status !== 'open' || (muxer !== undefined && muxer.status !== 'open')) return
      await new Promise((r) => setImmediate(r))
    }
  }
}

// One request first: a listener buffers at most 10 streams that arrive before its libp2p
// Connection is set up, and resets the connection past that (MaxEarlyStreamsError); 64 streams
// opened the instant dial() returns can get there first.
await one()
paceFromMs = performance.now()
const workers = Array.from({ length: inflight }, () => worker())
// Warm up (connection, JIT) before counting.
await new Promise((r) => setTimeout(r, Math.min(1_000, durationMs / 4)))
measuring = true
// Marks for an orchestrator that samples the server's CPU time over exactly the measured window.
const marks = process.env.BENCH_MARKS === '1'
if (marks) process.stderr.write('measure-start\n')
const t0 = performance.now()
await new Promise((r) => setTimeout(r, durationMs))
measuring = false
if (marks) process.stderr.write('measure-end\n')
const seconds = (performance.now() - t0) / 1000
running = false
await Promise.allSettled(workers)
process.stdout.write(JSON.stringify({ ok, errors, seconds, perSecond: ok / seconds }) + '\n')
await node.stop()
process.exit(0)
