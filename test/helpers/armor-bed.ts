// The bed of the node-under-attack integration tests: one of our nodes on 127.0.0.1 with the
// budgets a test sets, its loopback address, a few bare libp2p clients, and one teardown; plus
// the one-request and one-metric probes those tests all use.
import type { Connection, Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { DhtNode, DhtNodeOptions } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { DEFAULT_LIMITS, type NodeLimits } from '../../src/node/host/limits.js'
import { frame } from '../../src/node/host/index.js'
import { MessageType, type MessageTypeCode } from '../../src/wire/message.js'
import { httpUrl, loopbackAddr, startOurNode, startRawClient } from '../integration/helpers.js'

export interface BedOptions {
  /** Budgets that differ from DEFAULT_LIMITS. */
  readonly limits?: Partial<NodeLimits>
  /**
   * True: the node has no allow list, so every budget applies to the loopback clients (the
   * attackers of a test). False (default): 127.0.0.1 is allowed past them, as in other tests.
   */
  readonly budgeted?: boolean
  /** Bare libp2p clients to start (default 1). */
  readonly clients?: number
  /** Their listen addresses (default none: dial-only). */
  readonly clientListen?: string[]
  /** Anything else of the node's options. */
  readonly node?: Partial<DhtNodeOptions>
}

export interface Bed {
  readonly node: DhtNode
  /** The node's /ip4/127.0.0.1 multiaddr. */
  readonly addr: string
  readonly clients: Libp2p[]
  /** Drains the node and stops the clients (never throws). */
  stop(): Promise<void>
}

export async function startBed(opts: BedOptions = {}): Promise<Bed> {
  const node = await startOurNode({
    ...(opts.budgeted === true ? { allow: [] } : {}),
    ...(opts.limits !== undefined ? { limits: { ...DEFAULT_LIMITS, ...opts.limits } } : {}),
    ...opts.node,
  })
  const clients: Libp2p[] = []
  for (let i = 0; i < (opts.clients ?? 1); i++) clients.push(await startRawClient(opts.clientListen ?? []))
  return {
    node,
    addr: loopbackAddr(node.multiaddrs),
    clients,
    stop: async () => void (await Promise.allSettled([node.drain(), ...clients.map((c) => c.stop())])),
  }
}

/**
 * One kad request on a fresh stream (libp2p's negotiation): true when the node answered, false
 * when it refused (the stream reset) or the connection is gone.
 */
export async function kadRequest(conn: Connection, type: MessageTypeCode = MessageType.PING, key?: Uint8Array): Promise<boolean> {
  let s
  try {
    s = await conn.newStream(KAD_PROTOCOL)
  } catch {
    return false
  }
  const answered = new Promise<boolean>((resolve) => {
    s.addEventListener('message', () => resolve(true), { once: true })
    s.addEventListener('close', () => resolve(false), { once: true })
  })
  try {
    s.send(frame({ type, ...(key !== undefined ? { key } : {}), closerPeers: [], providerPeers: [] }))
  } catch {
    return false
  }
  const ok = await answered
  s.abort(new Error('done'))
  return ok
}

/** The first capture group of `pattern` in the node's /metrics, as a number (0 when absent). */
export async function metricMatch(node: DhtNode, pattern: RegExp): Promise<number> {
  const text = await (await fetch(httpUrl(node, '/metrics'))).text()
  const m = pattern.exec(text)
  return m ? Number(m[1]) : 0
}

/**
 * Dials `addr` and waits until the client's identify (a stream into the node) has finished, so
 * that streams opened next find the connection set up on both sides and no identify in flight.
 */
export async function dialIdentified(client: Libp2p, addr: string): Promise<Connection> {
  const identified = new Promise<void>((resolve) => client.addEventListener('peer:identify', () => resolve(), { once: true }))
  const conn = await client.dial(multiaddr(addr))
  await identified
  return conn
}

/** Dials `addr` afresh and sends one PING: false when the dial or the request is refused. */
export async function dialAndPing(client: Libp2p, addr: string): Promise<boolean> {
  try {
    const conn = await client.dial(multiaddr(addr), { signal: AbortSignal.timeout(5_000) })
    return await kadRequest(conn)
  } catch {
    return false
  }
}
