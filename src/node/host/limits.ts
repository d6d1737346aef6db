// The node's per-peer budgets: what one remote peer (or one source address) may cost the node.
//
// Every limit here is enforced where the bytes or connections arrive (the host, the libp2p
// stack, the HTTP server), exported as the gauge ron_dht_limit{name} so an operator can read the
// budgets the running node holds, and every refusal is counted in rejected_total{reason}.
// The defaults hold on a 4-core / 8 GB replica with a few thousand peers; `strict` is tighter.
// docs/LIMITS.md explains each one and how to tell from the metrics that it is being hit.
import { MAX_FRAME_BYTES, MAX_PREFIX_BYTES } from '../../wire/frame.js'

export interface NodeLimits {
  /** Bytes of kad frames one peer may have buffered in the node at once (all its streams). */
  readonly bufferedBytesPerPeer: number
  /** Bytes of kad frames all peers together may have buffered at once. */
  readonly bufferedBytesTotal: number
  /** Concurrent inbound kad streams per connection. */
  readonly streamsPerConnection: number
  /** Open connections per remote peer id; newer ones beyond it are closed. */
  readonly connectionsPerPeer: number
  /** Open inbound connections per remote IP address. */
  readonly connectionsPerIp: number
  /** Inbound connections still in their handshake, node-wide (libp2p's pending limit). */
  readonly pendingConnections: number
  /** Time an inbound connection has to finish its encryption and muxer handshake. */
  readonly handshakeTimeoutMs: number
  /** Inbound kad requests per peer per second (token bucket refill). */
  readonly requestsPerPeerPerS: number
  /** Token bucket depth per peer. */
  readonly requestBurstPerPeer: number
  /**
   * Inbound kad requests per source IP per second, all its peer ids together: identities are
   * free to make, so the per-peer budget alone would let one address multiply its share.
   */
  readonly requestsPerIpPerS: number
  /** Token bucket depth per source IP. */
  readonly requestBurstPerIp: number
  /**
   * Refused requests within 10 s that put a peer in the penalty box (penalty-box.ts); 0: never.
   */
  readonly penaltyRefusals: number
  /** How long a peer stays in the penalty box: connections closed, new ones refused. */
  readonly penaltyMs: number
  /** Provider records one peer may hold in this node's store at once. */
  readonly providerRecordsPerPeer: number
  /** Provider records (keys) all the peer ids of one source IP may hold at once. */
  readonly providerRecordsPerIp: number
  /** Bytes the contact book may hold (peer ids and addresses learned from the network). */
  readonly contactBookBytes: number
  /** Open HTTP connections (client API, metrics, admin). */
  readonly httpConnections: number
  /** An HTTP connection with no request in flight is closed after this long. */
  readonly httpIdleTimeoutMs: number
}

const MiB = 1 << 20

export const DEFAULT_LIMITS: NodeLimits = {
  bufferedBytesPerPeer: 4 * MiB,
  bufferedBytesTotal: 128 * MiB,
  streamsPerConnection: 64,
  connectionsPerPeer: 4,
  connectionsPerIp: 32,
  pendingConnections: 256,
  handshakeTimeoutMs: 3_000,
  requestsPerPeerPerS: 500,
  requestBurstPerPeer: 1_000,
  requestsPerIpPerS: 2_000,
  requestBurstPerIp: 4_000,
  penaltyRefusals: 1_000,
  penaltyMs: 60_000,
  providerRecordsPerPeer: 1_000,
  providerRecordsPerIp: 2_000,
  contactBookBytes: 64 * MiB,
  httpConnections: 256,
  httpIdleTimeoutMs: 5_000,
}

export const STRICT_LIMITS: NodeLimits = {
  bufferedBytesPerPeer: MAX_FRAME_BYTES + MAX_PREFIX_BYTES + 64 * 1024,
  bufferedBytesTotal: 64 * MiB,
  streamsPerConnection: 32,
  connectionsPerPeer: 2,
  connectionsPerIp: 8,
  pendingConnections: 128,
  handshakeTimeoutMs: 2_000,
  requestsPerPeerPerS: 20,
  requestBurstPerPeer: 40,
  requestsPerIpPerS: 80,
  requestBurstPerIp: 160,
  penaltyRefusals: 200,
  penaltyMs: 300_000,
  providerRecordsPerPeer: 200,
  providerRecordsPerIp: 400,
  contactBookBytes: 32 * MiB,
  httpConnections: 128,
  httpIdleTimeoutMs: 5_000,
}

export function limitsFor(profile: 'default' | 'strict'): NodeLimits {
  return profile === 'strict' ? STRICT_LIMITS : DEFAULT_LIMITS
}

/** The metric label of each limit ("buffered_bytes_per_peer"). */
export function limitLabel(key: keyof NodeLimits): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}
