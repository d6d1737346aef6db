// PQ peer authentication on every libp2p connection, and the admission decision built on it.
//
// Theory of operation: when a connection opens (either direction) we challenge the remote peer
// once on a stream of PQ_AUTH_PROTOCOL (protocol.ts) and remember the outcome per connection:
// a peer is PQ-authenticated while one of its connections carries a verified proof whose key
// matches its TOFU pin (pins.ts). We answer the peer's challenges to us the same way (at most
// MAX_PROOFS_PER_CONN per connection, and a global signing budget: signing costs CPU, so a peer
// cannot make us sign without bound). A stock peer does not speak the protocol: its challenge
// fails at protocol negotiation ("unsupported").
//
// Admission (the host's PeerAdmission hook): with `required` off, everything is admitted and PQ
// is only offered. With it on, an inbound kad request is served only after the challenge on its
// connection succeeded (it waits for a challenge in flight, bounded by the handshake timeout);
// a refused request counts in pq_downgrade_attempt_total, and a security log line (at most one
// per peer per minute) names the peer. Our own RPCs go only to PQ-authenticated peers, so our
// lookups skip the others; ADD_PROVIDER, which names its sender as provider, is therefore only
// accepted from PQ-authenticated providers. `required` changes at run time only through the
// audited admin path (the caller logs and emits the change).
import { randomBytes } from 'node:crypto'
import type { Connection, Stream } from '@libp2p/interface'
import type { NodeLogger } from '../log.js'
import type { NodeStack } from '../host/libp2p-node.js'
import type { PeerAdmission } from '../host/rpc-io.js'
import { FrameReader } from '../host/frame-reader.js'
import { encodeUvarint } from '../../wire/varint.js'
import type { PqIdentity } from './keys.js'
import { fingerprintOf } from './keys.js'
import { PinStore } from './pins.js'
import {
  MAX_PROOF_BYTES,
  NONCE_BYTES,
  PQ_AUTH_PROTOCOL,
  decodeChallenge,
  decodeProof,
  encodeChallenge,
  encodeProof,
  prove,
  verifyProof,
} from './protocol.js'

/** Time for one challenge: stream open, both frames, the verification. */
export const PQ_HANDSHAKE_TIMEOUT_MS = 10_000
/** Challenges of a peer we answer per connection (one is the protocol; a retry is tolerated). */
const MAX_PROOFS_PER_CONN = 2
/** Proofs we sign per second across all peers, and the burst above it. */
const PROOFS_PER_S = 200
const PROOF_BURST = 400
/** Security log lines per refused peer: one per this many ms. */
const SECURITY_LOG_EVERY_MS = 60_000
/** Peers remembered for the per-peer log limit. */
const MAX_LOG_MEMORY = 10_000

export type PqOutcome = 'ok' | 'unsupported' | 'timeout' | 'malformed' | 'bad-signature' | 'pin-mismatch' | 'reset' | 'closed'

export interface PqResult {
  readonly outcome: PqOutcome
  readonly fingerprint?: string
  readonly region?: string
  readonly ms: number
  /** Bytes on the wire of our challenge and the peer's proof (frames with their length prefixes). */
  readonly bytes: number
}


export interface PqObserver {
  handshake(outcome: PqOutcome, seconds: number, bytes: number): void
  downgrade(): void
  rejected(reason: string): void
}

export interface PqEventSink {
  emit(topic: string, data: Record<string, unknown>): void
}

export interface PqAuthOptions {
  readonly stack: NodeStack
  readonly identity: PqIdentity
  readonly required: boolean
  readonly log: NodeLogger
  readonly region?: string
  readonly pins?: PinStore
  readonly observer?: PqObserver
  readonly events?: PqEventSink
  readonly timeoutMs?: number
  /** Called when a peer becomes PQ-authenticated (the node may then route to it). */
  readonly onAuthenticated?: (conn: Connection) => void
}

interface PeerAuth {
  readonly fingerprint: string
  readonly region: string
  readonly conns: Set<string>
}

export class PqAuth implements PeerAdmission {
  required: boolean
  readonly pins: PinStore
  private readonly stack: NodeStack
  private readonly identity: PqIdentity
  private readonly log: NodeLogger
  private readonly region: string
  private readonly observer: PqObserver | undefined
  private readonly events: PqEventSink | undefined
  private readonly timeoutMs: number
  private readonly onAuthenticated: ((conn: Connection) => void) | undefined
  private readonly byConn = new Map<string, Promise<PqResult>>()
  private readonly proofsByConn = new Map<string, number>()
  private readonly peers = new Map<string, PeerAuth>()
  private readonly lastLog = new Map<string, number>()
  private tokens = PROOF_BURST
  private tokensAtMs = performance.now()
  private stopped = false

  constructor(opts: PqAuthOptions) {
    this.stack = opts.stack
    this.identity = opts.identity
    this.required = opts.required
    this.log = opts.log
    this.region = opts.region ?? ''
    this.pins = opts.pins ?? new PinStore()
    this.observer = opts.observer
    this.events = opts.events
    this.timeoutMs = opts.timeoutMs ?? PQ_HANDSHAKE_TIMEOUT_MS
    this.onAuthenticated = opts.onAuthenticated
  }

  get fingerprint(): string {
    return this.identity.fingerprint
  }

  /** Peers with a verified proof on an open connection. */
  get authenticatedPeers(): number {
    return this.peers.size
  }

  /** The verified PQ facts of a peer, if it is authenticated now. */
  peerInfo(peer: string): { fingerprint: string; region: string } | undefined {
    const p = this.peers.get(peer)
    return p === undefined ? undefined : { fingerprint: p.fingerprint, region: p.region }
  }

  /** Registers the protocol and challenges every connection from now on (and those open now). */
  async start(): Promise<void> {
    await this.stack.handle(PQ_AUTH_PROTOCOL, (stream, conn) => void this.answer(stream, conn), {
      maxInboundStreams: MAX_PROOFS_PER_CONN,
      maxOutboundStreams: 2,
    })
    this.stack.addEventListener('connection:open', (evt) => void this.resultFor(evt.detail))
    this.stack.addEventListener('connection:close', (evt) => this.forget(evt.detail))
    for (const c of this.stack.getConnections()) void this.resultFor(c)
  }

  stop(): void {
    this.stopped = true
  }

  // ------------------------------------------------------------------ admission

  admitInbound(conn: Connection): boolean | Promise<boolean> {
    if (!this.required) return true
    if (this.peers.has(conn.remotePeer.toString())) return true
    return this.resultFor(conn).then((r) => {
      if (r.outcome === 'ok' || !this.required) return true
      this.refused(conn, r.outcome)
      return false
    })
  }

  admitOutbound(conn: Connection): boolean | Promise<boolean> {
    if (!this.required) return true
    if (this.peers.has(conn.remotePeer.toString())) return true
    return this.resultFor(conn).then((r) => r.outcome === 'ok' || !this.required)
  }

  routable(peer: string): boolean {
    return !this.required || this.peers.has(peer)
  }

  /** The outcome of our challenge on `conn` (started on first ask). */
  resultFor(conn: Connection): Promise<PqResult> {
    let p = this.byConn.get(conn.id)
    if (p === undefined) {
      if (conn.status !== 'open' || this.stopped) return Promise.resolve({ outcome: 'closed', ms: 0, bytes: 0 })
      p = this.challenge(conn)
      this.byConn.set(conn.id, p)
    }
    return p
  }

  private refused(conn: Connection, outcome: PqOutcome): void {
    this.observer?.downgrade()
    this.observer?.rejected('pq-required')
    const peer = conn.remotePeer.toString()
    const now = performance.now()
    const last = this.lastLog.get(peer)
    const data = { peer_id: peer, remote_addr: conn.remoteAddr.toString(), pq_outcome: outcome }
    // Counted every time; logged and put on the event tail at most once per peer per interval, so
    // one peer's flood of refused requests cannot flush the tail's ring for everyone else.
    if (last !== undefined && now - last < SECURITY_LOG_EVERY_MS) return
    this.events?.emit('security', { event: 'pq_downgrade_refused', ...data })
    if (this.lastLog.size >= MAX_LOG_MEMORY) this.lastLog.clear()
    this.lastLog.set(peer, now)
    this.log.warn({ security: 'pq_downgrade_refused', ...data }, 'security: kad request refused: the peer has not completed PQ authentication (REQUIRE_PQ_ON)')
  }

  private forget(conn: Connection): void {
    this.byConn.delete(conn.id)
    this.proofsByConn.delete(conn.id)
    const peer = conn.remotePeer.toString()
    const p = this.peers.get(peer)
    if (p !== undefined) {
      p.conns.delete(conn.id)
      if (p.conns.size === 0) this.peers.delete(peer)
    }
  }

  // ------------------------------------------------------------------ challenger

  private async challenge(conn: Connection): Promise<PqResult> {
    const t0 = performance.now()
    const nonce = new Uint8Array(randomBytes(NONCE_BYTES))
    const me = this.stack.peerId.toMultihash().bytes
    const them = conn.remotePeer.toMultihash().bytes
    const signal = AbortSignal.timeout(this.timeoutMs)
    let stream: Stream | undefined
    let result: PqResult
    let bytes = 0
    try {
      stream = await conn.newStream(PQ_AUTH_PROTOCOL, { signal })
      const reader = new FrameReader(stream, { maxFrameBytes: MAX_PROOF_BYTES })
      const ch = encodeChallenge(nonce)
      bytes += ch.length + 1
      await writeFrame(stream, ch)
      const left = Math.max(1, this.timeoutMs - (performance.now() - t0))
      const r = await reader.next(left)
      reader.finish()
      void stream.close().catch(() => undefined)
      if (!r.ok) {
        result = this.done(conn, t0, r.error === 'timeout' ? 'timeout' : r.error === 'reset' ? 'reset' : 'malformed', bytes)
      } else {
        bytes += r.frame.length + (r.frame.length < 128 ? 1 : r.frame.length < 16384 ? 2 : 3)
        const d = decodeProof(r.frame)
        if (!d.ok) result = this.done(conn, t0, 'malformed', bytes)
        else if (!verifyProof(d.value, me, them, nonce)) result = this.done(conn, t0, 'bad-signature', bytes)
        else result = this.verified(conn, t0, fingerprintOf(d.value.publicKey), d.value.region, bytes)
      }
    } catch (e) {
      stream?.abort(e as Error)
      result = this.done(conn, t0, outcomeOf(e), bytes)
    }
    return result
  }

  private verified(conn: Connection, t0: number, fingerprint: string, region: string, bytes: number): PqResult {
    const peer = conn.remotePeer.toString()
    const verdict = this.pins.check(peer, fingerprint)
    if (verdict === 'mismatch') {
      const data = { peer_id: peer, remote_addr: conn.remoteAddr.toString(), pinned: this.pins.get(peer), presented: fingerprint }
      this.log.warn({ security: 'pq_key_changed', ...data }, 'security: a peer proved a PQ key other than the one pinned for it; not authenticated')
      this.events?.emit('security', { event: 'pq_key_changed', ...data })
      return this.done(conn, t0, 'pin-mismatch', bytes)
    }
    if (conn.status === 'open') {
      let p = this.peers.get(peer)
      if (p === undefined || p.fingerprint !== fingerprint) {
        p = { fingerprint, region, conns: new Set() }
        this.peers.set(peer, p)
      }
      p.conns.add(conn.id)
    }
    const r = this.done(conn, t0, 'ok', bytes, fingerprint, region)
    if (!this.stopped) this.onAuthenticated?.(conn)
    this.events?.emit('pq', { event: 'pq_authenticated', peer_id: peer, fingerprint, region, ms: r.ms, first_sight: verdict === 'pinned-now' })
    return r
  }

  private done(conn: Connection, t0: number, outcome: PqOutcome, bytes: number, fingerprint?: string, region?: string): PqResult {
    const ms = performance.now() - t0
    this.observer?.handshake(outcome, ms / 1000, bytes)
    if (outcome !== 'ok') this.log.debug({ peer_id: conn.remotePeer.toString(), pq_outcome: outcome }, 'pq authentication not completed')
    return { outcome, ms, bytes, ...(fingerprint !== undefined ? { fingerprint } : {}), ...(region !== undefined ? { region } : {}) }
  }

  // ------------------------------------------------------------------ prover

  private async answer(stream: Stream, conn: Connection): Promise<void> {
    const n = (this.proofsByConn.get(conn.id) ?? 0) + 1
    this.proofsByConn.set(conn.id, n)
    if (n > MAX_PROOFS_PER_CONN || !this.takeToken()) {
      this.observer?.rejected('pq-proof-budget')
      stream.abort(new Error('pq proof budget'))
      return
    }
    try {
      const reader = new FrameReader(stream, { maxFrameBytes: 1 + NONCE_BYTES })
      const r = await reader.next(this.timeoutMs)
      reader.finish()
      if (!r.ok) {
        stream.abort(new Error(r.error))
        return
      }
      const ch = decodeChallenge(r.frame)
      if (!ch.ok) {
        this.observer?.rejected('pq-malformed')
        stream.abort(new Error(ch.error))
        return
      }
      const mine = new Uint8Array(randomBytes(NONCE_BYTES))
      const proof = prove(this.identity, conn.remotePeer.toMultihash().bytes, this.stack.peerId.toMultihash().bytes, ch.value, mine, this.region)
      await writeFrame(stream, encodeProof(proof))
      await stream.close({ signal: AbortSignal.timeout(this.timeoutMs) })
    } catch (e) {
      stream.abort(e as Error)
    }
  }

  private takeToken(): boolean {
    const now = performance.now()
    this.tokens = Math.min(PROOF_BURST, this.tokens + ((now - this.tokensAtMs) / 1000) * PROOFS_PER_S)
    this.tokensAtMs = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

/** Writes one length-prefixed frame, waiting for the stream to drain if it asks to. */
async function writeFrame(stream: Stream, payload: Uint8Array): Promise<void> {
  const prefix = encodeUvarint(payload.length)
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix, 0)
  out.set(payload, prefix.length)
  if (!stream.send(out)) await stream.onDrain()
}

function outcomeOf(e: unknown): PqOutcome {
  const name = (e as Error)?.name ?? ''
  if (name === 'UnsupportedProtocolError' || /protocol selection failed|not supported/i.test(String((e as Error)?.message))) return 'unsupported'
  if (name === 'AbortError' || name === 'TimeoutError') return 'timeout'
  return 'reset'
}
