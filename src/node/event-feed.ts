// What feeds the event tail from a running node, without hooks inside the engine:
//   - the host's observer calls (lookups done, rejects by reason, failed bootstrap rounds) are
//     forwarded to the metrics and to the bus; rejects are summed per reason and emitted once
//     a second (a flood of garbage must not become a flood of events);
//   - refusals the engine decides without an event (diversity filter, full lookup queue, Sybil
//     suspects) are read from its counters each second and join that second's rejects;
//   - once a second the routing table is compared with the previous second's (peers added and
//     evicted) and the node's readiness with its previous value (readiness flips).
import type { LookupResult } from '../engine/index.js'
import type { HostObserver } from './host/kad-host.js'
import type { EventBus } from './events.js'
import { ENGINE_ONLY_REASONS, type NodeMetrics } from './http/metrics.js'

/** Peers listed one by one in a table-change event; beyond this only counts. */
const MAX_LISTED_PEERS = 32

export interface FeedSource {
  tablePeers(): readonly string[]
  readiness(): { ready: boolean; failing: readonly string[]; reason: string }
  /** The engine's own refusal counts by reason (metrics count them at scrape; here, the tail). */
  engineRejected?(): Readonly<Record<string, number>>
}

export class EventFeed implements HostObserver {
  private rejects = new Map<string, number>()
  private table = new Set<string>()
  private ready: boolean | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly engineSeen: Record<string, number> = {}

  constructor(
    private readonly metrics: NodeMetrics,
    private readonly bus: EventBus,
    private readonly source: FeedSource,
  ) {}

  start(periodMs = 1_000): void {
    this.timer = setInterval(() => this.tick(), periodMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.tick()
  }

  rejected(reason: string): void {
    this.metrics.rejected(reason)
    this.rejects.set(reason, (this.rejects.get(reason) ?? 0) + 1)
  }

  served(op: string, result: string, seconds: number): void {
    this.metrics.served(op, result, seconds)
  }

  inboundStream(path: 'fast' | 'libp2p'): void {
    this.metrics.inboundStream(path)
  }

  /** Rare (at most once per peer per penalty) and worth seeing at once: emitted as it happens. */
  penalized(peer: string, refusals: number, penaltyMs: number): void {
    this.bus.emit('security', { event: 'peer_penalized', peer_id: peer, refusals, penalty_ms: penaltyMs })
  }

  lookupDone(r: LookupResult): void {
    this.metrics.lookupDone(r)
    this.bus.emit('lookup', {
      op: r.op,
      success: r.success,
      hops: r.hops,
      ms: Math.round(r.endMs - r.startMs),
      providers: r.providers.length,
      ...(r.error !== undefined ? { error: r.error } : {}),
    })
  }

  bootstrapRoundFailed(attempt: number, retryInMs: number): void {
    this.metrics.bootstrapRoundFailed()
    this.bus.emit('ready', { event: 'bootstrap_round_failed', attempt, retry_in_ms: retryInMs })
  }

  /** One second's summaries: rejects by reason, table changes, a readiness flip. */
  tick(): void {
    const engine = this.source.engineRejected?.()
    if (engine !== undefined) {
      for (const reason of ENGINE_ONLY_REASONS) {
        const delta = (engine[reason] ?? 0) - (this.engineSeen[reason] ?? 0)
        if (delta > 0) this.rejects.set(reason, (this.rejects.get(reason) ?? 0) + delta)
        this.engineSeen[reason] = engine[reason] ?? 0
      }
    }
    if (this.rejects.size > 0) {
      const by = [...this.rejects.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))
      this.rejects = new Map()
      for (const [reason, count] of by) this.bus.emit('reject', { reason, count })
    }
    const now = new Set(this.source.tablePeers())
    const added: string[] = []
    const evicted: string[] = []
    for (const p of now) if (!this.table.has(p)) added.push(p)
    for (const p of this.table) if (!now.has(p)) evicted.push(p)
    this.table = now
    if (added.length > 0) this.bus.emit('peer', { event: 'added', count: added.length, peers: added.sort().slice(0, MAX_LISTED_PEERS), table: now.size })
    if (evicted.length > 0) this.bus.emit('peer', { event: 'evicted', count: evicted.length, peers: evicted.sort().slice(0, MAX_LISTED_PEERS), table: now.size })
    const r = this.source.readiness()
    if (r.ready !== this.ready) {
      if (this.ready !== undefined || r.ready) this.bus.emit('ready', { event: 'readiness', ready: r.ready, failing: r.failing, reason: r.reason })
      this.ready = r.ready
    }
  }
}
