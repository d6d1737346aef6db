// Theory of operation
// -------------------
// DhtEngine is the whole Kademlia node as a sans-IO state machine. A driver (the simulator or the
// real node) calls step(nowMs, input) for every input — a message, a transport failure, a timer,
// a lookup request — and applies what comes back: messages to send, events to record, and the
// time at which it must call step({kind:'timer'}) again. The engine never reads a clock, never
// draws unseeded randomness and never does IO, so the same inputs always give the same outputs.
//
// Inside: a routing table (k-buckets with liveness checks), a provider store, iterative lookups
// behind a bounded semaphore with a bounded wait queue (back-pressure: beyond it lookups are shed
// with "busy"), a per-peer rate limiter for inbound requests, and one timer heap for RPC
// timeouts, hedges, bucket refresh, provider expiry and republish, bootstrap liveness and join
// retries. Readiness mirrors the node's /readyz: joined, a live bootstrap, a warm table.
// The deadline a step returns skips wake-ups that would change nothing — timers of answered RPCs
// and finished lookups, bootstrap polls that would not ping — but never one where readiness could
// flip: a step is the only place a flip is reported.
import type { EngineConfig } from './config.js'
import type { NodeId } from './ids.js'
import { commonPrefixLength, randomIdInBucket, toHex } from './ids.js'
import type { Rng } from './rng.js'
import type { Contact, EngineEvent, EngineStats, Input, LookupOp, Message, Output, Readiness, Request, Response, Send } from './types.js'
import { OBS_FULL, OBS_REJECTED_BUCKET, OBS_REJECTED_TABLE, RoutingTable } from './routing-table.js'
import type { TableEntry } from './routing-table.js'
import { ProviderStore } from './provider-store.js'
import { RateLimiter } from './rate-limiter.js'
import { TimerHeap } from './timer-heap.js'
import { IdWindow } from './id-window.js'
import { ANSWERED, Lookup } from './lookup.js'
import { SizeEstimator, estimateSize } from './size-estimator.js'
import { RttEstimator } from './rtt-estimator.js'
import type { Candidate, LookupPurpose } from './lookup.js'
import { MAX_CANDIDATES_PER_PATH, LOOKUP_QUORUM, LIVENESS_CHECK_AFTER_MS, JOIN_RETRY_BASE_MS, JOIN_RETRY_MAX_MS, PROVIDER_SWEEP_MS, KEY_BYTES } from './constants.js'
import { BadInputError } from './errors.js'

export interface EngineOptions {
  readonly self: Contact
  readonly config: EngineConfig
  readonly rng: Rng
}


/**
 * A timer's payload as one number, arg * 8 + kind (no object per armed timer: every request arms
 * an RPC timeout). arg is the rpc id, the lookup id or the bootstrap poll's number (< 2^50: exact
 * in a double).
 */
type TimerPayload = number
const T_RPC = 0
const T_HEDGE = 1
const T_REFRESH = 2
const T_SWEEP = 3
const T_BOOTSTRAP = 4
const T_JOIN = 5
const T_REPUBLISH = 6

type Pending =
  | { readonly purpose: 'lookup'; readonly to: Contact; readonly sentMs: number; readonly lookup: Lookup; readonly cand: Candidate; slow: boolean }
  | { readonly purpose: 'liveness'; readonly to: Contact; readonly sentMs: number; readonly head: TableEntry }
  | { readonly purpose: 'bootstrap'; readonly to: Contact; readonly sentMs: number }

interface QueuedLookup {
  readonly op: LookupOp
  readonly key: Uint8Array
  readonly target: NodeId
  readonly tag: number
  readonly purpose: LookupPurpose
  readonly queuedMs: number
}

interface Provided {
  readonly key: Uint8Array
  readonly target: NodeId
  dueMs: number
}

const EMPTY: readonly Contact[] = []
/** A step's output when it sent nothing / emitted nothing (frozen: drivers only read outputs). */
const NO_SENDS = Object.freeze([]) as unknown as Send[]
const NO_EVENTS = Object.freeze([]) as unknown as EngineEvent[]

export class DhtEngine {
  readonly self: Contact
  private cfg: EngineConfig
  private readonly rng: Rng
  private readonly table: RoutingTable
  private readonly store: ProviderStore
  private readonly limiter: RateLimiter
  private readonly timers = new TimerHeap<TimerPayload>()
  private readonly pending = new IdWindow<Pending>()
  private readonly active = new IdWindow<Lookup>()
  private readonly queue: QueuedLookup[] = []
  private readonly provided = new Map<string, Provided>()
  private readonly livenessBuckets = new Set<number>()
  private readonly sizeEstimator = new SizeEstimator()
  private readonly rtt = new RttEstimator()
  private bootstraps: readonly Contact[] = []
  /**
   * bootstraps.length, and whether inbound requests are rate-limited at all: read on every step,
   * kept in the engine object itself (the array and the limiter are objects of their own, one
   * cache line more each time, and 10,000 simulated engines do not stay in cache).
   */
  private bootstrapCount = 0
  private rateLimited: boolean
  /** Per entry of `bootstraps`: when it last answered (-Infinity: never). */
  private bootstrapAnsweredMs = new Float64Array(0)
  /** The latest answer from any bootstrap (the readiness fast path). */
  private lastBootAnswerMs = -Infinity
  private bootstrapCursor = 0
  /** The bootstrap poll armed last (its tick and its number); earlier ones in the heap are dead. */
  private bootstrapPollMs = -Infinity
  private bootstrapPollSeq = 0
  private readonly rejected: Record<string, number> = {}
  private readonly served: Record<string, number> = {}
  private nextRpcId = 1
  private nextLookupId = 1
  private started = false
  private stopped = false
  private joined = false
  private joinAttempts = 0
  private lastReady = false
  private nowMs = 0
  // The current step's output; the shared empty arrays until something is pushed (most steps
  // emit no event, and many send nothing).
  private sends: Send[] = NO_SENDS
  private events: EngineEvent[] = NO_EVENTS

  constructor(opts: EngineOptions) {
    this.self = opts.self
    this.cfg = opts.config
    this.rng = opts.rng
    if (opts.self.id.length !== KEY_BYTES) throw new BadInputError(`engine: self id must be ${KEY_BYTES} bytes`)
    this.table = new RoutingTable(opts.self.id, this.cfg.k, this.cfg.replacementCacheSize, this.cfg.policy)
    this.store = new ProviderStore(this.cfg.maxProvidersPerKey, this.cfg.maxProviderKeys)
    this.limiter = new RateLimiter(this.cfg.policy.perPeerRatePerS, this.cfg.policy.perPeerBurst)
    this.rateLimited = !this.limiter.unlimited
  }

  get config(): EngineConfig {
    return this.cfg
  }

  /** Feeds one input at time nowMs; returns the sends, the events and the next deadline. */
  step(nowMs: number, input: Input): Output {
    this.nowMs = Math.max(this.nowMs, nowMs)
    this.sends = NO_SENDS
    this.events = NO_EVENTS
    if (!this.stopped) {
      switch (input.kind) {
        case 'start':
          this.onStart(input.bootstraps)
          break
        case 'message':
          this.onMessage(input.from, input.msg)
          break
        case 'rpc-failed':
          this.onRpcFailed(input.to, input.rpcId)
          break
        case 'timer':
          this.onTimers()
          break
        case 'lookup':
          this.requestLookup(input.op, input.key, input.target, input.tag, 'user')
          break
        case 'seed-contacts':
          for (const c of input.contacts) this.observe(c)
          break
        case 'stop':
          this.onStop()
          break
      }
      this.checkReadiness()
    }
    const out: Output = { sends: this.sends, events: this.events, nextDeadlineMs: this.stopped ? Infinity : this.nextDeadlineMs() }
    this.sends = NO_SENDS
    this.events = NO_EVENTS
    return out
  }

  /**
   * The earliest timer worth waking up for. Most requests are answered before their timeout, whose
   * timer then lies dead in the heap (lazy deletion); a wake-up for it alone would be a step that
   * changes nothing, so dead timers at the front are dropped here — unless readiness could flip at
   * their time: that wake-up is kept, as it is where the flip is seen.
   */
  private nextDeadlineMs(): number {
    const timers = this.timers
    for (let p = timers.peekPayload(); p !== undefined && this.isDeadTimer(p) && !this.readinessCouldFlipAt(timers.peekMs()); p = timers.peekPayload()) {
      timers.drop()
    }
    return timers.peekMs()
  }

  /**
   * Whether a wake-up at atMs could flip readiness, whatever steps come before it. checkReadiness
   * runs on every step and only the bootstrap window depends on the clock, so it could when the
   * window will have closed by atMs (answers only ever move it later) and may still be open at the
   * step before: it is open now (lastReady alone is not enough: a later step may make the node
   * ready, and a dropped timer is gone for good), or an answer yet to come could reopen it and it
   * would close again before atMs (atMs - nowMs longer than the window).
   */
  private readinessCouldFlipAt(atMs: number): boolean {
    if (this.bootstrapCount === 0) return false
    const windowMs = this.cfg.bootstrapLiveWindowMs
    const lastMs = this.lastBootAnswerMs
    return atMs - lastMs > windowMs && (this.nowMs - lastMs <= windowMs || atMs - this.nowMs > windowMs)
  }

  /** A timer whose firing would do nothing: an RPC already answered or failed, a hedge of a finished lookup. */
  private isDeadTimer(p: TimerPayload): boolean {
    const kind = p % 8
    if (kind === T_RPC) return !this.pending.has((p - kind) / 8)
    if (kind === T_HEDGE) return !this.active.has((p - kind) / 8)
    if (kind === T_BOOTSTRAP) return (p - kind) / 8 !== this.bootstrapPollSeq
    return false
  }

  private pushSend(s: Send): void {
    if (this.sends === NO_SENDS) this.sends = [s]
    else this.sends.push(s)
  }

  private emit(e: EngineEvent): void {
    if (this.events === NO_EVENTS) this.events = [e]
    else this.events.push(e)
  }

  readiness(nowMs: number): Readiness {
    const liveBootstraps = this.liveBootstraps(nowMs)
    const tableSize = this.table.size
    const tableWarm = tableSize >= this.cfg.warmTableSize
    const bootOk = this.bootstraps.length === 0 || liveBootstraps > 0
    const ready = this.started && !this.stopped && this.joined && bootOk && tableWarm
    let reason = ''
    if (!ready) {
      const why: string[] = []
      if (!this.started) why.push('not started')
      if (this.stopped) why.push('stopped')
      if (!this.joined) why.push('not joined')
      if (!bootOk) why.push('no live bootstrap')
      if (!tableWarm) why.push(`routing table cold (${tableSize} < ${this.cfg.warmTableSize})`)
      reason = why.join(', ')
    }
    return { ready, liveBootstraps, tableSize, tableWarm, joined: this.joined, reason }
  }

  stats(nowMs: number): EngineStats {
    return {
      tableSize: this.table.size,
      inflightLookups: this.active.size,
      queuedLookups: this.queue.length,
      providerKeys: this.store.keyCount,
      providerRecords: this.store.recordCount,
      liveBootstraps: this.liveBootstraps(nowMs),
      rejected: { ...this.rejected },
      served: { ...this.served },
    }
  }

  closest(target: NodeId, n: number): Contact[] {
    return this.table.closest(target, n)
  }

  contacts(): Contact[] {
    return this.table.all()
  }

  /** For invariant checks in tests and the simulator. */
  checkInvariants(): string | undefined {
    return this.table.checkInvariants()
  }

  bucketSizes(): number[] {
    return this.table.bucketSizes()
  }

  /** Hot reload of tunables (SIGHUP): the table, store and lookups are kept. */
  reconfigure(config: EngineConfig): void {
    this.cfg = config
    this.table.setPolicy(config.policy)
    this.store.setLimits(config.maxProvidersPerKey, config.maxProviderKeys)
    this.limiter.setRate(config.policy.perPeerRatePerS, config.policy.perPeerBurst)
    this.rateLimited = !this.limiter.unlimited
  }

  // ---------------------------------------------------------------- lifecycle

  private onStart(bootstraps: readonly Contact[]): void {
    if (this.started) return
    this.started = true
    this.bootstraps = bootstraps.filter((b) => b.peer !== this.self.peer)
    this.bootstrapCount = this.bootstraps.length
    this.bootstrapAnsweredMs = new Float64Array(this.bootstraps.length).fill(-Infinity)
    this.timers.push(this.nowMs + PROVIDER_SWEEP_MS, T_SWEEP)
    if (this.bootstraps.length > 0) this.armBootstrapPoll(this.nowMs + this.cfg.bootstrapPingIntervalMs)
    if (this.bootstraps.length === 0 && this.table.size === 0) {
      // The first node of a network: nobody to join through.
      this.joined = true
      this.timers.push(this.nowMs + this.cfg.refreshIntervalMs, T_REFRESH)
      return
    }
    this.join()
  }

  private join(): void {
    for (const b of this.bootstraps) this.observe(b)
    this.requestLookup('FIND_NODE', this.self.id, this.self.id, -1, 'join')
  }

  private onStop(): void {
    for (const l of this.active.values()) this.finish(l, 'stopped')
    for (const q of this.queue.splice(0)) if (q.purpose === 'user') this.emitDone(this.failedResult(q, 'stopped'))
    this.pending.clear()
    this.timers.clear()
    this.stopped = true
  }

  /**
   * The latest answer from any bootstrap (-Infinity: none yet); it only moves later. It is the
   * latest of the answers liveBootstraps counts, so liveBootstraps(t) is 0 exactly when
   * t - lastBootstrapAnswerMs > bootstrapLiveWindowMs (the simulator's alert rule asks that of
   * every peer, and can skip asking again while the window is open).
   */
  get lastBootstrapAnswerMs(): number {
    return this.lastBootAnswerMs
  }

  /** Bootstrap contacts that answered within the live window (readiness().liveBootstraps, without the rest). */
  liveBootstraps(nowMs: number): number {
    // None answered within the window: nothing to count (every answer also set lastBootAnswerMs).
    if (nowMs - this.lastBootAnswerMs > this.cfg.bootstrapLiveWindowMs) return 0
    let n = 0
    const answered = this.bootstrapAnsweredMs
    for (let i = 0; i < answered.length; i++) if (nowMs - answered[i]! <= this.cfg.bootstrapLiveWindowMs) n++
    return n
  }

  /** Runs after every step: the cheap boolean first, the full readiness only when it changed. */
  private checkReadiness(): void {
    const bootOk = this.bootstrapCount === 0 || this.nowMs - this.lastBootAnswerMs <= this.cfg.bootstrapLiveWindowMs
    const ready = this.started && !this.stopped && this.joined && bootOk && this.table.size >= this.cfg.warmTableSize
    if (ready !== this.lastReady) {
      this.lastReady = ready
      this.emit({ kind: 'ready-changed', ready, reason: ready ? 'ready' : this.readiness(this.nowMs).reason })
    }
  }

  // ---------------------------------------------------------------- timers

  private onTimers(): void {
    for (let p = this.timers.popDuePayload(this.nowMs); p !== undefined; p = this.timers.popDuePayload(this.nowMs)) {
      const kind = p % 8
      switch (kind) {
        case T_RPC:
          this.onRpcTimeout((p - kind) / 8)
          break
        case T_HEDGE: {
          const l = this.active.get((p - kind) / 8)
          if (l !== undefined) this.advance(l)
          break
        }
        case T_REFRESH:
          this.refresh()
          this.timers.push(this.nowMs + this.cfg.refreshIntervalMs, T_REFRESH)
          break
        case T_SWEEP:
          this.store.sweep(this.nowMs)
          this.timers.push(this.nowMs + PROVIDER_SWEEP_MS, T_SWEEP)
          break
        case T_BOOTSTRAP:
          if (this.isDeadTimer(p)) break // re-armed since, by a bootstrap answer
          this.pingBootstrap()
          this.armBootstrapPoll(this.nowMs + this.cfg.bootstrapPingIntervalMs)
          break
        case T_JOIN:
          if (!this.joined) this.join()
          break
        case T_REPUBLISH:
          this.republish()
          break
      }
    }
  }

  /**
   * Keeps the live-bootstrap count honest: one ping (to the next bootstrap in turn) when none
   * answered for a third of the live window, so readiness needs three misses in a row to drop.
   */
  private pingBootstrap(): void {
    if (this.bootstraps.length === 0 || !this.bootstrapPingDue(this.nowMs)) return
    const b = this.bootstraps[this.bootstrapCursor++ % this.bootstraps.length]!
    this.sendRequest(b, 'PING', this.self.id, this.self.id, EMPTY, { purpose: 'bootstrap', to: b, sentMs: this.nowMs })
  }

  /** Whether a bootstrap poll at atMs pings: no bootstrap answered for a third of the live window. */
  private bootstrapPingDue(atMs: number): boolean {
    return atMs - this.lastBootAnswerMs >= this.cfg.bootstrapLiveWindowMs / 3
  }

  /**
   * Arms the bootstrap poll at the first tick from fromMs on (fromMs, then one interval after
   * another: the same additions as a poll every interval) at which it would ping. The ticks in
   * between would be wake-ups that change nothing: no ping, and no readiness flip either (the
   * window is three times the ping threshold, so a tick where the window has closed pings).
   * A bootstrap answer calls it again from the armed tick, which may have become one of those;
   * the poll armed before is then dead. At most (window / 3) / interval + 1 iterations.
   */
  private armBootstrapPoll(fromMs: number): void {
    let atMs = fromMs
    while (!this.bootstrapPingDue(atMs)) atMs += this.cfg.bootstrapPingIntervalMs
    if (atMs === this.bootstrapPollMs) return
    this.bootstrapPollMs = atMs
    this.timers.push(atMs, ++this.bootstrapPollSeq * 8 + T_BOOTSTRAP)
  }

  /**
   * Refreshes stale buckets (see RoutingTable.staleBuckets), at most maxRefreshLookupsPerRound
   * lookups a round. The deepest bucket comes first, with a self-lookup, which keeps our
   * neighbourhood (the peers that store our records) current; then the buckets that lack the most
   * contacts (refreshNeediest).
   */
  private refresh(): void {
    if (!this.joined) return
    let budget = this.cfg.maxRefreshLookupsPerRound
    const deepest = this.table.deepestBucket()
    const stale = this.table.staleBuckets(this.nowMs - this.cfg.refreshIntervalMs, Math.max(deepest, 0))
    if (stale.length > 0 && stale[stale.length - 1]! >= deepest) {
      stale.pop()
      this.requestLookup('FIND_NODE', this.self.id, this.self.id, -1, 'refresh')
      budget--
    }
    this.refreshNeediest(stale, budget)
  }

  /**
   * Refresh lookups for the `budget` buckets among `stale` that lack the most contacts. A bucket i
   * covers 1/2^(i+1) of the keyspace, so it should hold min(k, N/2^(i+1)) contacts in a network of
   * N. A join's own lookup fills the buckets around its target and a few far ones, and leaves the
   * middle ones empty (measured at 10,000 peers: 91 % of peers had an empty bucket whose part of
   * the keyspace held >= 20 peers, most at depths 4-8); a lookup that meets only peers with that
   * hole never reaches the part of the keyspace behind it. Ties go to the shallower bucket (the
   * larger part of the keyspace). A bucket lacking less than a quarter of its contacts is left to
   * traffic and the replacement cache: at 10,000 peers such top-ups were 12 k of the 29 k periodic
   * refresh lookups in an hour (5 % of all messages), and without them lookups were as fast and
   * as successful (p95 431 ms, success 1.0).
   */
  private refreshNeediest(stale: readonly number[], budget: number): void {
    if (budget <= 0 || stale.length === 0) return
    const n = this.networkSizeEstimate() ?? Infinity
    const lack = (i: number): number => Math.min(this.cfg.k, n / 2 ** (i + 1)) - this.table.bucketSize(i)
    const order = stale.map((i) => ({ i, lack: lack(i) })).filter((b) => b.lack >= this.cfg.k / 4).sort((a, b) => b.lack - a.lack || a.i - b.i)
    for (const { i } of order.slice(0, budget)) {
      const target = randomIdInBucket(this.self.id, i, this.rng)
      this.requestLookup('FIND_NODE', target, target, -1, 'refresh')
    }
  }

  private republish(): void {
    let next = Infinity
    for (const p of this.provided.values()) {
      if (p.dueMs <= this.nowMs) {
        p.dueMs = this.nowMs + this.cfg.providerRepublishMs
        this.requestLookup('PROVIDE', p.key, p.target, -1, 'republish')
      }
      next = Math.min(next, p.dueMs)
    }
    if (next < Infinity) this.timers.push(next, T_REPUBLISH)
  }

  // ---------------------------------------------------------------- routing table upkeep

  /** A contact proved alive (it sent us something or answered). */
  private observe(c: Contact): void {
    if (c.id.length !== KEY_BYTES) return
    const r = this.table.observeCode(c, this.nowMs)
    if (r === OBS_REJECTED_BUCKET) {
      this.count(this.rejected, 'diversity-bucket')
    } else if (r === OBS_REJECTED_TABLE) {
      this.count(this.rejected, 'diversity-table')
    } else if (r === OBS_FULL) {
      const bucket = this.table.bucketIndex(c.id)
      if (!this.livenessBuckets.has(bucket) && this.nowMs - this.table.headSeenMs(bucket) >= LIVENESS_CHECK_AFTER_MS) {
        const head = this.table.headEntry(bucket)
        this.livenessBuckets.add(bucket)
        this.sendRequest(head.contact, 'PING', this.self.id, this.self.id, EMPTY, { purpose: 'liveness', to: head.contact, sentMs: this.nowMs, head })
      }
    }
  }

  private count(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1
  }

  // ---------------------------------------------------------------- RPC plumbing

  private sendRequest(to: Contact, type: Request['type'], key: Uint8Array, target: NodeId, providers: readonly Contact[], pending: Pending | undefined): number {
    const rpcId = this.nextRpcId++
    this.pushSend({ to, msg: { kind: 'request', rpcId, type, key, target, providers } })
    if (pending !== undefined) {
      this.pending.set(rpcId, pending)
      // A lookup stops waiting after the adaptive timeout (the query turns Slow); the contact is
      // charged a failure only after the configured per-hop timeout. Maintenance pings have no one
      // waiting on them and use the per-hop timeout alone.
      const waitMs = pending.purpose === 'lookup' ? this.rtt.timeoutMs(this.cfg.rpcTimeoutMs) : this.cfg.rpcTimeoutMs
      this.timers.push(this.nowMs + waitMs, rpcId * 8 + T_RPC)
    }
    return rpcId
  }

  private onMessage(from: Contact, msg: Message): void {
    if (from.id.length !== KEY_BYTES || from.peer === this.self.peer) {
      this.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'bad-sender' })
      return
    }
    if (msg.kind === 'request') this.onRequest(from, msg)
    else this.onResponse(from, msg)
  }

  private onRequest(from: Contact, req: Request): void {
    if (req.target.length !== KEY_BYTES) {
      this.count(this.rejected, 'malformed')
      this.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'malformed-target' })
      return
    }
    if (this.rateLimited && !this.limiter.allow(from.peer, this.nowMs)) {
      this.count(this.rejected, 'rate-limited')
      this.emit({ kind: 'request-rejected', peer: from.peer, reason: 'rate-limited' })
      if (req.type !== 'ADD_PROVIDER') this.respond(from, req, EMPTY, EMPTY, 'rate-limited')
      return
    }
    this.observe(from)
    this.count(this.served, req.type)
    const k = this.cfg.k
    switch (req.type) {
      case 'PING':
        this.respond(from, req, EMPTY, EMPTY)
        break
      case 'FIND_NODE':
        this.respond(from, req, this.table.closestSet(req.target, k, from.peer, true), EMPTY)
        break
      case 'GET_PROVIDERS':
        this.respond(from, req, this.table.closestSet(req.target, k, from.peer, true), this.store.get(toHex(req.target), this.nowMs, k))
        break
      case 'ADD_PROVIDER': {
        const claim = req.providers.find((p) => p.peer === from.peer)
        if (claim === undefined) {
          this.count(this.rejected, 'provider-not-sender')
          this.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'provider-not-sender' })
          break
        }
        const v = this.store.add(toHex(req.target), claim.id.length === KEY_BYTES ? claim : from, this.nowMs + this.cfg.providerTtlMs)
        if (v === 'key-full' || v === 'store-full') this.count(this.rejected, v)
        break
      }
    }
  }

  private respond(to: Contact, req: Request, closer: readonly Contact[], providers: readonly Contact[], error?: string): void {
    const msg: Response = error === undefined
      ? { kind: 'response', rpcId: req.rpcId, type: req.type, closer, providers }
      : { kind: 'response', rpcId: req.rpcId, type: req.type, closer, providers, error }
    this.pushSend({ to, msg })
  }

  private onResponse(from: Contact, res: Response): void {
    const p = this.pending.get(res.rpcId)
    if (p === undefined || p.to.peer !== from.peer) {
      // Late (already timed out) or unsolicited: the peer is alive, but the content is ignored.
      if (p === undefined) this.observe(from)
      else this.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'response-from-wrong-peer' })
      return
    }
    this.pending.delete(res.rpcId)
    // Only answers inside the adaptive timeout feed it: it estimates how long a quick answer takes.
    if (p.purpose === 'lookup' && !p.slow) this.rtt.sample(this.nowMs - p.sentMs)
    if (this.bootstrapCount > 0) this.noteBootstrapAnswer(from.peer)
    if (res.error !== undefined) {
      // Alive but refusing: not the contact's fault for the table, but no answer for the lookup.
      if (p.purpose === 'lookup') this.onLookupFailure(p.lookup, p.cand)
      if (p.purpose === 'liveness') this.livenessBuckets.delete(this.table.bucketIndex(p.to.id))
      return
    }
    this.observe(from)
    switch (p.purpose) {
      case 'lookup': {
        const k = this.cfg.k
        const closer = sanitize(res.closer, k)
        const providers = p.lookup.op === 'GET_PROVIDERS' ? sanitize(res.providers, k) : EMPTY
        if (res.closer.length > k || res.providers.length > k) this.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'oversized-response' })
        // A late answer from a replica that a finished PROVIDE left unconfirmed: store there now.
        if (p.lookup.takeDeferredProvide(p.cand)) this.sendRequest(p.to, 'ADD_PROVIDER', p.lookup.key, p.lookup.target, [this.self], undefined)
        p.lookup.answered(p.cand, closer, providers)
        this.advance(p.lookup)
        break
      }
      case 'liveness':
        this.livenessBuckets.delete(this.table.bucketIndex(p.to.id))
        break
      case 'bootstrap':
        break
    }
  }

  /** An answer from `peer`: when it is a bootstrap (every entry with its handle), it is live now. */
  private noteBootstrapAnswer(peer: string): void {
    const bs = this.bootstraps
    let hit = false
    for (let i = 0; i < bs.length; i++) {
      if (bs[i]!.peer === peer) {
        this.bootstrapAnsweredMs[i] = this.nowMs
        hit = true
      }
    }
    if (!hit) return
    this.lastBootAnswerMs = this.nowMs
    this.armBootstrapPoll(this.bootstrapPollMs)
  }

  private onRpcTimeout(rpcId: number): void {
    const p = this.pending.get(rpcId)
    if (p === undefined) return
    const hardMs = p.sentMs + this.cfg.rpcTimeoutMs
    if (p.purpose === 'lookup' && !p.slow && this.nowMs < hardMs) {
      p.slow = true
      this.timers.push(hardMs, rpcId * 8 + T_RPC)
      p.lookup.slow(p.cand)
      this.advance(p.lookup)
      return
    }
    this.pending.delete(rpcId)
    this.failRpc(p)
  }

  private onRpcFailed(to: Contact, rpcId: number): void {
    const p = this.pending.get(rpcId)
    if (p === undefined || p.to.peer !== to.peer) return
    this.pending.delete(rpcId)
    this.failRpc(p)
  }

  private failRpc(p: Pending): void {
    switch (p.purpose) {
      case 'lookup':
        this.table.fail(p.to, this.nowMs, this.cfg.maxContactFailures)
        this.onLookupFailure(p.lookup, p.cand)
        break
      case 'liveness':
        this.livenessBuckets.delete(this.table.bucketIndex(p.to.id))
        this.table.fail(p.to, this.nowMs, this.cfg.maxContactFailures, true)
        break
      case 'bootstrap':
        break
    }
  }

  // ---------------------------------------------------------------- lookups

  private requestLookup(op: LookupOp, key: Uint8Array, target: NodeId, tag: number, purpose: LookupPurpose): void {
    if (target.length !== KEY_BYTES) throw new BadInputError(`lookup target must be ${KEY_BYTES} bytes, got ${target.length}`)
    const q: QueuedLookup = { op, key, target, tag, purpose, queuedMs: this.nowMs }
    if (this.active.size < this.cfg.maxInflightLookups) {
      this.begin(q)
    } else if (purpose === 'join' || this.queue.length < this.cfg.maxQueuedLookups) {
      this.queue.push(q)
    } else if (purpose === 'user') {
      this.count(this.rejected, 'busy')
      this.emitDone(this.failedResult(q, 'busy'))
    }
  }

  private begin(q: QueuedLookup): void {
    const cfg = this.cfg
    const l = new Lookup(this.nextLookupId++, q.op, q.key, q.target, q.tag, q.queuedMs, q.purpose, this.self.peer, {
      k: cfg.k,
      alpha: cfg.alpha,
      beta: cfg.beta,
      hedgeDelayMs: cfg.hedgeDelayMs,
      disjointPaths: cfg.disjointPaths,
      maxQueries: cfg.maxQueriesPerLookup,
      maxCandidatesPerPath: MAX_CANDIDATES_PER_PATH,
      providersWanted: cfg.providersWanted,
      quorum: LOOKUP_QUORUM,
      fullNeighbourhood: cfg.policy.sybilDetection,
    })
    this.active.set(l.id, l)
    this.table.touch(q.target, this.nowMs)
    if (q.op === 'GET_PROVIDERS') l.addLocalProviders(this.store.get(toHex(q.target), this.nowMs, cfg.k))
    l.seed(this.table.closest(q.target, cfg.k * pathCount(cfg)))
    this.advance(l)
  }

  /** Sends what the lookup wants sent, or finishes it. */
  private advance(l: Lookup): void {
    if (!this.active.has(l.id)) return
    if (l.isDone(this.nowMs)) {
      this.finish(l)
      return
    }
    const qs = l.nextQueries(this.nowMs)
    const type = l.op === 'GET_PROVIDERS' ? 'GET_PROVIDERS' : 'FIND_NODE'
    for (const c of qs) {
      this.sendRequest(c.contact, type, l.key, l.target, EMPTY, { purpose: 'lookup', to: c.contact, sentMs: this.nowMs, lookup: l, cand: c, slow: false })
    }
    if (this.cfg.beta > 0) {
      // Wake up when the next in-flight query turns slow, so a hedge may go out — also when no
      // new query went out this time (slow queries late in a lookup hedged too). One pending
      // wake-up per lookup time is enough.
      const hedgeAt = l.nextHedgeMs(this.nowMs)
      if (hedgeAt < Infinity && hedgeAt !== l.hedgeArmedMs) {
        l.hedgeArmedMs = hedgeAt
        this.timers.push(hedgeAt, l.id * 8 + T_HEDGE)
      }
    }
    if (l.isDone(this.nowMs)) this.finish(l)
  }

  private onLookupFailure(l: Lookup, c: Candidate): void {
    l.failed(c)
    this.advance(l)
  }

  private finish(l: Lookup, error?: string): void {
    if (!this.active.has(l.id)) return
    if (error === undefined && this.densityCheck(l)) return
    this.active.delete(l.id)
    l.stop()
    const closestC = l.result(this.nowMs)
    l.failInflight()
    const closest = closestC.map((c) => c.contact)
    let messages = l.messages
    let success = error === undefined && closest.length > 0
    let err = error ?? (closest.length === 0 ? 'exhausted' : undefined)
    if (l.op === 'GET_PROVIDERS' && error === undefined) {
      success = l.providers.length > 0
      err = success ? undefined : 'not-found'
    }
    if (l.op === 'PROVIDE' && error === undefined) {
      // Records go to replicas that answered; one that is still silent (far, or dead) gets its
      // record when its late answer comes in, and never if it does not.
      const n = Math.min(this.cfg.replication, closestC.length)
      for (let i = 0; i < n; i++) {
        const c = closestC[i]!
        if (c.state !== ANSWERED) {
          l.deferProvide(c)
          continue
        }
        this.sendRequest(c.contact, 'ADD_PROVIDER', l.key, l.target, [this.self], undefined)
        messages++
      }
      this.store.add(toHex(l.target), this.self, this.nowMs + this.cfg.providerTtlMs)
      if (l.purpose === 'user') this.rememberProvided(l.key, l.target)
    }
    if (l.purpose === 'join') this.onJoinDone(closest.length > 0)
    if (l.purpose === 'user') {
      this.emitDone({
        tag: l.tag, op: l.op, target: l.target, startMs: l.startMs, endMs: this.nowMs,
        hops: success ? l.hops(closestC) : 0, messages, success, closest, providers: l.providers, error: err,
      })
    }
    this.drainQueue()
  }

  /**
   * Sybil-density check (policy.sybilDetection), once per lookup: when the closest answers crowd
   * the target far more tightly than the network size predicts, exclude the cluster and let the
   * lookup continue beyond it. Returns true when it took the lookup over (continued or finished it).
   */
  private densityCheck(l: Lookup): boolean {
    if (l.densityChecked) return false
    l.densityChecked = true
    const closest = l.closestAnswered().map((c) => c.contact)
    const local = estimateSize(l.target, closest)
    if (local === undefined) return false
    const policy = this.cfg.policy
    const network = this.networkSizeEstimate()
    if (!policy.sybilDetection || network === undefined || local <= policy.sybilDensityFactor * network) {
      if (closest.length >= this.cfg.k / 2) this.sizeEstimator.add(local)
      return false
    }
    // Honest peers sit at about i/N: anything closer than k/(N·factor) is packed tighter than the
    // first few honest neighbours could be.
    const marked = l.excludeCluster(this.cfg.k / (network * policy.sybilDensityFactor))
    if (marked === 0) return false
    this.count(this.rejected, 'sybil-suspect')
    this.emit({ kind: 'sybil-suspected', target: l.target, ratio: local / network })
    this.advance(l) // continues beyond the cluster, or finishes the lookup (the check ran: no recursion)
    return true
  }

  /**
   * The network-size estimate: the larger of the upper quartile over recent lookups and what our
   * own neighbourhood in the routing table says (peers that found us by their own self-lookups).
   * Undefined until either is available.
   */
  networkSizeEstimate(): number | undefined {
    const fromLookups = this.sizeEstimator.estimate()
    const neighbours = this.table.closest(this.self.id, this.cfg.k)
    const fromTable = neighbours.length >= this.cfg.k / 2 ? estimateSize(this.self.id, neighbours) : undefined
    if (fromLookups === undefined) return fromTable
    return fromTable === undefined ? fromLookups : Math.max(fromLookups, fromTable)
  }

  private drainQueue(): void {
    while (this.queue.length > 0 && this.active.size < this.cfg.maxInflightLookups) this.begin(this.queue.shift()!)
  }

  private rememberProvided(key: Uint8Array, target: NodeId): void {
    const hex = toHex(target)
    if (this.provided.has(hex) || this.provided.size >= this.cfg.maxProviderKeys) return
    const dueMs = this.nowMs + this.cfg.providerRepublishMs
    this.provided.set(hex, { key, target, dueMs })
    if (this.provided.size === 1) this.timers.push(dueMs, T_REPUBLISH)
  }

  private onJoinDone(ok: boolean): void {
    if (ok) {
      const first = !this.joined
      this.joined = true
      this.joinAttempts = 0
      if (first) {
        this.timers.push(this.nowMs + this.cfg.refreshIntervalMs, T_REFRESH)
        this.refreshFarBuckets()
      }
      return
    }
    this.joinAttempts++
    const base = Math.min(JOIN_RETRY_MAX_MS, JOIN_RETRY_BASE_MS * 2 ** Math.min(this.joinAttempts - 1, 16))
    const retryInMs = Math.round(base * (0.5 + this.rng.next()))
    this.emit({ kind: 'bootstrap-round-failed', attempt: this.joinAttempts, retryInMs })
    this.timers.push(this.nowMs + retryInMs, T_JOIN)
  }

  /** After joining: populate buckets farther than our closest neighbour (Kademlia's join). */
  private refreshFarBuckets(): void {
    const nearest = this.table.closest(this.self.id, 1)[0]
    if (nearest === undefined) return
    const upTo = commonPrefixLength(this.self.id, nearest.id) - 1
    this.refreshNeediest(this.table.staleBuckets(this.nowMs - this.cfg.refreshIntervalMs, upTo), this.cfg.maxRefreshLookupsPerRound)
  }

  private failedResult(q: QueuedLookup, error: string) {
    return {
      tag: q.tag, op: q.op, target: q.target, startMs: q.queuedMs, endMs: this.nowMs, hops: 0, messages: 0,
      success: false, closest: EMPTY, providers: EMPTY, error,
    }
  }

  private emitDone(r: Omit<Extract<EngineEvent, { kind: 'lookup-done' }>, 'kind'>): void {
    this.emit({ kind: 'lookup-done', ...r })
  }
}

function pathCount(cfg: EngineConfig): number {
  return Math.max(1, Math.floor(cfg.disjointPaths))
}

/** Drops malformed contacts and truncates to `max`: remote input never breaks the engine. */
function sanitize(list: readonly Contact[], max: number): readonly Contact[] {
  let ok = list.length <= max
  if (ok) for (const c of list) if (c.id.length !== KEY_BYTES) ok = false
  if (ok) return list
  const out: Contact[] = []
  for (const c of list) {
    if (c.id.length === KEY_BYTES) out.push(c)
    if (out.length >= max) break
  }
  return out
}
