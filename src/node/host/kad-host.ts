// (Over 400 lines: every inbound check runs here in the order the bytes arrive — stream budget,
// request budget, PQ, frame, sender, provider quota, engine — and reads best as one path, so a
// reviewer can see that nothing is decoded, stored or converted before it is admitted. The
// pieces that stand alone are beside it: frame-reader, byte-budget, provider-quota, rpc-io.)
// The node's driver of the engine: real time and real libp2p streams around DhtEngine.
//
// Theory of operation: everything the engine does goes through `step(nowMs, input)`, always
// from this class and never re-entrantly (inputs arrive from stream callbacks and one timer,
// each a separate macrotask). The outputs are applied at once:
//   - a Response is written on the inbound stream its rpcId was given for (map rpcId -> stream),
//     then the stream is closed; an unanswered request's stream is closed after the step;
//   - a Request opens a fresh stream to the peer (as kad clients do) and its answer or failure
//     comes back as a `message` or `rpc-failed` input (rpc-io.ts);
//   - events update metrics and logs, and settle the promises of lookups started here;
//   - one timer is armed at nextDeadlineMs and calls step({kind:'timer'}).
// Inbound streams: one length-prefixed Message per request (a peer may send several in a row on
// one stream, as stock kad-dht allows). They reach onInbound through inbound-fast-path.ts (our
// own multistream echo, no per-stream peer-store write) or, for connections and dialers it
// leaves alone, through libp2p's registrar; the handling is the same. Bad frames and undecodable messages are counted by
// reason, logged and the stream is aborted: remote bytes never throw into the engine.
import type { Connection, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { DhtEngine } from '../../engine/engine.js'
import type {
  Contact,
  EngineEvent,
  Input,
  LookupOp,
  LookupResult,
  Output,
  Request,
  Response,
  RpcType,
  Send,
} from '../../engine/index.js'
import { decodeMessage, type WireMessage, type WirePeer } from '../../wire/message.js'
import type { NodeLogger } from '../log.js'
import type { ContactBook} from './contacts.js';
import { sha256 } from './contacts.js'
import { ByteBudget } from './byte-budget.js'
import { FrameReader } from './frame-reader.js'
import { installInboundFastPath } from './inbound-fast-path.js'
import { KAD_PROTOCOL, type NodeStack } from './libp2p-node.js'
import { DEFAULT_LIMITS, type NodeLimits } from './limits.js'
import { DROP, type LinkShaper } from '../shaper/link-shaper.js'
import { ProviderQuota } from './provider-quota.js'
import { allowList, ipOf } from './allow-list.js'
import { PenaltyBox } from './penalty-box.js'
import { idEquals, toHex } from '../../engine/ids.js'
import { RateLimiter } from '../../engine/rate-limiter.js'
import { CODE_TYPE, TYPE_CODE, closeQuietly, frame, sendRpc, sleep, type PeerAdmission, type RpcContext } from './rpc-io.js'

export { frame } from './rpc-io.js'

/** Requests one inbound stream may carry before we close it (a limit on everything). */
const MAX_REQUESTS_PER_STREAM = 16
/** A peer that opened a stream has this long to send a request. */
const INBOUND_IDLE_MS = 10_000
/** Longest key accepted in a request (CIDs and peer ids are well under 64 bytes). */
const MAX_KEY_BYTES = 256
/** Warnings about bad input logged per second at most; the rest are only counted. */
const MAX_WARN_LOGS_PER_S = 20

/** What the host reports to metrics; http/metrics.ts implements it. */
export interface HostObserver {
  rejected(reason: string): void
  served(op: string, result: string, seconds: number): void
  lookupDone(r: LookupResult): void
  bootstrapRoundFailed(attempt: number, retryInMs: number): void
  /** An inbound kad stream reached the handler through our fast path or libp2p's registrar. */
  inboundStream(path: 'fast' | 'libp2p'): void
  /** A peer was put in the penalty box after `refusals` refused requests (penalty-box.ts). */
  penalized?(peer: string, refusals: number, penaltyMs: number): void
}

export interface KadHostOptions {
  readonly stack: NodeStack
  readonly engine: DhtEngine
  readonly book: ContactBook
  readonly log: NodeLogger
  readonly observer?: HostObserver
  /** Per outbound RPC I/O bound (dial + write + read); the engine has its own timeout. */
  readonly rpcIoTimeoutMs: number
  /** Fault injection on kad frames (off: undefined). */
  readonly shaper?: LinkShaper
  /** Per-peer budgets (default DEFAULT_LIMITS). */
  readonly limits?: NodeLimits
  /** Who may be served and sent to (PQ enforcement); absent: everyone. */
  readonly admission?: PeerAdmission
  /** Multiaddr prefixes of trusted peers, exempt from the request budget (as from libp2p's limits). */
  readonly allow?: readonly string[]
  /** The penalty box the connection gater also reads (default: one of its own, from `limits`). */
  readonly penalty?: PenaltyBox
  /** Each answered outbound request's round trip (the testbed's calibration reads them). */
  readonly onRpc?: RpcContext['timed']
}

interface PendingInbound {
  readonly stream: Stream
  readonly type: RpcType
  readonly key: Uint8Array
  readonly startMs: number
  readonly peer: string
  answered: boolean
}

const EMPTY = new Uint8Array(0)
/** The engine's reasons for not storing a provider record. */
const STORE_REFUSALS = ['key-full', 'store-full'] as const
/** The engine's reasons for refusing any request before its work (already counted by its event). */
const ENGINE_REFUSALS = ['rate-limited', 'overloaded'] as const

export class KadHost {
  readonly stack: NodeStack
  readonly engine: DhtEngine
  readonly book: ContactBook
  private readonly log: NodeLogger
  private readonly observer: HostObserver | undefined
  private readonly inbound = new Map<number, PendingInbound>()
  private readonly lookups = new Map<number, (r: LookupResult) => void>()
  private nextInboundRpc = 1
  private nextTag = 1
  /** Inbound kad streams being served (see inboundServing). */
  private serving = 0
  private timer: NodeJS.Timeout | undefined
  private armedAtMs = Infinity
  private stopped = false
  private warnSecond = -1
  private warnCount = 0
  private warnSuppressed = 0
  private readonly t0 = performance.now()
  private readonly rpc: RpcContext
  private readonly admission: PeerAdmission | undefined
  private uninstallFastPath: (() => void) | undefined
  private readonly shaper: LinkShaper | undefined
  readonly limits: NodeLimits
  /** Bytes of kad frames buffered per peer, inbound and outbound streams alike. */
  readonly buffers: ByteBudget
  /** Provider records per announcing peer (admission before the engine's store). */
  readonly providerQuota: ProviderQuota
  /** The same per source IP, all of its peer ids together (allowed addresses exempt). */
  private readonly ipProviderQuota: ProviderQuota
  /** Inbound requests per peer per second, checked before a request is read. */
  private readonly requestBudget: RateLimiter
  /** The same per source IP, all of its peer ids together. */
  private readonly ipRequestBudget: RateLimiter
  /** Each connection's source IP, read once (admission runs for every stream). */
  private readonly ipOfConn = new WeakMap<Connection, string>()
  /** Peers cut off for exceeding their request budget again and again. */
  readonly penalty: PenaltyBox
  private readonly allowed: (addr: Multiaddr) => boolean

  constructor(opts: KadHostOptions) {
    this.stack = opts.stack
    this.engine = opts.engine
    this.book = opts.book
    this.log = opts.log
    this.observer = opts.observer
    this.shaper = opts.shaper
    this.admission = opts.admission
    this.limits = opts.limits ?? DEFAULT_LIMITS
    this.buffers = new ByteBudget(this.limits.bufferedBytesPerPeer, this.limits.bufferedBytesTotal)
    this.requestBudget = new RateLimiter(this.limits.requestsPerPeerPerS, this.limits.requestBurstPerPeer)
    this.ipRequestBudget = new RateLimiter(this.limits.requestsPerIpPerS, this.limits.requestBurstPerIp)
    this.penalty = opts.penalty ?? new PenaltyBox(this.limits.penaltyRefusals, this.limits.penaltyMs)
    this.allowed = allowList(opts.allow ?? [])
    // Tracked entries stay near the store's own records (refusals are forgotten); twice its size is slack.
    this.providerQuota = new ProviderQuota(this.limits.providerRecordsPerPeer, opts.engine.config.providerTtlMs, 2 * opts.engine.config.maxProviderKeys)
    this.ipProviderQuota = new ProviderQuota(this.limits.providerRecordsPerIp, opts.engine.config.providerTtlMs, 2 * opts.engine.config.maxProviderKeys)
    this.rpc = {
      stack: opts.stack,
      book: opts.book,
      log: opts.log,
      self: { id: opts.engine.self.id, key: opts.stack.peerId.toMultihash().bytes },
      rpcIoTimeoutMs: opts.rpcIoTimeoutMs,
      firstContactTimeoutMs: opts.engine.config.firstContactTimeoutMs,
      budget: this.buffers,
      maxPeersPerList: opts.engine.config.k + 1,
      input: (i) => this.input(i),
      rejected: (reason) => this.observer?.rejected(reason),
      ...(opts.shaper !== undefined ? { shaper: opts.shaper } : {}),
      ...(opts.admission !== undefined ? { admission: opts.admission } : {}),
      ...(opts.onRpc !== undefined ? { timed: opts.onRpc } : {}),
    }
  }

  /** Milliseconds on the engine's clock (monotonic). */
  now(): number {
    return performance.now() - this.t0
  }

  /** Registers the kad handler and identify hook. Call after the stack started. */
  async register(): Promise<void> {
    const maxInboundStreams = this.limits.streamsPerConnection
    // Our own outbound streams: bounded by the engine's lookups, not by a peer.
    const maxOutboundStreams = 1024
    const handler = (stream: Stream, conn: Connection, early?: Uint8Array): void => {
      this.onInbound(stream, conn, early).catch((e: unknown) => stream.abort(e instanceof Error ? e : new Error(String(e))))
    }
    // libp2p's handler: advertised by identify, used by connections the fast path leaves alone.
    await this.stack.handle(
      KAD_PROTOCOL,
      (stream, conn) => {
        this.observer?.inboundStream('libp2p')
        if (!this.admitRequest(conn)) {
          stream.abort(new Error('request budget exceeded'))
          return
        }
        handler(stream, conn)
      },
      { maxInboundStreams, maxOutboundStreams },
    )
    // Inbound kad streams skip libp2p's per-stream negotiation layer (see inbound-fast-path.ts).
    // Which path each stream took is counted, so a libp2p upgrade that silently turns the fast
    // path off shows in ron_dht_inbound_streams_total{path} (and fails the fast-path test).
    this.uninstallFastPath = installInboundFastPath(this.stack, {
      protocol: KAD_PROTOCOL,
      handler: (stream, conn, early) => {
        this.observer?.inboundStream('fast')
        handler(stream, conn, early)
      },
      maxInboundStreams,
      negotiationTimeoutMs: INBOUND_IDLE_MS,
      admit: (conn) => this.admitRequest(conn),
      refund: (conn) => this.refundRequest(conn),
      onRefused: (reason, conn) => this.streamRefused(conn, reason),
    })
    this.stack.addEventListener('peer:identify', (evt) => {
      const { peerId, listenAddrs, protocols } = evt.detail
      const addrs = listenAddrs.map((a) => a.toString())
      this.book.updateAddrs(peerId, addrs)
      // Like stock kad-dht's topology listener: a peer that speaks kad is a routing candidate.
      if (!this.stopped && protocols.includes(KAD_PROTOCOL) && (this.admission?.routable(peerId.toString()) ?? true)) {
        this.input({ kind: 'seed-contacts', contacts: [this.book.fromPeerId(peerId, addrs)] })
      }
    })
  }

  /** Feeds one input to the engine and applies the outputs. */
  input(input: Input): void {
    if (this.stopped && input.kind !== 'stop') return
    let out: Output
    try {
      out = this.engine.step(this.now(), input)
    } catch (e) {
      // A broken engine invariant is a bug: log it loudly; the process supervisor restarts us.
      this.log.fatal({ err: String((e as Error)?.message ?? e), input: input.kind }, 'engine step failed')
      throw e
    }
    this.apply(out)
  }

  /** Starts a lookup; resolves when the engine reports it done (or stopped). */
  lookup(op: LookupOp, key: Uint8Array): Promise<LookupResult> {
    const tag = this.nextTag++
    return new Promise((resolve) => {
      this.lookups.set(tag, resolve)
      this.input({ kind: 'lookup', op, key, target: sha256(key), tag })
    })
  }

  /** Inbound kad streams being served now: admitted, and not yet answered (the overload monitor's inflight). */
  get inboundServing(): number {
    return this.serving
  }

  get inflightLookups(): number {
    return this.lookups.size
  }

  /** Stops the engine (pending lookups end "stopped") and the timer; streams are left to libp2p. */
  stopEngine(): void {
    if (this.stopped) return
    this.input({ kind: 'stop' })
    this.stopped = true
    this.uninstallFastPath?.()
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  // ------------------------------------------------------------------ outputs

  private apply(out: Output): void {
    for (const s of out.sends) this.dispatch(s)
    for (const e of out.events) this.onEvent(e)
    this.arm(out.nextDeadlineMs)
  }

  private arm(deadlineMs: number): void {
    if (this.stopped || !Number.isFinite(deadlineMs)) {
      if (this.timer !== undefined) clearTimeout(this.timer)
      this.timer = undefined
      this.armedAtMs = Infinity
      return
    }
    if (this.timer !== undefined && this.armedAtMs === deadlineMs) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.armedAtMs = deadlineMs
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.armedAtMs = Infinity
        this.input({ kind: 'timer' })
      },
      Math.max(0, Math.ceil(deadlineMs - this.now())),
    )
  }

  private dispatch(s: Send): void {
    if (s.msg.kind === 'response') this.respond(s.msg)
    else void sendRpc(this.rpc, s.to, s.msg)
  }

  private onEvent(e: EngineEvent): void {
    switch (e.kind) {
      case 'lookup-done': {
        this.observer?.lookupDone(e)
        const resolve = this.lookups.get(e.tag)
        if (resolve !== undefined) {
          this.lookups.delete(e.tag)
          resolve(e)
        }
        break
      }
      case 'ready-changed':
        this.log.info({ ready: e.ready, reason: e.reason }, 'readiness changed')
        break
      case 'peer-misbehaved':
        this.observer?.rejected(e.reason)
        if (this.warnBudget()) this.log.warn({ peer_id: e.peer, reason: e.reason }, 'peer misbehaved')
        break
      case 'request-rejected':
        this.observer?.rejected(e.reason)
        this.log.debug({ peer_id: e.peer, reason: e.reason }, 'request rejected')
        break
      case 'bootstrap-round-failed':
        this.observer?.bootstrapRoundFailed(e.attempt, e.retryInMs)
        this.log.warn({ attempt: e.attempt, retry_in_ms: e.retryInMs }, 'BootstrapTimeout')
        break
      case 'sybil-suspected':
        this.log.warn({ ratio: e.ratio }, 'sybil suspected')
        break
      case 'provide-stored':
        // The caller had its answer (lookup-done with `storing`); the wider store is done now.
        this.log.debug({ messages: e.messages, placed: e.placed }, 'provide stored on the wider region')
        break
    }
  }

  // ------------------------------------------------------------------ inbound

  private async onInbound(stream: Stream, conn: Connection, early?: Uint8Array): Promise<void> {
    // Admission before any byte is read: a refused peer's request is never decoded.
    if (this.admission !== undefined && !(await this.admission.admitInbound(conn))) {
      stream.abort(new Error('pq-required'))
      return
    }
    const peer = conn.remotePeer.toString()
    const reader = new FrameReader(stream, { ...(early !== undefined ? { early } : {}), budget: this.buffers, peer })
    this.serving++
    try {
      await this.serveStream(stream, conn, reader)
    } finally {
      this.serving--
      reader.finish({ onTrailing: () => this.observer?.rejected('trailing-bytes'), lingerMs: INBOUND_IDLE_MS })
    }
  }

  /**
   * One token of the peer's request budget and one of its address's (the first request of a
   * stream pays when the stream is opened, or before it is echoed; later ones on the same stream
   * before they are decoded). Refusals are counted: `rate-limited` for the peer's budget,
   * `ip-rate-limited` for its address's; the refusal that reaches the penalty threshold puts the
   * peer in the penalty box.
   */
  private admitRequest(conn: Connection): boolean {
    const now = this.now()
    const peer = conn.remotePeer.toString()
    if (this.penalty.penalized(peer, now) && !this.allowed(conn.remoteAddr)) {
      // A stream on a connection that outlived the penalty's start (closing takes a moment).
      this.observer?.rejected('penalized')
      conn.abort(new Error('penalized'))
      return false
    }
    if (!this.requestBudget.allow(peer, now)) return this.overBudget(conn, peer, now, 'rate-limited')
    const ip = this.sourceIp(conn)
    if (ip !== undefined && !this.ipRequestBudget.allow(ip, now)) {
      this.requestBudget.refund(peer)
      return this.overBudget(conn, peer, now, 'ip-rate-limited')
    }
    return true
  }

  /** Gives back the tokens of a stream admitted at its opening that was not a kad request. */
  private refundRequest(conn: Connection): void {
    this.requestBudget.refund(conn.remotePeer.toString())
    const ip = this.sourceIp(conn)
    if (ip !== undefined) this.ipRequestBudget.refund(ip)
  }

  /** Over a budget: allowed addresses pass anyway; anyone else is refused, counted and struck. */
  private overBudget(conn: Connection, peer: string, now: number, reason: string): boolean {
    if (this.allowed(conn.remoteAddr)) return true
    this.observer?.rejected(reason)
    if (this.penalty.strike(peer, now)) this.penalize(conn, peer)
    return false
  }

  /**
   * A stream reset for a limit of the connection's (`streams-per-connection`): counted, and, as a
   * peer that keeps opening streams past its limit is flooding as surely as one over its request
   * budget, struck in the penalty box like a request refusal (allowed addresses are not struck).
   */
  private streamRefused(conn: Connection, reason: string): void {
    this.observer?.rejected(reason)
    if (this.allowed(conn.remoteAddr)) return
    const peer = conn.remotePeer.toString()
    if (this.penalty.strike(peer, this.now())) this.penalize(conn, peer)
  }

  private sourceIp(conn: Connection): string | undefined {
    let ip = this.ipOfConn.get(conn)
    if (ip === undefined) {
      ip = ipOf(conn.remoteAddr) ?? ''
      this.ipOfConn.set(conn, ip)
    }
    return ip === '' ? undefined : ip
  }

  /** Closes every connection of a peer just put in the penalty box, and says so. */
  private penalize(conn: Connection, peer: string): void {
    const refusals = this.penalty.threshold
    const penaltyMs = this.penalty.durationMs
    this.observer?.penalized?.(peer, refusals, penaltyMs)
    this.log.warn({ peer_id: peer, refusals, penalty_ms: penaltyMs, addr: conn.remoteAddr.toString() }, 'peer penalized: refused again and again (request budget, stream limit); connections closed')
    for (const c of this.stack.getConnections(conn.remotePeer)) c.abort(new Error('penalized'))
    // The connection at hand may not be listed yet (a stream racing its own set-up).
    if (conn.status === 'open') conn.abort(new Error('penalized'))
  }

  private async serveStream(stream: Stream, conn: Connection, reader: FrameReader): Promise<void> {
    const from = this.book.fromPeerId(conn.remotePeer)
    this.book.noteSource(from, conn.remoteAddr.toString())
    for (let n = 0; n < MAX_REQUESTS_PER_STREAM; n++) {
      const r = await reader.next(INBOUND_IDLE_MS)
      if (r.ok && n > 0 && !this.admitRequest(conn)) {
        stream.abort(new Error('request budget exceeded'))
        return
      }
      if (!r.ok) {
        if (r.error === 'eof' || r.error === 'reset' || (n > 0 && r.error === 'timeout')) {
          // A clean end, a client that resets the stream once it has its answer, or one that gave
          // up before its request reached us (its own timeout, usually while we were busy): none
          // of them sent a bad byte, so none is a rejection or worth a warning.
          if (r.error === 'reset' && n === 0) this.log.debug({ peer_id: from.peer }, 'stream reset by the peer before its request')
          await closeQuietly(stream)
        } else {
          this.reject(stream, from.peer, r.error === 'over-budget' ? 'buffer-budget' : r.error)
        }
        return
      }
      const d = decodeMessage(r.frame)
      if (!d.ok) {
        this.reject(stream, from.peer, 'malformed', d.error)
        return
      }
      const type = CODE_TYPE[d.value.type]
      if (type === undefined) {
        this.reject(stream, from.peer, 'unsupported-type')
        return
      }
      const hold = this.shaper?.inbound(from.peer) ?? 0
      // A lost request is not handled; the asker times out and drops the stream.
      if (hold === DROP) return
      if (hold > 0) await sleep(hold)
      const done = this.handleRequest(stream, conn, from, type, d.value)
      if (done) return
      // ADD_PROVIDER and rejected requests end the stream; answered ones may be followed by more.
      if (type === 'ADD_PROVIDER') {
        await closeQuietly(stream)
        return
      }
    }
    await closeQuietly(stream)
  }

  /** Gives one request to the engine. Returns true when the stream is finished with. */
  private handleRequest(stream: Stream, conn: Connection, from: Contact, type: RpcType, msg: WireMessage): boolean {
    const key = msg.key ?? EMPTY
    if (key.length > MAX_KEY_BYTES) {
      this.reject(stream, from.peer, 'bad-key')
      return true
    }
    if (type === 'ADD_PROVIDER') return this.handleAddProvider(stream, conn, from, key, msg)
    const rpcId = this.nextInboundRpc++
    const pending: PendingInbound = { stream, type, key, startMs: this.now(), peer: from.peer, answered: false }
    this.inbound.set(rpcId, pending)
    const req: Request = { kind: 'request', rpcId, type, key, target: sha256(key), providers: [] }
    this.input({ kind: 'message', from, msg: req })
    if (this.inbound.has(rpcId)) {
      // The engine dropped the request without an answer: close the stream so the peer moves on.
      this.inbound.delete(rpcId)
      this.observer?.served(type, 'dropped', (this.now() - pending.startMs) / 1000)
      stream.abort(new Error('request dropped'))
      return true
    }
    // Not answered means refused (the stream was aborted in respond()).
    return !pending.answered
  }

  /**
   * ADD_PROVIDER, admitted before any work: only the sender may announce itself (as stock kad-dht
   * does), checked on the raw id bytes so a refused message converts none of its peers; then the
   * sender's quota of records, and its address's. The engine's verdict (stored, or refused
   * because the key or the store is full) is read from its counters: ADD_PROVIDER has no answer
   * on the wire.
   */
  private handleAddProvider(stream: Stream, conn: Connection, from: Contact, key: Uint8Array, msg: WireMessage): boolean {
    const startMs = this.now()
    const senderId = this.book.peerIdOf(from)?.toMultihash().bytes
    const claim = senderId === undefined ? undefined : msg.providerPeers.find((p) => idEquals(p.id, senderId))
    const provider = claim === undefined ? undefined : this.book.fromWire(claim)
    if (provider === undefined || provider.peer !== from.peer) {
      this.observer?.served('ADD_PROVIDER', 'rejected', (this.now() - startMs) / 1000)
      this.reject(stream, from.peer, 'provider-not-sender')
      return true
    }
    const target = sha256(key)
    const keyHex = toHex(target)
    const admitted = this.providerQuota.admit(from.peer, keyHex, startMs)
    if (admitted !== 'ok') {
      this.observer?.served('ADD_PROVIDER', 'rejected', (this.now() - startMs) / 1000)
      this.refuse(stream, from.peer, admitted)
      return true
    }
    // Identities cost nothing to make: an address is held to a quota of its own.
    const ip = this.allowed(conn.remoteAddr) ? undefined : this.sourceIp(conn)
    const forget = (): void => {
      this.providerQuota.forget(from.peer, keyHex)
      if (ip !== undefined) this.ipProviderQuota.forget(ip, keyHex)
    }
    const byIp = ip === undefined ? 'ok' : this.ipProviderQuota.admit(ip, keyHex, startMs)
    if (byIp !== 'ok') {
      this.providerQuota.forget(from.peer, keyHex)
      this.observer?.served('ADD_PROVIDER', 'rejected', (this.now() - startMs) / 1000)
      this.refuse(stream, from.peer, byIp === 'provider-quota' ? 'ip-provider-quota' : byIp)
      return true
    }
    const before = this.engine.stats(startMs).rejected
    const req: Request = { kind: 'request', rpcId: this.nextInboundRpc++, type: 'ADD_PROVIDER', key, target, providers: [provider] }
    this.input({ kind: 'message', from, msg: req })
    const after = this.engine.stats(this.now()).rejected
    for (const reason of STORE_REFUSALS) {
      if ((after[reason] ?? 0) > (before[reason] ?? 0)) {
        forget()
        this.observer?.served('ADD_PROVIDER', 'rejected', (this.now() - startMs) / 1000)
        this.refuse(stream, from.peer, reason)
        return true
      }
    }
    const refusal = ENGINE_REFUSALS.find((r) => (after[r] ?? 0) > (before[r] ?? 0))
    if (refusal !== undefined) {
      forget()
      this.observer?.served('ADD_PROVIDER', 'rejected', (this.now() - startMs) / 1000)
      stream.abort(new Error(refusal))
      return true
    }
    this.observer?.served('ADD_PROVIDER', 'ok', (this.now() - startMs) / 1000)
    return false
  }

  private respond(res: Response): void {
    const p = this.inbound.get(res.rpcId)
    if (p === undefined) return
    this.inbound.delete(res.rpcId)
    const seconds = (this.now() - p.startMs) / 1000
    if (res.error !== undefined) {
      this.observer?.served(p.type, 'rejected', seconds)
      p.stream.abort(new Error(res.error))
      return
    }
    p.answered = true
    this.observer?.served(p.type, 'ok', seconds)
    if (p.type === 'ADD_PROVIDER') return // stock clients read no answer to ADD_PROVIDER
    const wire: WireMessage = {
      type: TYPE_CODE[res.type],
      ...(p.key.length > 0 ? { key: p.key } : {}),
      // A peer without addresses is no use to the asker (stock kad-dht leaves them out too).
      closerPeers: this.wirePeers(res.closer),
      providerPeers: res.providers.map((c) => this.book.toWire(c)),
    }
    const write = (): void => {
      try {
        if (!p.stream.send(frame(wire))) void p.stream.onDrain().catch(() => undefined)
      } catch {
        // the peer went away: nothing to answer
      }
    }
    const hold = this.shaper?.outbound(p.peer) ?? 0
    // A lost answer is never written; the asker times out and drops the stream.
    if (hold === DROP) return
    if (hold > 0) setTimeout(write, hold)
    else write()
  }

  private wirePeers(contacts: readonly Contact[]): WirePeer[] {
    const out: WirePeer[] = []
    for (const c of contacts) {
      const w = this.book.toWire(c)
      if (w.addrs.length > 0) out.push(w)
    }
    return out
  }

  /** A well-formed request refused by a budget: counted and reset, logged only at debug. */
  private refuse(stream: Stream, peer: string, reason: string): void {
    this.observer?.rejected(reason)
    this.log.debug({ peer_id: peer, reason }, 'request refused')
    stream.abort(new Error(reason))
  }

  private reject(stream: Stream, peer: string, reason: string, detail?: string): void {
    this.observer?.rejected(reason)
    if (this.warnBudget()) this.log.warn({ peer_id: peer, reason, ...(detail !== undefined ? { detail } : {}) }, 'bad inbound frame')
    stream.abort(new Error(reason))
  }

  /** True while this second's budget of warnings lasts (a flood of garbage must not flood logs). */
  private warnBudget(): boolean {
    const sec = Math.floor(this.now() / 1000)
    if (sec !== this.warnSecond) {
      if (this.warnSuppressed > 0) this.log.warn({ suppressed: this.warnSuppressed }, 'bad inbound frames not logged (rate limit)')
      this.warnSecond = sec
      this.warnCount = 0
      this.warnSuppressed = 0
    }
    if (this.warnCount < MAX_WARN_LOGS_PER_S) {
      this.warnCount++
      return true
    }
    this.warnSuppressed++
    return false
  }
}
