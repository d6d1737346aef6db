// The libp2p stack of the node: TCP, Noise, Yamux, identify and ping. No @libp2p/kad-dht: the
// Kademlia protocol handler is ours (kad-host.ts) and registered after creation.
import { createLibp2p } from 'libp2p'
import type { ComponentLogger, ConnectionGater, Libp2p, Logger, MultiaddrConnection, PrivateKey } from '@libp2p/interface'
import { tcp, type TCPSocketOptions } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { BadInputError } from '../../common/errors.js'
import { coalescingEncrypter } from './coalesce-writes.js'
import { ConnectionGuard } from './connection-guard.js'
import { noiseCrypto } from './noise-crypto.js'
import type { NodeLimits } from './limits.js'

export const KAD_PROTOCOL = '/ipfs/kad/1.0.0'

export interface StackOptions {
  readonly privateKey: PrivateKey
  readonly listen: readonly string[]
  /** Multiaddr prefixes exempt from connection limits (e.g. "/ip4/127.0.0.1" in tests). */
  readonly allow?: readonly string[]
  /** New inbound connections accepted per second per host (libp2p rate limit). */
  readonly inboundConnectionThreshold?: number
  readonly maxConnections?: number
  /** False refuses dials to and connections from a peer (the link shaper's partitions). */
  readonly allowPeer?: (peer: string) => boolean
  /** Per-peer and per-IP connection budgets, handshake bounds (default: libp2p's). */
  readonly limits?: NodeLimits
  /** Told of every connection refused (a budget, a penalty, libp2p's own limits, a failed handshake). */
  readonly onRefused?: (reason: string) => void
  /** True while a peer serves a penalty (penalty-box.ts): no connection to or from it. */
  readonly penalized?: (peer: string) => boolean
  /**
   * Source address of outbound TCP connections (default: the OS's choice). Many nodes on one
   * host, each on a loopback address of its own, dial from it so their peers see distinct IPs
   * (the OS would pick 127.0.0.1 for all of them).
   */
  readonly dialFrom?: string
  /** libp2p's connection monitor: ping period (ms), 0 = off; default libp2p's (10 s). */
  readonly connectionMonitorMs?: number
}

export type NodeStack = Libp2p<{ identify: unknown; ping: unknown }>

/** Thrown when a listen address is taken: exit code 2 with one line. */
export class BindError extends BadInputError {}

/**
 * libp2p's debug logging, unless DEBUG asks for it: its default logger builds three `debug`
 * instances for every stream (and each asks the OS whether stderr is a terminal), a measurable
 * part of a small request's cost. With DEBUG set (DEBUG=libp2p:*) libp2p's own logger is used.
 */
export function libp2pLogger(): ComponentLogger | undefined {
  if (process.env.DEBUG !== undefined && process.env.DEBUG !== '') return undefined
  const off = Object.assign((): void => undefined, {
    enabled: false,
    error: (): void => undefined,
    trace: (): void => undefined,
  }) as unknown as Logger & { newScope(name: string): Logger }
  off.newScope = () => off
  return { forComponent: () => off }
}

export async function createStack(opts: StackOptions): Promise<NodeStack> {
  const logger = libp2pLogger()
  const l = opts.limits
  const guard =
    l === undefined
      ? undefined
      : new ConnectionGuard({
          perIp: l.connectionsPerIp,
          perPeer: l.connectionsPerPeer,
          handshakeTimeoutMs: l.handshakeTimeoutMs,
          ...(opts.allow ? { allow: opts.allow } : {}),
          ...(opts.onRefused ? { onRefused: opts.onRefused } : {}),
          ...(opts.penalized ? { penalized: opts.penalized } : {}),
        })
  const node = (await createLibp2p({
    privateKey: opts.privateKey,
    start: false,
    ...(logger !== undefined ? { logger } : {}),
    addresses: { listen: [...opts.listen] },
    // net.connect takes localAddress; the transport's option type names only a subset.
    transports: [tcp(opts.dialFrom !== undefined ? { dialOpts: { localAddress: opts.dialFrom } as TCPSocketOptions } : {})],
    // One socket write per event-loop turn: see coalesce-writes.ts.
    connectionEncrypters: [coalescingEncrypter(noise({ crypto: noiseCrypto }))],
    // Streams a dialer opens the instant its side of the handshake is done can reach us before our
    // side has set the connection up; libp2p holds at most 10 such early streams and past that
    // aborts the whole connection (a stock client starting 30 lookups at once lost all of them).
    // Up to the per-connection stream budget are held instead, as they would be a moment later.
    streamMuxers: [yamux(l !== undefined ? { maxEarlyStreams: l.streamsPerConnection } : {})],
    connectionManager: {
      maxConnections: opts.maxConnections ?? 1024,
      inboundConnectionThreshold: opts.inboundConnectionThreshold ?? 64,
      ...(opts.allow !== undefined ? { allow: [...opts.allow] } : {}),
      // Handshakes in flight, node-wide, and how long one may take: a few slow or silent sockets
      // must not hold every slot (the per-IP budget below keeps one address to its share).
      ...(l !== undefined ? { maxIncomingPendingConnections: l.pendingConnections, inboundUpgradeTimeout: l.handshakeTimeoutMs } : {}),
    },
    ...(guard !== undefined || opts.allowPeer !== undefined ? { connectionGater: withPeerGate(guard?.gater() ?? {}, opts.allowPeer) } : {}),
    ...(opts.connectionMonitorMs !== undefined
      ? { connectionMonitor: opts.connectionMonitorMs > 0 ? { pingInterval: opts.connectionMonitorMs } : { enabled: false } }
      : {}),
    services: { identify: identify(), ping: ping() },
  })) as unknown as NodeStack
  guard?.attach((peer) => node.getConnections(peer))
  if (opts.onRefused !== undefined) countAcceptRefusals(node, opts.onRefused)
  return node
}

/** The connection manager's state behind its accept decision (js-libp2p 3; private there). */
interface AcceptInternals {
  acceptIncomingConnection?: (maConn: MultiaddrConnection) => boolean
  incomingPendingConnections?: number
  maxIncomingPendingConnections?: number
  maxConnections?: number
  getConnections?: () => unknown[]
}

/**
 * libp2p refuses an inbound socket before any gater sees it when its node-wide handshake slots
 * are taken, the address is past its new-connections-per-second threshold, or the node holds
 * maxConnections, and only logs it. Each such refusal is counted here, by the reason libp2p had
 * (`pending-connections`, `connections-rate`, `max-connections`). Without those internals (another
 * libp2p) nothing is counted and nothing else changes.
 */
function countAcceptRefusals(node: NodeStack, onRefused: (reason: string) => void): void {
  const cm = (node as unknown as { components?: { connectionManager?: AcceptInternals } }).components?.connectionManager
  const accept = cm?.acceptIncomingConnection
  if (cm === undefined || typeof accept !== 'function') return
  cm.acceptIncomingConnection = (maConn: MultiaddrConnection): boolean => {
    if (accept.call(cm, maConn)) return true
    // A refusal changes none of these, so they still say which check refused.
    const pendingFull = (cm.incomingPendingConnections ?? 0) >= (cm.maxIncomingPendingConnections ?? Infinity)
    const connectionsFull = (cm.getConnections?.call(cm).length ?? 0) >= (cm.maxConnections ?? Infinity)
    onRefused(pendingFull ? 'pending-connections' : connectionsFull ? 'max-connections' : 'connections-rate')
    return false
  }
}

/** The guard's gater, plus refusing dials and connections to and from peers `allow` rejects. */
function withPeerGate(base: ConnectionGater, allow: ((peer: string) => boolean) | undefined): ConnectionGater {
  if (allow === undefined) return base
  return {
    ...base,
    denyDialPeer: async (peer) => !allow(peer.toString()) || ((await base.denyDialPeer?.(peer)) ?? false),
    denyInboundEncryptedConnection: async (peer, conn) => !allow(peer.toString()) || ((await base.denyInboundEncryptedConnection?.(peer, conn)) ?? false),
    denyOutboundEncryptedConnection: async (peer, conn) => !allow(peer.toString()) || ((await base.denyOutboundEncryptedConnection?.(peer, conn)) ?? false),
  }
}

/** Starts the stack; a taken port becomes a BindError naming the address. */
export async function startStack(node: NodeStack, listen: readonly string[]): Promise<void> {
  try {
    await node.start()
  } catch (e) {
    const msg = String((e as Error)?.message ?? e)
    const code = (e as { code?: string }).code
    if (code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(msg)) {
      throw new BindError(`Bind: ${hostPortOf(listen[0] ?? '')} already in use`)
    }
    throw e
  }
}

/** "127.0.0.1:9444" from "/ip4/127.0.0.1/tcp/9444". */
export function hostPortOf(ma: string): string {
  const m = /^\/ip[46]\/([^/]+)\/tcp\/(\d+)/.exec(ma)
  return m ? `${m[1]}:${m[2]}` : ma
}

/** "/ip4/0.0.0.0/tcp/9444" from "0.0.0.0:9444" (IPv6 in brackets: "[::]:9444"). */
export function listenMultiaddr(hostPort: string): string {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(hostPort)
  if (v6) return `/ip6/${v6[1]}/tcp/${v6[2]}`
  const i = hostPort.lastIndexOf(':')
  return `/ip4/${hostPort.slice(0, i)}/tcp/${hostPort.slice(i + 1)}`
}
