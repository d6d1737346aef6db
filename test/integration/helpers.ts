// Helpers for integration tests on 127.0.0.1: our nodes, stock @libp2p/kad-dht nodes, a raw
// libp2p client for hand-made frames, and polling without timed assertions.
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import type { Libp2p } from '@libp2p/interface'
import { DhtNode, type DhtNodeOptions } from '../../src/node/dht-node.js'
import { createLogger } from '../../src/node/log.js'
import { engineConfig, type EngineConfig } from '../../src/engine/index.js'

export const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
export const ADMIN_TOKEN = 'test-admin-token-0123456789'

export function testEngineConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  // Small networks: a table of 2 is "warm"; generous timeouts for a loaded CI machine.
  return engineConfig({ warmTableSize: 2, rpcTimeoutMs: 3_000, ...overrides })
}

export async function startOurNode(opts: Partial<DhtNodeOptions> = {}): Promise<DhtNode> {
  const node = new DhtNode({
    listen: [LOOPBACK],
    httpHost: '127.0.0.1',
    httpPort: 0,
    engine: testEngineConfig(),
    bootstraps: [],
    amnesia: true,
    drainTimeoutMs: 2_000,
    adminToken: ADMIN_TOKEN,
    allow: ['/ip4/127.0.0.1'],
    log: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    version: 'test',
    commit: 'test',
    ...opts,
  })
  await node.start()
  return node
}

export type StockNode = Libp2p<{ dht: KadDHT; identify: unknown; ping: unknown }>

export async function startStockNode(): Promise<StockNode> {
  return (await createLibp2p({
    addresses: { listen: [LOOPBACK] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { allow: ['/ip4/127.0.0.1'], inboundConnectionThreshold: 1_000 },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper, allowQueryWithZeroPeers: true }),
    },
  })) as unknown as StockNode
}

/** A bare libp2p peer (no kad) for sending hand-made bytes on a kad stream. */
export async function startRawClient(listen: string[] = []): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
}

/** Polls `check` until it returns a value other than undefined, or fails after `limitMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, limitMs = 20_000): Promise<T> {
  const end = Date.now() + limitMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > end) throw new Error(`never happened: ${what}${last ? ` (last error: ${String(last)})` : ''}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export function httpUrl(node: DhtNode, path: string): string {
  return `http://127.0.0.1:${node.httpPort}${path}`
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init)
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    body = { text }
  }
  return { status: res.status, body }
}

export function loopbackAddr(addrs: readonly string[]): string {
  const a = addrs.find((x) => x.startsWith('/ip4/127.0.0.1/'))
  if (a === undefined) throw new Error(`no loopback address in ${addrs.join(' ')}`)
  return a
}

/** The value of one Prometheus sample ("name" or "name{labels}") from a node's /metrics. */
export async function metricValue(node: DhtNode, sample: string): Promise<number> {
  const text = await (await fetch(httpUrl(node, '/metrics'))).text()
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1))
  }
  return 0
}
