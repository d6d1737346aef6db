// (Over 400 lines: start() and drain() are the node's two orders of operations — what must be
// up before what, and what must stop before what — and are kept in one place so the order can be
// read and checked whole. Each part they wire has its own folder: host, http, pq, repair, shaper.)
// One production node: identity, libp2p stack, engine, kad host, HTTP, contact cache, drain.
//
// Theory of operation: start() binds the libp2p listeners and the HTTP server (a taken port is a
// BindError, exit 2), seeds the engine from the contact cache (unless amnesia), and feeds it
// `start` with the bootstrap contacts; from then on the engine drives joining, retries with
// jittered back-off and refreshes, and the host applies its outputs. Readiness is the AND of
// listeners bound, not draining, not degraded and the engine's own readiness (a bootstrap
// answered, table warm). drain() flips readiness to 503 first, waits (bounded) for in-flight
// lookups and client calls, saves the cache, stops the engine, then closes the listeners.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, PrivateKey } from '@libp2p/interface'
import { DhtEngine } from '../engine/engine.js'
import { SeededRng, type Contact, type EngineConfig, type LookupOp, type LookupResult, type RpcType } from '../engine/index.js'
import { ContactBook } from './host/contacts.js'
import { KadHost } from './host/kad-host.js'
import { createStack, startStack, KAD_PROTOCOL, type NodeStack } from './host/libp2p-node.js'
import { DEFAULT_LIMITS, type NodeLimits } from './host/limits.js'
import { PenaltyBox } from './host/penalty-box.js'
import { loadContacts, loadContent, loadIdentity, saveContacts, saveContent, CONTACT_CACHE_FILE, CONTENT_FILE } from './host/persist.js'
import { HttpServer, HttpError, type ReadinessReport } from './http/server.js'
import { adminRoutes, type AdminApi, type RepairRequest } from './http/admin.js'
import { addProvider, probeProviders } from './repair/direct-rpc.js'
import { measure, repair, type RepairDeps } from './repair/repair.js'
import { wireKeyToString } from '../wire/keys.js'
import { NodeMetrics } from './http/metrics.js'
import type { NodeLogger } from './log.js'
import { UserSpaceShaper, type ShaperOptions } from './shaper/link-shaper.js'
import { shaperRoutes } from './shaper/admin-route.js'
import { EventBus } from './events.js'
import { EventFeed } from './event-feed.js'
import { PqAuth } from './pq/auth.js'
import { loadPqIdentity, PQ_KEY_FILE } from './pq/keys.js'
import { PinStore, PQ_PINS_FILE } from './pq/pins.js'
import { OverloadMonitor } from './overload.js'

export interface DhtNodeOptions {
  /** libp2p listen multiaddrs ("/ip4/0.0.0.0/tcp/9444"). */
  readonly listen: readonly string[]
  readonly httpHost: string
  readonly httpPort: number
  readonly engine: EngineConfig
  /** Bootstrap multiaddrs with /p2p/<peer id>. */
  readonly bootstraps: readonly string[]
  readonly amnesia: boolean
  readonly dataDir?: string
  readonly identityFile?: string
  /** A ready-made key (tests, benches); otherwise loadIdentity. */
  readonly privateKey?: PrivateKey
  readonly adminToken?: string
  readonly drainTimeoutMs: number
  /** Also serve HTTP (admin without a token) on this Unix domain socket. */
  readonly adminSocket?: string
  /** Client API calls running at once before 429. */
  readonly maxClientInflight?: number
  /** Cache save period while running (amnesia off). */
  readonly cacheSaveIntervalMs?: number
  /** Multiaddr prefixes exempt from libp2p connection limits. */
  readonly allow?: readonly string[]
  /** REQUIRE_PQ_ON: serve and use only PQ-authenticated peers (PQ is always offered). */
  readonly requirePq?: boolean
  /**
   * False: no PQ challenge is sent or answered (a testbed of many nodes on one machine, where two
   * ML-DSA-87 signatures per connection would be most of the CPU). Refused with requirePq.
   */
  readonly pqOffered?: boolean
  /** Source address of outbound TCP connections (a testbed node on its own loopback address). */
  readonly dialFrom?: string
  /**
   * libp2p's connection monitor: it pings every open connection this often (ms) and aborts one
   * whose ping times out. Default: libp2p's (on, every 10 s); 0 switches it off.
   */
  readonly connectionMonitorMs?: number
  /**
   * prom-client's process and runtime metrics (process_*, nodejs_*) on /metrics; default on.
   * Off for many nodes in one process (the testbed's workers): see NodeMetrics.
   */
  readonly processMetrics?: boolean
  /** Each answered outbound request's round trip in ms, and whether it needed a connection first (the testbed's calibration). */
  readonly onRpc?: (type: RpcType, ms: number, firstContact: boolean) => void
  /** The user-space link shaper (fault injection): off unless given; `true` for no latency model. */
  readonly shaper?: boolean | Omit<ShaperOptions, 'self'>
  /** Where the ML-DSA-87 key lives; default: beside the cache in dataDir (none under amnesia). */
  readonly pqKeyFile?: string
  /** This node's region label, carried in its PQ proof (repair prefers regions). */
  readonly region?: string
  /** Per-peer budgets (default: DEFAULT_LIMITS; serve picks them by policy profile). */
  readonly limits?: NodeLimits
  readonly log: NodeLogger
  readonly version: string
  readonly commit: string
}

/** First cold-table rejoin after this long, doubling up to MAX_REJOIN_MS; a warm table is re-checked every COLD_CHECK_MS. */
const MAX_REJOIN_MS = 60_000
const COLD_CHECK_MS = 10_000

export class DhtNode implements AdminApi {
  stack!: NodeStack
  engine!: DhtEngine
  host!: KadHost
  http!: HttpServer
  readonly metrics: NodeMetrics
  readonly book: ContactBook
  readonly events = new EventBus()
  pq!: PqAuth
  private feed!: EventFeed
  private overload: OverloadMonitor | undefined
  degraded = false
  private draining = false
  private bound = false
  private cacheTimer: NodeJS.Timeout | undefined
  private rejoinTimer: NodeJS.Timeout | undefined
  /** Rejoin lookups run because the table stayed cold. */
  rejoins = 0
  /** Consecutive rejoin lookups that found no peer beyond the table (a small network). */
  private smallNetworkSeen = 0
  private stoppedP: Promise<void> | undefined
  httpPort = 0
  /** Present when the link shaper is switched on. */
  shaper: UserSpaceShaper | undefined
  /** Peers cut off for flooding: read by the connection gater and the kad host alike. */
  readonly penalty: PenaltyBox
  private limitsNow: NodeLimits

  constructor(readonly opts: DhtNodeOptions) {
    this.limitsNow = opts.limits ?? DEFAULT_LIMITS
    this.penalty = new PenaltyBox(this.limitsNow.penaltyRefusals, this.limitsNow.penaltyMs)
    this.book = new ContactBook(200_000, this.limits.contactBookBytes)
    this.metrics = new NodeMetrics(opts.version, opts.commit, {
      liveBootstraps: () => (this.engine ? this.engine.readiness(this.host.now()).liveBootstraps : 0),
      inflightLookups: () => (this.engine ? this.engine.stats(this.host.now()).inflightLookups : 0),
      tableSize: () => (this.engine ? this.engine.stats(this.host.now()).tableSize : 0),
      ready: () => this.readiness().ready,
      pqRequired: () => this.pq?.required === true,
      pqPeers: () => this.pq?.authenticatedPeers ?? 0,
      bufferedBytes: () => (this.host ? this.host.buffers.bytes : 0),
      limits: () => this.limits,
      connections: () => this.connectionCounts(),
      contactBookBytes: () => this.book.bytes,
      engineRejected: () => (this.engine ? this.engine.stats(this.host.now()).rejected : {}),
    }, opts.processMetrics ?? true)
    this.events.onDrop = () => this.metrics.eventSubscribersDropped.inc()
  }

  /** The budgets in force (the penalty's may change on reload; the others need a restart). */
  get limits(): NodeLimits {
    return this.limitsNow
  }

  /** New penalty-box thresholds (SIGHUP): peers already in the box keep their penalty. */
  setPenalty(refusals: number, penaltyMs: number): void {
    this.limitsNow = { ...this.limitsNow, penaltyRefusals: refusals, penaltyMs }
    this.penalty.configure(refusals, penaltyMs)
  }

  /** Open connections: all of them, and the most one peer id or one IP holds. */
  connectionCounts(): { total: number; maxPerPeer: number; maxPerIp: number } {
    if (!this.stack) return { total: 0, maxPerPeer: 0, maxPerIp: 0 }
    const conns = this.stack.getConnections()
    const byPeer = new Map<string, number>()
    const byIp = new Map<string, number>()
    for (const c of conns) {
      const p = c.remotePeer.toString()
      byPeer.set(p, (byPeer.get(p) ?? 0) + 1)
      const ip = c.remoteAddr.getComponents().find((x) => x.name === 'ip4' || x.name === 'ip6')?.value ?? ''
      byIp.set(ip, (byIp.get(ip) ?? 0) + 1)
    }
    let maxPerPeer = 0
    let maxPerIp = 0
    for (const v of byPeer.values()) maxPerPeer = Math.max(maxPerPeer, v)
    for (const v of byIp.values()) maxPerIp = Math.max(maxPerIp, v)
    return { total: conns.length, maxPerPeer, maxPerIp }
  }

  get peerId(): string {
    return this.stack.peerId.toString()
  }

  /** Listen addresses with /p2p/<id>, for others to bootstrap from. */
  get multiaddrs(): string[] {
    return this.stack.getMultiaddrs().map((a) => a.toString())
  }

  async start(): Promise<void> {
    const o = this.opts
    const key = o.privateKey ?? (await loadIdentity(o.identityFile, o.amnesia)).key
    this.stack = await createStack({
      privateKey: key,
      listen: o.listen,
      ...(o.dialFrom !== undefined ? { dialFrom: o.dialFrom } : {}),
      ...(o.connectionMonitorMs !== undefined ? { connectionMonitorMs: o.connectionMonitorMs } : {}),
      ...(o.allow ? { allow: o.allow } : {}),
      limits: this.limits,
      // Through the event feed once it exists, so connection refusals reach the event tail too.
      onRefused: (reason) => (this.feed !== undefined ? this.feed.rejected(reason) : this.metrics.rejected(reason)),
      penalized: (peer) => this.penalty.penalized(peer, this.host !== undefined ? this.host.now() : 0),
      ...(o.shaper !== undefined && o.shaper !== false ? { allowPeer: (p: string) => this.shaper?.dialAllowed(p) ?? true } : {}),
    })
    if (o.shaper !== undefined && o.shaper !== false) {
      this.shaper = new UserSpaceShaper({ ...(o.shaper === true ? {} : o.shaper), self: this.stack.peerId.toString() })
    }
    await startStack(this.stack, o.listen)
    const self = this.book.fromPeerId(this.stack.peerId, this.stack.getMultiaddrs().map((a) => a.toString()))
    this.engine = new DhtEngine({ self, config: o.engine, rng: new SeededRng(randomBytes(16).toString('hex')) })
    const writable = !o.amnesia && o.dataDir !== undefined
    const pqKeyFile = o.pqKeyFile ?? (writable ? join(o.dataDir, PQ_KEY_FILE) : undefined)
    const pins = new PinStore()
    if (writable) {
      const file = join(o.dataDir, PQ_PINS_FILE)
      await pins.load(file, (why) => o.log.warn({ security: 'pq_pins_damaged', file, err: why }, 'security: PQ pin file damaged; starting with no pins (keys are pinned again on first use)'))
    }
    this.pq = new PqAuth({
      stack: this.stack,
      identity: await loadPqIdentity(pqKeyFile, o.amnesia),
      required: o.requirePq === true,
      log: o.log,
      pins,
      observer: this.metrics,
      events: this.events,
      ...(o.region !== undefined ? { region: o.region } : {}),
      onAuthenticated: (conn) => void this.routeAuthenticated(conn),
    })
    if (o.pqOffered === false && o.requirePq === true) throw new Error('pqOffered: cannot be false with requirePq')
    if (o.pqOffered !== false) await this.pq.start()
    this.feed = new EventFeed(this.metrics, this.events, {
      tablePeers: () => (this.engine ? this.engine.contacts().map((c) => c.peer) : []),
      readiness: () => this.readiness(),
      engineRejected: () => (this.host !== undefined ? this.engine.stats(this.host.now()).rejected : {}),
    })
    this.host = new KadHost({
      stack: this.stack,
      engine: this.engine,
      book: this.book,
      log: o.log,
      observer: this.feed,
      rpcIoTimeoutMs: Math.max(2 * o.engine.rpcTimeoutMs, 2_000),
      admission: this.pq,
      limits: this.limits,
      penalty: this.penalty,
      ...(o.allow ? { allow: o.allow } : {}),
      ...(this.shaper !== undefined ? { shaper: this.shaper } : {}),
      ...(o.onRpc !== undefined ? { onRpc: o.onRpc } : {}),
    })
    await this.host.register()
    this.feed.start()
    // The engine's admission control hears the event-loop delay and the open inbound streams.
    this.overload = new OverloadMonitor({ feed: (l) => this.host.input({ kind: 'load', ...l }), inflight: () => this.host.inboundServing })
    this.overload.start()
    o.log.info({ pq_fingerprint: this.pq.fingerprint, require_pq_on: this.pq.required }, 'PQ authentication (ML-DSA-87) offered; Noise stays classical for confidentiality')
    this.http = new HttpServer({
      host: o.httpHost,
      port: o.httpPort,
      api: this,
      metrics: this.metrics,
      log: o.log,
      maxInflight: o.maxClientInflight ?? 64,
      routes: [...adminRoutes(this, o.log), ...shaperRoutes(() => this.shaper, o.log)],
      ...(o.adminSocket !== undefined ? { unixSocket: o.adminSocket } : {}),
      maxConnections: this.limits.httpConnections,
      idleTimeoutMs: this.limits.httpIdleTimeoutMs,
      ...(o.adminToken !== undefined ? { adminToken: o.adminToken } : {}),
    })
    try {
      this.httpPort = (await this.http.listen()).port
    } catch (e) {
      await this.stack.stop()
      throw e
    }
    this.bound = true
    if (!o.amnesia && o.dataDir !== undefined) {
      const cached = await loadContacts(o.dataDir)
      if (cached.length > 0) this.metrics.restarts.inc() // a previous run of this node left its cache
      const contacts: Contact[] = []
      for (const c of cached) {
        const k = this.book.fromPeerString(c.peer, c.addrs)
        if (k !== undefined && k.peer !== self.peer) contacts.push(k)
      }
      if (contacts.length > 0) {
        this.host.input({ kind: 'seed-contacts', contacts })
        o.log.info({ contacts: contacts.length }, 'routing table seeded from cache')
      }
      // What this node provided (re-announced once joined) and the records it held for others.
      const content = await loadContent(o.dataDir, (peer, addrs) => this.book.fromPeerString(peer, addrs), this.host.now(), Date.now())
      if (content.provided.length > 0 || content.records.length > 0) {
        this.host.input({ kind: 'seed-content', content })
        o.log.info({ provided_keys: content.provided.length, provider_records: content.records.length }, 'provided keys and provider records restored')
      }
      const every = o.cacheSaveIntervalMs ?? 60_000
      this.cacheTimer = setInterval(() => void this.saveCache(), every)
      this.cacheTimer.unref()
    }
    const bootstraps = this.bootstrapContacts()
    this.host.input({ kind: 'start', bootstraps })
    this.scheduleColdRejoin()
    o.log.info({ peer_id: self.peer, addrs: this.multiaddrs, http: `${o.httpHost}:${this.httpPort}`, bootstraps: bootstraps.length }, 'node started')
  }

  /** Under REQUIRE_PQ_ON identify alone does not make a peer routable; its PQ proof does. */
  private async routeAuthenticated(conn: Connection): Promise<void> {
    if (!this.pq.required || this.host === undefined) return
    try {
      const p = await this.stack.peerStore.get(conn.remotePeer)
      if (!p.protocols.includes(KAD_PROTOCOL)) return
      const addrs = p.addresses.map((a) => a.multiaddr.toString())
      this.host.input({ kind: 'seed-contacts', contacts: [this.book.fromPeerId(conn.remotePeer, addrs)] })
    } catch {
      // not identified yet: identify will find the peer routable
    }
  }

  /**
   * While the routing table is cold after the join, look our own id up again with backoff and
   * jitter (1 s doubling to 60 s): peers that joined after us, or whose connection set-up was
   * slower than a hop's timeout, are found without waiting for the next refresh.
   */
  private scheduleColdRejoin(delayMs = 1_000): void {
    const jittered = delayMs * (0.75 + Math.random() * 0.5)
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined
      if (this.draining || !this.bound) return
      const r = this.engine.readiness(this.host.now())
      if (r.tableWarm) {
        this.scheduleColdRejoin(COLD_CHECK_MS)
        return
      }
      this.rejoins++
      void this.host
        .lookup('FIND_NODE', this.stack.peerId.toMultihash().bytes)
        .then((res) => {
          // Every peer that answered is already in the table: the network has no more to give.
          const inTable = new Set(this.engine.contacts().map((c) => c.peer))
          const all = res.success && res.closest.length > 0 && res.closest.every((c) => inTable.has(c.peer))
          this.smallNetworkSeen = all ? this.smallNetworkSeen + 1 : 0
        })
        .finally(() => {
          if (!this.draining) this.scheduleColdRejoin(Math.min(delayMs * 2, MAX_REJOIN_MS))
        })
    }, jittered)
    this.rejoinTimer.unref()
  }

  private bootstrapContacts(): Contact[] {
    const out: Contact[] = []
    for (const s of this.opts.bootstraps) {
      try {
        const ma = multiaddr(s)
        const pid = ma.getComponents().find((c) => c.name === 'p2p')?.value
        if (pid === undefined) {
          this.opts.log.warn({ addr: s }, 'bootstrap address has no /p2p/<peer id>; skipped')
          continue
        }
        const c = this.book.fromPeerString(pid, [s])
        if (c !== undefined && c.peer !== this.peerId) out.push(c)
      } catch {
        this.opts.log.warn({ addr: s }, 'bootstrap address does not parse; skipped')
      }
    }
    return out
  }

  // ------------------------------------------------------------------ NodeApi

  readiness(): ReadinessReport {
    const r = this.engine ? this.engine.readiness(this.host.now()) : undefined
    // A network smaller than the warm threshold: the table is warm when it holds every peer
    // our own lookups can find (see scheduleColdRejoin).
    const small = r !== undefined && !r.tableWarm && r.tableSize > 0 && this.smallNetworkSeen >= 2
    const conditions = {
      listeners_bound: this.bound,
      not_draining: !this.draining,
      not_degraded: !this.degraded,
      bootstrap_answered: r !== undefined && (r.liveBootstraps > 0 || this.opts.bootstraps.length === 0) && r.joined,
      table_warm: (r?.tableWarm ?? false) || small,
    }
    const failing = Object.entries(conditions)
      .filter(([, v]) => !v)
      .map(([k]) => k)
    const ready = failing.length === 0 && r !== undefined && (r.ready || small)
    if (!ready && failing.length === 0) failing.push('engine')
    const reason = ready ? (small ? `ready: the table holds the whole network (${r.tableSize} peers, fewer than the warm threshold)` : 'ready') : (r?.reason ?? 'starting')
    return { ready, conditions, failing, reason }
  }

  lookup(op: LookupOp, key: Uint8Array, corrId: string): Promise<LookupResult> {
    return this.host.lookup(op, key).then((r) => {
      this.opts.log.info(
        { corr_id: corrId, op, hops: r.hops, ms: Math.round(r.endMs - r.startMs), success: r.success, ...(r.error ? { error: r.error } : {}) },
        'lookup done',
      )
      return r
    })
  }

  replication(): number {
    return this.engine.config.replication
  }

  /**
   * Switches REQUIRE_PQ_ON at run time. Callers are the audited admin path (either direction)
   * and SIGHUP (only off -> on: a reload may not downgrade). Logged at warn and emitted.
   */
  setRequirePq(on: boolean, by: string): { changed: boolean; require_pq_on: boolean } {
    const changed = this.pq.required !== on
    this.pq.required = on
    if (changed) {
      this.opts.log.warn({ audit: 'pq_toggle', require_pq_on: on, by }, `REQUIRE_PQ_ON switched ${on ? 'on' : 'off'}`)
      this.events.emit('pq', { event: 'require_pq_changed', require_pq_on: on, by })
    }
    return { changed, require_pq_on: on }
  }

  /** Applies new engine tunables (SIGHUP); the table, store and lookups are kept. */
  reconfigure(cfg: EngineConfig): void {
    this.engine.reconfigure(cfg)
  }

  // ------------------------------------------------------------------ AdminApi

  private readonly startedAt = Date.now()

  self(): Record<string, unknown> {
    return {
      peer_id: this.peerId,
      addrs: this.multiaddrs,
      pq_fingerprint: this.pq.fingerprint,
      require_pq_on: this.pq.required,
      region: this.opts.region ?? null,
      version: this.opts.version,
      commit: this.opts.commit,
    }
  }

  status(): Record<string, unknown> {
    const r = this.readiness()
    const st = this.engine.stats(this.host.now())
    return {
      ...this.self(),
      ready: r.ready,
      failing: r.failing,
      reason: r.reason,
      degraded: this.degraded,
      draining: this.draining,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      routing_table_peers: st.tableSize,
      inflight_lookups: st.inflightLookups,
      provider_records: st.providerRecords,
      connections: this.stack.getConnections().length,
      pq_authenticated_peers: this.pq.authenticatedPeers,
      pq_pins: this.pq.pins.size,
      event_subscribers: this.events.subscribers,
    }
  }

  peers(): Array<Record<string, unknown>> {
    return this.engine
      .contacts()
      .map((c) => {
        const pq = this.pq.peerInfo(c.peer)
        return { peer: c.peer, addrs: c.addrs, pq: pq !== undefined, ...(pq !== undefined ? { pq_fingerprint: pq.fingerprint, region: pq.region } : {}) }
      })
      .sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
  }

  private repairDeps(): RepairDeps {
    const ctx = { stack: this.stack, book: this.book, admission: this.pq, timeoutMs: Math.max(2 * this.opts.engine.rpcTimeoutMs, 2_000) }
    const selfPeer = this.peerId
    const selfWire = this.book.toWire(this.book.fromPeerId(this.stack.peerId))
    return {
      closest: async (key) => {
        const r = await this.host.lookup('FIND_NODE', key)
        if (r.error === 'stopped') throw new HttpError(503, 'not-ready', 'the node is shutting down')
        return r.closest.filter((c) => c.peer !== selfPeer)
      },
      probe: async (c, key) => {
        const p = await probeProviders(ctx, c, key)
        return p.ok ? p.providers : undefined
      },
      addProvider: (c, key) => addProvider(ctx, c, key, selfWire),
      self: this.stack.peerId.toMultihash().bytes,
      regionOf: (peer) => this.pq.peerInfo(peer)?.region,
    }
  }

  /** Copies of our provider record for `key` observed among the k closest peers (target: the copies sent). */
  async replicasOf(key: Uint8Array, target: number): Promise<number> {
    const m = await measure(this.repairDeps(), key)
    this.metrics.rfMeasured(wireKeyToString(key), m.holders.length, target)
    return m.holders.length
  }

  /**
   * Re-announces now every key this node provides (the runbook's eclipse response: records placed
   * before a switch to the strict profile may sit only on Sybils that never stored them). The
   * engine sends them in batches its lookup queue can take. Logged at warn and emitted.
   */
  reprovide(by: string): { keys: number } {
    const keys = this.engine.content().provided.length
    this.host.input({ kind: 'reprovide' })
    this.opts.log.warn({ audit: 'reprovide', keys, by }, 'provided keys re-announced through the admin API')
    this.events.emit('admin', { event: 'reprovide', keys, by })
    return { keys }
  }

  requestDrain(by: string): void {
    this.opts.log.warn({ audit: 'drain', by }, 'drain requested through the admin API')
    this.events.emit('admin', { event: 'drain_requested', by })
    // After this answer is written: the HTTP server closes as part of the drain.
    setImmediate(() => void this.drain())
  }

  private resolveStopped: () => void = () => undefined
  private readonly stoppedPromise = new Promise<void>((resolve) => {
    this.resolveStopped = resolve
  })

  /** Resolves when a drain (signal or admin) has finished. */
  whenStopped(): Promise<void> {
    return this.stoppedPromise
  }

  async replicas(key: Uint8Array, rfTarget: number): Promise<Record<string, unknown>> {
    const m = await measure(this.repairDeps(), key)
    const k = wireKeyToString(key)
    this.metrics.rfMeasured(k, m.holders.length, rfTarget)
    return { key: k, rf_observed: m.holders.length, rf_target: rfTarget, below_target: m.holders.length < rfTarget, holders: m.holders, non_holders: m.nonHolders.map((c) => c.peer), unreachable: m.unreachable }
  }

  async repair(r: RepairRequest): Promise<Record<string, unknown>> {
    const rep = await repair(this.repairDeps(), r.key, r.rf, r.preferRegion)
    const key = wireKeyToString(r.key)
    this.metrics.rfMeasured(key, rep.rf_after, rep.rf_target)
    const summary = { key, rf_target: rep.rf_target, rf_before: rep.rf_before, rf_after: rep.rf_after, status: rep.status, shortfall: rep.shortfall }
    this.opts.log.warn({ audit: 'repair', corr_id: r.corrId, ...summary }, rep.status === 'short' ? 'repair short of the replication factor' : 'repair done')
    this.events.emit('repair', { ...summary, added: rep.added.length })
    // `replicated` is the number of copies seen after the repair, never a count of targets.
    return { key, replicated: rep.rf_after, ...rep }
  }

  // ------------------------------------------------------------------ shutdown

  async saveCache(): Promise<void> {
    if (this.opts.amnesia || this.opts.dataDir === undefined || !this.engine) return
    try {
      await this.pq?.pins.save(join(this.opts.dataDir, PQ_PINS_FILE))
      const n = await saveContacts(this.opts.dataDir, this.engine.contacts())
      this.opts.log.debug({ contacts: n, file: join(this.opts.dataDir, CONTACT_CACHE_FILE) }, 'routing table cache saved')
      if (this.host !== undefined) {
        const c = await saveContent(this.opts.dataDir, this.engine.content(), this.host.now(), Date.now())
        this.opts.log.debug({ provided_keys: c.provided, provider_records: c.records, file: join(this.opts.dataDir, CONTENT_FILE) }, 'provided keys and provider records saved')
      }
    } catch (e) {
      this.opts.log.warn({ err: String((e as Error)?.message ?? e) }, 'routing table cache not saved')
    }
  }

  get isDraining(): boolean {
    return this.draining
  }

  /** Readiness off first, then bounded wait for in-flight work, then close everything. */
  drain(): Promise<void> {
    this.stoppedP ??= this.doDrain()
    return this.stoppedP
  }

  private async doDrain(): Promise<void> {
    this.draining = true
    const log = this.opts.log
    log.info({ inflight_lookups: this.host?.inflightLookups ?? 0 }, 'draining')
    const deadline = performance.now() + this.opts.drainTimeoutMs
    while (performance.now() < deadline && this.host !== undefined && (this.host.inflightLookups > 0 || this.http.clientInflight > 0)) {
      await new Promise((r) => setTimeout(r, 20))
    }
    if (this.host !== undefined && this.host.inflightLookups > 0) log.warn({ inflight_lookups: this.host.inflightLookups }, 'drain timeout: stopping with lookups in flight')
    if (this.cacheTimer !== undefined) clearInterval(this.cacheTimer)
    if (this.rejoinTimer !== undefined) clearTimeout(this.rejoinTimer)
    await this.saveCache()
    this.overload?.stop()
    this.host?.stopEngine()
    this.pq?.stop()
    this.feed?.stop()
    this.events.close()
    this.bound = false
    await Promise.allSettled([this.stack?.stop(), this.http?.close()])
    log.info({}, 'stopped')
    this.resolveStopped()
  }
}
