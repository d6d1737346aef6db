// A server under benchmark, in its own process: OUR node (DhtNode) or a STOCK @libp2p/kad-dht
// node, listening on 127.0.0.1, optionally with its routing table and provider store seeded
// directly (no network traffic). Prints one JSON line when ready to be measured:
//   {"event":"listening","addr":..., "importMs":..., "readyMs":..., "table":..., "records":...}
// and keeps running until SIGTERM. With --bootstrap <addr> --exit-when-ready it measures time
// to ready instead: ours = /readyz conditions true; stock = the bootstrap is in its routing table.
//
// usage: node dist-bench/node-server.js ours|stock [--peers N] [--records N] [--keys-out file]
//                                       [--bootstrap addr] [--exit-when-ready] [--handler-bench N]
const tProcess0 = 0 // performance.now() counts from process start (timeOrigin)
const tImport0 = performance.now()
await import('../dist/polyfill.js')
const { randomBytes } = await import('node:crypto')
const { writeFileSync } = await import('node:fs')
const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { identify } = await import('@libp2p/identify')
const { ping } = await import('@libp2p/ping')
const { kadDHT, passthroughMapper } = await import('@libp2p/kad-dht')
const { publicKeyFromRaw } = await import('@libp2p/crypto/keys')
const { peerIdFromPublicKey } = await import('@libp2p/peer-id')
const { multiaddr } = await import('@multiformats/multiaddr')
const { CID } = await import('multiformats/cid')
const Digest = await import('multiformats/hashes/digest')
const { DhtNode } = await import('../dist/node/dht-node.js')
const { createLogger } = await import('../dist/node/log.js')
const { engineConfig } = await import('../dist/engine/config.js')
const { sha256 } = await import('../dist/node/host/contacts.js')
const { frame } = await import('../dist/node/host/kad-host.js')
const { libp2pLogger } = await import('../dist/node/host/libp2p-node.js')
const importMs = performance.now() - tImport0

type PeerId = ReturnType<typeof peerIdFromPublicKey>

const args = process.argv.slice(2)
const kind = args[0]
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}
const peers = Number(opt('--peers') ?? 0)
const records = Number(opt('--records') ?? 0)
const keysOut = opt('--keys-out')
const bootstrap = opt('--bootstrap')
const exitWhenReady = args.includes('--exit-when-ready')
const handlerBench = Number(opt('--handler-bench') ?? 0)
/** The handler-only measurement stops after this long even if fewer than N ops ran. */
const HANDLER_MAX_MS = 2_000
const LISTEN = '/ip4/127.0.0.1/tcp/0'

function randomPeerId(): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(randomBytes(32)))
}

function fakeAddr(i: number): string {
  return `/ip4/10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/tcp/4001`
}

/** sha2-256 multihash bytes of a provider key (what stock accepts), i = record number. */
function recordKey(i: number): Uint8Array {
  return Digest.create(0x12, sha256(new TextEncoder().encode(`record-${i}`))).bytes
}

function emit(o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(o) + '\n')
}

const seededPeers: PeerId[] = []
for (let i = 0; i < peers; i++) seededPeers.push(randomPeerId())
// Provider records: one provider per key, drawn from a pool of peers.
const providerPool: PeerId[] = []
for (let i = 0; i < Math.min(records, 1000); i++) providerPool.push(randomPeerId())
if (keysOut !== undefined) {
  const keys = Array.from({ length: Math.min(records, 256) }, (_, i) => Buffer.from(recordKey(i)).toString('hex'))
  writeFileSync(keysOut, JSON.stringify(keys))
}

let stop: () => Promise<void>
let addr: string
let tableSize = 0
let handlerRates: Record<string, number> | undefined

if (kind === 'ours') {
  const node = new DhtNode({
    listen: [LISTEN],
    httpHost: '127.0.0.1',
    httpPort: 0,
    // One live bootstrap answering is enough for this measurement's "warm" table.
    engine: engineConfig({ warmTableSize: 1, maxProviderKeys: Math.max(200_000, records + 1) }),
    bootstraps: bootstrap !== undefined ? [bootstrap] : [],
    amnesia: true,
    drainTimeoutMs: 1_000,
    allow: ['/ip4/127.0.0.1'],
    log: createLogger({ level: 'silent' }),
    version: 'bench',
    commit: 'bench',
  })
  await node.start()
  addr = node.multiaddrs.find((a) => a.startsWith('/ip4/127.0.0.1/'))!
  if (peers > 0) {
    const contacts = seededPeers.map((p, i) => node.book.fromPeerId(p, [fakeAddr(i)]))
    node.host.input({ kind: 'seed-contacts', contacts })
  }
  for (let i = 0; i < records; i++) {
    const p = providerPool[i % providerPool.length]!
    const from = node.book.fromPeerId(p, [fakeAddr(i % 1000)])
    const key = recordKey(i)
    node.host.input({
      kind: 'message',
      from,
      msg: { kind: 'request', rpcId: -1 - i, type: 'ADD_PROVIDER', key, target: sha256(key), providers: [from] },
    })
  }
  tableSize = node.engine.stats(node.host.now()).tableSize
  if (handlerBench > 0) {
    // The request handler alone, no streams: engine step + response to wire frame.
    const asker = node.book.fromPeerId(randomPeerId(), [fakeAddr(7)])
    const run = (type: 'FIND_NODE' | 'GET_PROVIDERS'): number => {
      const t0 = performance.now()
      let i = 0
      for (; i < handlerBench && (i % 256 !== 0 || performance.now() - t0 < HANDLER_MAX_MS); i++) {
        const key = type === 'FIND_NODE' ? seededPeers[i % Math.max(1, seededPeers.length)]?.toMultihash().bytes ?? recordKey(i) : recordKey(i % Math.max(1, records))
        const out = node.engine.step(node.host.now(), { kind: 'message', from: asker, msg: { kind: 'request', rpcId: i, type, key, target: sha256(key), providers: [] } })
        const res = out.sends[0]?.msg
        if (res === undefined || res.kind !== 'response') throw new Error('no response')
        frame({ type: type === 'FIND_NODE' ? 4 : 3, key, closerPeers: res.closer.map((c) => node.book.toWire(c)), providerPeers: res.providers.map((c) => node.book.toWire(c)) })
      }
      return i / ((performance.now() - t0) / 1000)
    }
    run('FIND_NODE') // warm-up
    handlerRates = { FIND_NODE: run('FIND_NODE'), GET_PROVIDERS: run('GET_PROVIDERS') }
  }
  if (exitWhenReady) {
    while (!node.readiness().ready) await new Promise((r) => setTimeout(r, 2))
  }
  stop = () => node.drain()
} else if (kind === 'stock') {
  // The same libp2p logger setting as ours (no per-stream debug instances unless DEBUG is set):
  // a configuration choice any stock user has, so it is not part of what we compare.
  const logger = libp2pLogger()
  const node = await createLibp2p({
    ...(logger !== undefined ? { logger } : {}),
    addresses: { listen: [LISTEN] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { allow: ['/ip4/127.0.0.1'], inboundConnectionThreshold: 10_000, maxConnections: 1024 },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper, maxInboundStreams: 1024, maxOutboundStreams: 1024, allowQueryWithZeroPeers: true }),
    },
  })
  const dht = node.services.dht as unknown as {
    routingTable: { size: number; kb: { _add(p: { peerId: PeerId; kadId: Uint8Array; lastPing: number }): Promise<void> } }
    providers: { addProvider(cid: unknown, p: PeerId): Promise<void> }
  }
  addr = node.getMultiaddrs().map(String).find((a) => a.startsWith('/ip4/127.0.0.1/'))!
  for (let i = 0; i < seededPeers.length; i++) {
    await node.peerStore.merge(seededPeers[i]!, { multiaddrs: [multiaddr(fakeAddr(i))] })
    // Seed directly: RoutingTable.add() would first ping the (fake) peer to verify it.
    await dht.routingTable.kb._add({ peerId: seededPeers[i]!, kadId: sha256(seededPeers[i]!.toMultihash().bytes), lastPing: Date.now() })
  }
  for (let i = 0; i < providerPool.length; i++) await node.peerStore.merge(providerPool[i]!, { multiaddrs: [multiaddr(fakeAddr(i))] })
  for (let i = 0; i < records; i++) {
    const cid = CID.decode(recordKey(i))
    await dht.providers.addProvider(cid, providerPool[i % providerPool.length]!)
  }
  tableSize = dht.routingTable.size
  if (handlerBench > 0) {
    // The stock request handler alone, no streams (protons objects; encoding not included).
    const rpc = (node.services.dht as unknown as { rpc: { handleMessage(p: PeerId, m: unknown): Promise<unknown> } }).rpc
    const asker = randomPeerId()
    const run = async (type: 'FIND_NODE' | 'GET_PROVIDERS'): Promise<number> => {
      const t0 = performance.now()
      let i = 0
      for (; i < handlerBench && performance.now() - t0 < HANDLER_MAX_MS; i++) {
        const key = type === 'FIND_NODE' ? seededPeers[i % Math.max(1, seededPeers.length)]?.toMultihash().bytes ?? recordKey(i) : recordKey(i % Math.max(1, records))
        await rpc.handleMessage(asker, { type, key, closer: [], providers: [], clusterLevel: 0 })
      }
      return i / ((performance.now() - t0) / 1000)
    }
    await run('FIND_NODE')
    handlerRates = { FIND_NODE: await run('FIND_NODE'), GET_PROVIDERS: await run('GET_PROVIDERS') }
  }
  if (bootstrap !== undefined) await node.dial(multiaddr(bootstrap))
  if (exitWhenReady) {
    while (dht.routingTable.size < 1) await new Promise((r) => setTimeout(r, 2))
  }
  stop = async () => {
    await node.stop()
  }
} else {
  process.stderr.write('usage: node-server.js ours|stock [--peers N] [--records N]\n')
  process.exit(2)
}

// Let the seeding garbage go before being measured (the orchestrator passes --expose-gc).
if (!exitWhenReady && (peers > 0 || records > 0)) {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) gc?.()
}
const readyMs = performance.now()
emit({ event: 'listening', kind, addr, importMs, afterImportMs: readyMs - (tImport0 + importMs), sinceProcessStartMs: readyMs - tProcess0, table: tableSize, records, ...(handlerRates ? { handlerPerS: handlerRates } : {}) })
if (exitWhenReady) {
  await stop()
  process.exit(0)
}
process.on('SIGTERM', () => {
  void stop().finally(() => process.exit(0))
})
