// Prometheus metrics of the node (prom-client, one registry per node so tests can run several).
// Gauges that mirror engine state are computed at scrape time from a provider function, so the
// hot path only touches counters and histograms.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { LookupResult } from '../../engine/index.js'
import type { HostObserver } from '../host/kad-host.js'
import type { PqObserver, PqOutcome } from '../pq/auth.js'
import { limitLabel, type NodeLimits } from '../host/limits.js'
import * as N from '../metric-names.js'
import { RfTracker } from '../repair/rf-tracker.js'

export interface GaugeSource {
  liveBootstraps(): number
  inflightLookups(): number
  tableSize(): number
  ready(): boolean
  /** REQUIRE_PQ_ON in force; PQ-authenticated peers. */
  pqRequired?(): boolean
  pqPeers?(): number
  /** Kad frame bytes buffered for remote peers. */
  bufferedBytes(): number
  /** The budgets enforced (undefined before the node started). */
  limits(): NodeLimits | undefined
  /** Approximate bytes held by the contact book. */
  contactBookBytes(): number
  /** The engine's own refusal counts by reason (routing-table diversity, lookup queue, Sybil). */
  engineRejected(): Readonly<Record<string, number>>
  /** Open connections: all, the most held by one peer id, the most from one IP. */
  connections(): { total: number; maxPerPeer: number; maxPerIp: number }
}

/** Engine refusal reasons that reach no event (the others are counted as their events arrive). */
export const ENGINE_ONLY_REASONS = ['diversity-bucket', 'diversity-table', 'busy', 'maintenance-shed', 'sybil-suspect'] as const

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10]
const HOPS_BUCKETS = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16]

export class NodeMetrics implements HostObserver, PqObserver {
  readonly registry = new Registry()
  private readonly lookupSeconds: Histogram<'op' | 'result'>
  private readonly hops: Histogram<'op'>
  /** The last measurement of each record's copies (replicas, repair, verified provide). */
  readonly rf = new RfTracker()
  private readonly rejectedTotal: Counter<'reason'>
  private readonly requestsTotal: Counter<'op' | 'result'>
  private readonly latency: Histogram<'op'>
  readonly restarts: Counter
  readonly pqDowngrades: Counter
  private readonly bootstrapFailures: Counter
  private readonly inboundStreams: Counter<'path'>
  readonly configReloadFailed: Counter
  private readonly pqHandshakes: Counter<'outcome'>
  private readonly pqHandshakeSeconds: Histogram
  readonly rfObserved: Histogram
  readonly eventSubscribersDropped: Counter

  /**
   * `processMetrics`: prom-client's process and runtime metrics (process_*, nodejs_*). A process
   * that holds many nodes (a testbed worker) turns them off: each node would read the same
   * process's open files and handles at every scrape. process_start_time_seconds stays either way
   * (the restart-burst alert counts its changes).
   */
  constructor(version: string, commit: string, source: GaugeSource, processMetrics = true) {
    const registers = [this.registry]
    this.lookupSeconds = new Histogram({
      name: N.LOOKUP_SECONDS,
      help: 'Duration of lookups started by this node (client API and provide), seconds',
      labelNames: ['op', 'result'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    })
    this.hops = new Histogram({ name: N.HOPS, help: 'Hops of successful lookups', labelNames: ['op'], buckets: HOPS_BUCKETS, registers })
    new Gauge({
      name: N.BOOTSTRAP_PEERS,
      help: 'Bootstrap peers that answered recently',
      registers,
      collect() {
        this.set(source.liveBootstraps())
      },
    })
    new Gauge({
      name: N.INFLIGHT_LOOKUP,
      help: 'Lookups in flight',
      registers,
      collect() {
        this.set(source.inflightLookups())
      },
    })
    new Gauge({
      name: N.ROUTING_TABLE_PEERS,
      help: 'Contacts in the routing table',
      registers,
      collect() {
        this.set(source.tableSize())
      },
    })
    new Gauge({
      name: N.READY,
      help: '1 when /readyz answers 200',
      registers,
      collect() {
        this.set(source.ready() ? 1 : 0)
      },
    })
    new Gauge({
      name: N.INBOUND_BUFFERED_BYTES,
      help: 'Kad frame bytes buffered for remote peers (bounded per peer and in total)',
      registers,
      collect() {
        this.set(source.bufferedBytes())
      },
    })
    new Gauge({
      name: N.CONTACT_BOOK_BYTES,
      help: 'Approximate bytes held by the contact book (bounded by ron_dht_limit{name="contact_book_bytes"})',
      registers,
      collect() {
        this.set(source.contactBookBytes())
      },
    })
    new Gauge({
      name: N.LIMIT,
      help: 'Per-peer budgets the node enforces, by name (docs/LIMITS.md)',
      labelNames: ['name'],
      registers,
      collect() {
        const l = source.limits()
        if (l === undefined) return
        for (const k of Object.keys(l) as (keyof NodeLimits)[]) this.set({ name: limitLabel(k) }, l[k])
      },
    })
    new Gauge({
      name: N.CONNECTIONS,
      help: 'Open libp2p connections: scope="total", the most held by one peer ("max_per_peer") or one IP ("max_per_ip")',
      labelNames: ['scope'],
      registers,
      collect() {
        const c = source.connections()
        this.set({ scope: 'total' }, c.total)
        this.set({ scope: 'max_per_peer' }, c.maxPerPeer)
        this.set({ scope: 'max_per_ip' }, c.maxPerIp)
      },
    })
    this.inboundStreams = new Counter({
      name: N.INBOUND_STREAMS_TOTAL,
      help: 'Inbound kad streams by negotiation path: "fast" (our multistream echo) or "libp2p" (its registrar)',
      labelNames: ['path'],
      registers,
    })
    const rf = this.rf
    new Gauge({
      name: N.MISSING_RECORDS,
      help: 'Copies of provider records missing to reach their replication target, at their last measurement',
      registers,
      collect() {
        this.set(rf.missing)
      },
    })
    new Gauge({
      name: N.RECORDS_BELOW_RF_TARGET,
      help: 'Provider records whose last measurement saw fewer copies than the target (rf_observed < rf_target)',
      registers,
      collect() {
        this.set(rf.belowTarget)
      },
    })
    // Refusals the engine decides without an event (diversity filter, full lookup queue, Sybil
    // suspects) are counted inside it; each scrape adds what it counted since the last one.
    const engineSeen: Record<string, number> = {}
    this.rejectedTotal = new Counter({
      name: N.REJECTED_TOTAL,
      help: 'Requests, frames, connections and contacts refused, by reason',
      labelNames: ['reason'],
      registers,
      collect() {
        const now = source.engineRejected()
        for (const reason of ENGINE_ONLY_REASONS) {
          const delta = (now[reason] ?? 0) - (engineSeen[reason] ?? 0)
          if (delta > 0) this.inc({ reason }, delta)
          engineSeen[reason] = now[reason] ?? 0
        }
      },
    })
    this.requestsTotal = new Counter({ name: N.REQUESTS_TOTAL, help: 'Requests handled, by operation and result', labelNames: ['op', 'result'], registers })
    this.latency = new Histogram({
      name: N.REQUEST_LATENCY_SECONDS,
      help: 'Time to handle a request (inbound RPC or client API call), seconds',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    })
    this.restarts = new Counter({ name: N.SERVICE_RESTARTS_TOTAL, help: 'Restarts of the service seen by the process (a previous run found in the data dir)', registers })
    this.pqDowngrades = new Counter({ name: N.PQ_DOWNGRADE_ATTEMPT_TOTAL, help: 'Kad requests refused while REQUIRE_PQ_ON because the peer had not completed PQ authentication', registers })
    this.pqHandshakes = new Counter({ name: N.PQ_HANDSHAKES_TOTAL, help: 'PQ (ML-DSA-87) challenges run by this node, by outcome', labelNames: ['outcome'], registers })
    this.pqHandshakeSeconds = new Histogram({ name: N.PQ_HANDSHAKE_SECONDS, help: 'Duration of one PQ challenge, seconds', buckets: LATENCY_BUCKETS_S, registers })
    new Gauge({
      name: N.PQ_REQUIRED,
      help: '1 while REQUIRE_PQ_ON is in force',
      registers,
      collect() {
        this.set(source.pqRequired?.() === true ? 1 : 0)
      },
    })
    new Gauge({
      name: N.PQ_AUTHENTICATED_PEERS,
      help: 'Peers PQ-authenticated on an open connection',
      registers,
      collect() {
        this.set(source.pqPeers?.() ?? 0)
      },
    })
    this.rfObserved = new Histogram({ name: N.RF_OBSERVED, help: 'Copies of a provider record observed among the k closest peers, one sample per measurement', buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10, 20], registers })
    this.eventSubscribersDropped = new Counter({ name: N.EVENT_SUBSCRIBERS_DROPPED_TOTAL, help: 'Event-tail subscribers dropped for reading too slowly', registers })
    const info = new Gauge({ name: N.BUILD_INFO, help: 'Build information', labelNames: ['version', 'commit'], registers })
    info.set({ version, commit }, 1)
    this.bootstrapFailures = new Counter({ name: N.BOOTSTRAP_ROUNDS_FAILED_TOTAL, help: 'Bootstrap rounds that gave up (BootstrapTimeout)', registers })
    this.configReloadFailed = new Counter({ name: N.CONFIG_RELOAD_FAILED_TOTAL, help: 'SIGHUP reloads refused because the new config was invalid', registers })
    if (processMetrics) {
      // process_start_time_seconds and friends (the restart-burst alert watches the start time).
      collectDefaultMetrics({ register: this.registry })
    } else {
      // prom-client's own definition of the figure, without its other collectors.
      const start = new Gauge({ name: N.PROCESS_START_TIME_SECONDS, help: 'Start time of the process since unix epoch in seconds.', registers })
      start.set(Math.round(Date.now() / 1000 - process.uptime()))
    }
  }

  rejected(reason: string): void {
    this.rejectedTotal.inc({ reason })
  }

  served(op: string, result: string, seconds: number): void {
    this.requestsTotal.inc({ op, result })
    this.latency.observe({ op }, seconds)
  }

  lookupDone(r: LookupResult): void {
    this.lookupSeconds.observe({ op: r.op, result: r.success ? 'ok' : (r.error ?? 'failed') }, (r.endMs - r.startMs) / 1000)
    if (r.success) this.hops.observe({ op: r.op }, r.hops)
  }

  /** A measurement of record `key` (hex): `observed` copies seen against `target` wanted. */
  rfMeasured(key: string, observed: number, target: number): void {
    this.rfObserved.observe(observed)
    this.rf.note(key, observed, target)
  }

  handshake(outcome: PqOutcome, seconds: number): void {
    this.pqHandshakes.inc({ outcome })
    if (outcome === 'ok') this.pqHandshakeSeconds.observe(seconds)
  }

  downgrade(): void {
    this.pqDowngrades.inc()
  }

  inboundStream(path: 'fast' | 'libp2p'): void {
    this.inboundStreams.inc({ path })
  }

  bootstrapRoundFailed(): void {
    this.bootstrapFailures.inc()
  }

  async text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
