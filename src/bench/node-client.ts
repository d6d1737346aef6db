// The load generator, in its own process: dials one server and sends kad requests with a fresh
// stream per request (as kad clients do), keeping `inflight` requests outstanding for a fixed
// time. Prints one JSON line: {"ok":n,"errors":n,"seconds":s,"perSecond":r}.
//
// usage: node dist/bench/node-client.js <server multiaddr> FIND_NODE|GET_PROVIDERS <inflight>
//                                       <durationMs> [keys.json]
await import('../polyfill.js')
const { readFileSync } = await import('node:fs')
const { randomBytes } = await import('node:crypto')
const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { multiaddr } = await import('@multiformats/multiaddr')
const { publicKeyFromRaw } = await import('@libp2p/crypto/keys')
const { peerIdFromPublicKey } = await import('@libp2p/peer-id')
const { FrameReader } = await import('../node/host/frame-reader.js')
const { frame } = await import('../node/host/kad-host.js')
const { MessageType, decodeMessage } = await import('../node/wire/message.js')
const { KAD_PROTOCOL } = await import('../node/host/libp2p-node.js')

const [target, typeName, inflightS, durationS, keysFile] = process.argv.slice(2)
const inflight = Number(inflightS)
const durationMs = Number(durationS)
const type = typeName === 'GET_PROVIDERS' ? MessageType.GET_PROVIDERS : MessageType.FIND_NODE

// Keys: record keys for GET_PROVIDERS (they exist on the server), random peer ids for FIND_NODE.
let keys: Uint8Array[]
if (keysFile !== undefined && type === MessageType.GET_PROVIDERS) {
  keys = (JSON.parse(readFileSync(keysFile, 'utf8')) as string[]).map((h) => Uint8Array.from(Buffer.from(h, 'hex')))
} else {
  keys = Array.from({ length: 64 }, () => peerIdFromPublicKey(publicKeyFromRaw(randomBytes(32))).toMultihash().bytes)
}
if (keys.length === 0) keys = [randomBytes(34)]
const frames = keys.map((key) => frame({ type, key, closerPeers: [], providerPeers: [] }))

const node = await createLibp2p({
  addresses: { listen: [] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
})
// Our outbound stream limit for the protocol must not be the bottleneck.
await node.handle(KAD_PROTOCOL, () => undefined, { maxOutboundStreams: 4096, maxInboundStreams: 16 })
const conn = await node.dial(multiaddr(target!))

let ok = 0
let errors = 0
let measuring = false
let running = true
let seq = 0

async function one(): Promise<void> {
  const i = seq++ % frames.length
  const s = await conn.newStream(KAD_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  const reader = new FrameReader(s, 1 << 20)
  s.send(frames[i]!)
  const r = await reader.next(10_000)
  if (!r.ok) throw new Error(r.error)
  const d = decodeMessage(r.frame)
  if (!d.ok || d.value.type !== type) throw new Error('bad response')
  if (type === MessageType.GET_PROVIDERS && keysFile !== undefined && d.value.providerPeers.length === 0) throw new Error('no providers')
  void s.close().catch(() => undefined)
}

async function worker(): Promise<void> {
  while (running) {
    try {
      await one()
      if (measuring) ok++
    } catch {
      if (measuring) errors++
    }
  }
}

const workers = Array.from({ length: inflight }, () => worker())
// Warm up (connection, JIT) before counting.
await new Promise((r) => setTimeout(r, Math.min(1_000, durationMs / 4)))
measuring = true
const t0 = performance.now()
await new Promise((r) => setTimeout(r, durationMs))
measuring = false
const seconds = (performance.now() - t0) / 1000
running = false
await Promise.allSettled(workers)
process.stdout.write(JSON.stringify({ ok, errors, seconds, perSecond: ok / seconds }) + '\n')
await node.stop()
process.exit(0)
