// One testbed worker process: several real nodes (our node code, its libp2p stack, its HTTP
// server) in one OS process, driven by the orchestrator over IPC. Readiness is read from each
// node's own /readyz, as an operator's probe would; lookup latency is measured here, on the
// client's clock, around the node's lookup call.
import '../polyfill.js'
import { randomBytes } from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { DhtNode } from '../node/dht-node.js'
import { DEFAULT_LIMITS } from '../node/host/limits.js'
import { createLogger } from '../node/log.js'
import type { EngineConfig } from '../engine/index.js'
import type { PeerPlace } from '../node/shaper/link-shaper.js'
import { loopbackHost, type FromWorker, type NodeSpec, type ToWorker } from './protocol.js'
import { Probe } from './probe.js'
import { RpcTimes } from '../netmodel/rpc-times.js'
import type { TableDump } from './table-fill.js'

const READY_POLL_MS = 200
/** After a node is first ready, its readiness is checked this often: the workload issues from ready nodes, as the simulator's does. */
const READY_WATCH_MS = 1_000
const HANDSHAKE_TIMEOUT_MS = 15_000

let engine: EngineConfig | undefined
let directory = new Map<string, PeerPlace>()
let jitter = { median: 0, sigma: 0 }
let loss = 0
let adminToken = randomBytes(16).toString('hex')
let seed = 'testbed'
let pq = false
let connectionMonitor = false
let stack: Extract<ToWorker, { t: 'init' }>['stack'] = null
const nodes = new Map<number, DhtNode>()
const probe = new Probe()
/** Round trips of the nodes' answered requests in the measured window (report.rpc). */
const rpcTimes = new RpcTimes()
const peerIds = new Map<string, PeerId>()

function peerIdOf(peer: string): PeerId | undefined {
  let p = peerIds.get(peer)
  if (p === undefined) {
    try {
      p = peerIdFromString(peer)
    } catch {
      return undefined
    }
    peerIds.set(peer, p)
  }
  return p
}
const log = createLogger({ level: process.env.TESTBED_LOG_LEVEL ?? 'silent' })

function send(m: FromWorker): void {
  process.send?.(m)
}


function hexBytes(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'))
}

async function start(spec: NodeSpec): Promise<void> {
  const t0 = performance.now()
  try {
    const privateKey = await generateKeyPairFromSeed('Ed25519', hexBytes(spec.keySeed))
    const bootstraps = spec.bootstraps
    // The stack emulation asks whether the node holds a connection to a peer (set once started).
    let connected: (peer: string) => boolean = () => false
    const node: DhtNode = new DhtNode({
      // Each node on its own loopback /24 (all of 127/8 is loopback on Linux), as peers on the
      // Internet are: the engine's per-/24 diversity and rate limits then see distinct peers.
      listen: [`/ip4/${loopbackHost(spec.idx)}/tcp/${spec.port}`],
      httpHost: '127.0.0.1',
      httpPort: 0,
      engine: engine!,
      bootstraps,
      amnesia: true,
      pqOffered: pq,
      dialFrom: loopbackHost(spec.idx),
      // libp2p's connection monitor pings every connection every 10 s: see docs/testbed.md.
      ...(connectionMonitor ? {} : { connectionMonitorMs: 0 }),
      // The worker's tens of nodes share one process: its open files and handles, read per node at
      // every scrape, were a tenth of a 200-node testbed's CPU (docs/testbed.md).
      processMetrics: false,
      // Many nodes share two cores: a handshake waits for CPU far longer than on a host of its own.
      limits: { ...DEFAULT_LIMITS, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS },
      privateKey,
      adminToken,
      drainTimeoutMs: 1_000,
      allow: ['/ip4/127.0.0.0/ipcidr/8'],
      shaper: {
        place: spec.place,
        directory,
        bootstraps: bootstraps.map((b) => b.slice(b.lastIndexOf('/p2p/') + 5)),
        jitter,
        loss,
        seed: `${seed}/shaper/${spec.idx}`,
        ...(stack !== null ? { stack, connected: (peer: string) => connected(peer) } : {}),
      },
      onRpc: (_type, ms, firstContact) => rpcTimes.add(ms, firstContact),
      log,
      version: 'testbed',
      commit: 'testbed',
    })
    await node.start()
    connected = (peer) => {
      const pid = peerIdOf(peer)
      return pid !== undefined && node.stack.getConnections(pid).some((c) => c.status === 'open')
    }
    // Set-up time: the socket opening (after TCP's connect) to the upgraded connection. Both
    // ends see each connection open; its dialer counts it, so a connection is one set-up (as in
    // the simulator's stack model, report.connections).
    node.stack.addEventListener('connection:open', (e) => {
      if (e.detail.direction === 'outbound') probe.setup(Date.now() - e.detail.timeline.open)
    })
    nodes.set(spec.idx, node)
    const addr = node.multiaddrs.find((a) => a.startsWith('/ip4/127.')) ?? node.multiaddrs[0]!
    send({ t: 'started', idx: spec.idx, peerId: node.peerId, addr, httpPort: node.httpPort })
    void watchReady(spec.idx, node, t0)
  } catch (e) {
    send({ t: 'start-failed', idx: spec.idx, error: String((e as Error)?.message ?? e) })
  }
}

/**
 * Follows a node's readiness until it stops: its /readyz every READY_POLL_MS until the first 200
 * (its time to ready, as an operator's probe sees it), then the check /readyz serves, in process,
 * every READY_WATCH_MS (an HTTP request a second per node would cost the workers' CPU), reporting
 * each change. A node cut off from its bootstraps turns not ready and stops issuing the workload's
 * lookups, as a simulated peer does.
 */
async function watchReady(idx: number, node: DhtNode, t0: number): Promise<void> {
  for (;;) {
    if (nodes.get(idx) !== node) return
    try {
      const res = await fetch(`http://127.0.0.1:${node.httpPort}/readyz`)
      await res.arrayBuffer()
      if (res.status === 200) break
    } catch {
      // not listening yet, or stopping
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS))
  }
  if (nodes.get(idx) !== node) return
  send({ t: 'node-ready', idx, readyS: (performance.now() - t0) / 1000 })
  let ready = true
  for (;;) {
    await new Promise((r) => setTimeout(r, READY_WATCH_MS))
    if (nodes.get(idx) !== node) return
    const now = node.readiness().ready
    if (now !== ready) send(now ? { t: 'node-ready', idx, readyS: (performance.now() - t0) / 1000 } : { t: 'node-unready', idx })
    ready = now
  }
}

async function lookup(m: Extract<ToWorker, { t: 'lookup' }>): Promise<void> {
  const node = nodes.get(m.idx)
  const t0 = performance.now()
  if (node === undefined) {
    send({ t: 'lookup-done', id: m.id, latencyMs: 0, hops: 0, messages: 0, success: false, error: 'offline', providers: [], closest: [] })
    return
  }
  const r = await node.lookup(m.op, hexBytes(m.key), `tb-${m.id}`)
  send({
    t: 'lookup-done',
    id: m.id,
    latencyMs: performance.now() - t0,
    hops: r.hops,
    messages: r.messages,
    success: r.success,
    error: r.error ?? null,
    providers: r.providers.map((p) => p.peer),
    closest: r.closest.map((p) => p.peer),
  })
}

/** Every node's routing table now (its id and its contacts' ids), for the report's table_fill. */
function tableDumps(): TableDump[] {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  return [...nodes.values()].map((n) => ({ id: hex(n.engine.self.id), contacts: n.engine.contacts().map((c) => hex(c.id)) }))
}

async function stop(idx: number): Promise<void> {
  const node = nodes.get(idx)
  nodes.delete(idx)
  if (node !== undefined) await node.drain().catch(() => undefined)
  send({ t: 'stopped', idx })
}

process.on('message', (raw) => {
  const m = raw as ToWorker
  switch (m.t) {
    case 'init':
      engine = m.engine
      directory = new Map(m.directory)
      jitter = m.jitter
      loss = m.loss
      adminToken = m.adminToken
      seed = m.seed
      pq = m.pq
      connectionMonitor = m.connectionMonitor
      stack = m.stack
      send({ t: 'ready-to-work' })
      return
    case 'start':
      void start(m.node)
      return
    case 'stop':
      void stop(m.idx)
      return
    case 'lookup':
      void lookup(m)
      return
    case 'fault':
      for (const n of nodes.values()) n.shaper?.inject(m.spec, m.members ?? undefined)
      return
    case 'clear':
      for (const n of nodes.values()) n.shaper?.clear(m.id)
      return
    case 'stats': {
      const mem = process.memoryUsage()
      const cpu = process.cpuUsage()
      let drops = 0
      for (const n of nodes.values()) for (const d of n.shaper?.drops.values() ?? []) drops += d
      send({ t: 'stats', rssBytes: mem.rss, cpuUserUs: cpu.user, cpuSystemUs: cpu.system, nodes: nodes.size, drops, probe: probe.sample(), ...(m.final === true ? { final: true, rpc: rpcTimes.samples(), tables: tableDumps() } : {}) })
      return
    }
    case 'probe-reset':
      probe.reset()
      rpcTimes.reset()
      return
    case 'shutdown':
      void Promise.allSettled([...nodes.keys()].map((i) => stop(i))).then(() => {
        send({ t: 'bye' })
        process.disconnect?.()
        setTimeout(() => process.exit(0), 50).unref()
      })
      return
  }
})

// The orchestrator going away (crash, SIGKILL) must not leave this process behind.
process.on('disconnect', () => process.exit(0))
process.on('SIGINT', () => undefined) // the orchestrator decides when we stop

