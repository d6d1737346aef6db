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
import type { PrivateKey } from '@libp2p/interface'
import { DhtEngine } from '../engine/engine.js'
import { SeededRng, type Contact, type EngineConfig, type LookupOp, type LookupResult } from '../engine/index.js'
import { ContactBook } from './host/contacts.js'
import { KadHost } from './host/kad-host.js'
import { createStack, startStack, type NodeStack } from './host/libp2p-node.js'
import { DEFAULT_LIMITS, type NodeLimits } from './host/limits.js'
import { loadContacts, loadIdentity, saveContacts, CONTACT_CACHE_FILE } from './host/persist.js'
import { HttpServer, type ReadinessReport } from './http/server.js'
import { NodeMetrics } from './http/metrics.js'
import type { NodeLogger } from './log.js'
import { UserSpaceShaper, type ShaperOptions } from './shaper/link-shaper.js'
import { shaperRoutes } from './shaper/admin-route.js'

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
  /** Client API calls running at once before 429. */
  readonly maxClientInflight?: number
  /** Cache save period while running (amnesia off). */
  readonly cacheSaveIntervalMs?: number
  /** Multiaddr prefixes exempt from libp2p connection limits. */
  readonly allow?: readonly string[]
  readonly requirePq?: boolean
  /** The user-space link shaper (fault injection): off unless given; `true` for no latency model. */
  readonly shaper?: boolean | Omit<ShaperOptions, 'self'>
  /** Per-peer budgets (default: DEFAULT_LIMITS; serve picks them by policy profile). */
  readonly limits?: NodeLimits
  readonly log: NodeLogger
  readonly version: string
  readonly commit: string
}

export class DhtNode {
  stack!: NodeStack
  engine!: DhtEngine
  host!: KadHost
  http!: HttpServer
  readonly metrics: NodeMetrics
  readonly book = new ContactBook()
  degraded = false
  private draining = false
  private bound = false
  private cacheTimer: NodeJS.Timeout | undefined
  private stoppedP: Promise<void> | undefined
  httpPort = 0
  /** Present when the link shaper is switched on. */
  shaper: UserSpaceShaper | undefined

  constructor(readonly opts: DhtNodeOptions) {
    this.metrics = new NodeMetrics(opts.version, opts.commit, {
      liveBootstraps: () => (this.engine ? this.engine.readiness(this.host.now()).liveBootstraps : 0),
      inflightLookups: () => (this.engine ? this.engine.stats(this.host.now()).inflightLookups : 0),
      tableSize: () => (this.engine ? this.engine.stats(this.host.now()).tableSize : 0),
      ready: () => this.readiness().ready,
      bufferedBytes: () => (this.host ? this.host.buffers.bytes : 0),
      limits: () => this.limits,
      connections: () => this.connectionCounts(),
    })
  }

  get limits(): NodeLimits {
    return this.opts.limits ?? DEFAULT_LIMITS
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
      ...(o.allow ? { allow: o.allow } : {}),
      ...(o.shaper !== undefined && o.shaper !== false ? { allowPeer: (p: string) => this.shaper?.dialAllowed(p) ?? true } : {}),
    })
    if (o.shaper !== undefined && o.shaper !== false) {
      this.shaper = new UserSpaceShaper({ ...(o.shaper === true ? {} : o.shaper), self: this.stack.peerId.toString() })
    }
    await startStack(this.stack, o.listen)
    const self = this.book.fromPeerId(this.stack.peerId, this.stack.getMultiaddrs().map((a) => a.toString()))
    this.engine = new DhtEngine({ self, config: o.engine, rng: new SeededRng(randomBytes(16).toString('hex')) })
    this.host = new KadHost({
      stack: this.stack,
      engine: this.engine,
      book: this.book,
      log: o.log,
      observer: this.metrics,
      rpcIoTimeoutMs: Math.max(2 * o.engine.rpcTimeoutMs, 2_000),
      ...(this.shaper !== undefined ? { shaper: this.shaper } : {}),
      limits: this.limits,
    })
    await this.host.register()
    if (o.requirePq === true) {
      o.log.warn({}, 'REQUIRE_PQ_ON: the libp2p transport (Noise XX, X25519) offers no post-quantum handshake; peers are counted in pq_downgrade_attempt_total')
      this.stack.addEventListener('connection:open', () => this.metrics.pqDowngrades.inc())
    }
    this.http = new HttpServer({
      host: o.httpHost,
      port: o.httpPort,
      api: this,
      metrics: this.metrics,
      log: o.log,
      maxInflight: o.maxClientInflight ?? 64,
      adminRoutes: shaperRoutes(() => this.shaper, o.log),
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
      const every = o.cacheSaveIntervalMs ?? 60_000
      this.cacheTimer = setInterval(() => void this.saveCache(), every)
      this.cacheTimer.unref()
    }
    const bootstraps = this.bootstrapContacts()
    this.host.input({ kind: 'start', bootstraps })
    o.log.info({ peer_id: self.peer, addrs: this.multiaddrs, http: `${o.httpHost}:${this.httpPort}`, bootstraps: bootstraps.length }, 'node started')
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
    const conditions = {
      listeners_bound: this.bound,
      not_draining: !this.draining,
      not_degraded: !this.degraded,
      bootstrap_answered: r !== undefined && (r.liveBootstraps > 0 || this.opts.bootstraps.length === 0) && r.joined,
      table_warm: r?.tableWarm ?? false,
    }
    const failing = Object.entries(conditions)
      .filter(([, v]) => !v)
      .map(([k]) => k)
    const ready = failing.length === 0 && r?.ready === true
    if (!ready && failing.length === 0) failing.push('engine')
    return { ready, conditions, failing, reason: r?.reason ?? 'starting' }
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

  /** Applies new engine tunables (SIGHUP); the table, store and lookups are kept. */
  reconfigure(cfg: EngineConfig): void {
    this.engine.reconfigure(cfg)
  }

  // ------------------------------------------------------------------ shutdown

  async saveCache(): Promise<void> {
    if (this.opts.amnesia || this.opts.dataDir === undefined || !this.engine) return
    try {
      const n = await saveContacts(this.opts.dataDir, this.engine.contacts())
      this.opts.log.debug({ contacts: n, file: join(this.opts.dataDir, CONTACT_CACHE_FILE) }, 'routing table cache saved')
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
    await this.saveCache()
    this.host?.stopEngine()
    this.bound = false
    await Promise.allSettled([this.stack?.stop(), this.http?.close()])
    log.info({}, 'stopped')
  }
}
