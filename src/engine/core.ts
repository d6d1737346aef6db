// The state every part of the engine shares, and the few primitives they all use: the step's
// output (sends and events), counters, and sending a request with its pending entry and timeout.
// DhtEngine (engine.ts) owns one and is the only way in from outside; the parts that act on it —
// rpc/ (inbound requests, responses and timeouts), query/ (the lookup queue and the Sybil-density
// check), bootstrap, readiness, refresh, republish, liveness and timers — are functions of it, each
// in its own file (docs/ARCHITECTURE.md).
//
// The fields are plain fields of one object on purpose: they are read on every step, and 10,000
// simulated engines do not stay in cache, so a part's state in an object of its own would cost a
// cache line more per read.
import type { EngineConfig } from './config.js'
import type { NodeId } from './ids.js'
import type { Rng } from './rng.js'
import type { Contact, EngineEvent, LookupOp, Request, Send } from './types.js'
import type { RoutingTable, TableEntry } from './routing-table.js'
import type { Candidate, Lookup, LookupPurpose } from './query/lookup.js'
import type { ProviderStore } from './provider-store.js'
import type { RateLimiter } from './rate-limiter.js'
import { TimerHeap } from './timer-heap.js'
import { IdWindow } from './id-window.js'
import { SizeEstimator } from './size-estimator.js'
import { RttEstimator } from './rtt-estimator.js'
import { RPC_TIMEOUT, timerPayload } from './timer-kinds.js'
import type { TimerPayload } from './timer-kinds.js'

/**
 * A request we wait an answer for, by why we sent it. `sentMs` starts the per-hop clock; while the
 * driver sets up a first connection (`dialing`, see first-contact.ts) it is the set-up's start.
 */
export type Pending =
  | { readonly purpose: 'lookup'; readonly to: Contact; sentMs: number; dialing?: boolean; readonly lookup: Lookup; readonly cand: Candidate; slow: boolean }
  | { readonly purpose: 'liveness'; readonly to: Contact; sentMs: number; dialing?: boolean; readonly head: TableEntry }
  | { readonly purpose: 'bootstrap'; readonly to: Contact; sentMs: number; dialing?: boolean }

export interface QueuedLookup {
  readonly op: LookupOp
  readonly key: Uint8Array
  readonly target: NodeId
  readonly tag: number
  readonly purpose: LookupPurpose
  readonly queuedMs: number
}

/** A key we provide ourselves, and when it is next re-announced. */
export interface Provided {
  readonly key: Uint8Array
  readonly target: NodeId
  dueMs: number
  /** The current retry delay while the records fall short of their replicas; 0 once well placed. */
  retryMs: number
  /**
   * The last PROVIDE fell short when it ended: its replicas that had answered, out of how many,
   * and the lookup, whose silent replicas still get the record if they answer late. When the
   * retry is due, late answers that made up the shortfall make the re-announce unnecessary.
   */
  short?: { readonly placed: number; readonly replicas: number; readonly lookup: { deferredLeft(): number } }
}

/**
 * Inputs that came when the engine had no use for them, by kind: counted, never silently dropped
 * (engine.ignoredInputs()). Each is a normal consequence of timing — a late answer, a failure
 * reported after its timeout — or a driver's slip, like a step after stop.
 */
export class IgnoredInputs {
  /** Any input after stop. */
  afterStop = 0
  /** A second start. */
  repeatedStart = 0
  /** A response to no pending request of ours (it timed out or failed before). */
  lateResponse = 0
  /** A transport failure of no pending request of ours to that peer. */
  unknownRpcFailure = 0
  /** A lookup query's answer, failure or timeout that its lookup no longer waited for (it ended, or the peer was failed or excluded). */
  unawaitedQuery = 0
}

export const EMPTY: readonly Contact[] = []
/** A step's output when it sent nothing / emitted nothing (frozen: drivers only read outputs). */
export const NO_SENDS = Object.freeze([]) as unknown as Send[]
export const NO_EVENTS = Object.freeze([]) as unknown as EngineEvent[]

export class EngineCore {
  cfg: EngineConfig
  readonly timers = new TimerHeap<TimerPayload>()
  readonly pending = new IdWindow<Pending>()
  readonly active = new IdWindow<Lookup>()
  readonly queue: QueuedLookup[] = []
  readonly provided = new Map<string, Provided>()
  /** Buckets whose head has a liveness ping in flight (one at a time per bucket). */
  readonly livenessBuckets = new Set<number>()
  readonly sizeEstimator = new SizeEstimator()
  readonly rtt = new RttEstimator()
  bootstraps: readonly Contact[] = []
  /**
   * bootstraps.length, and whether inbound requests are rate-limited at all: read on every step,
   * kept here (the array and the limiter are objects of their own, one cache line more each time).
   */
  bootstrapCount = 0
  rateLimited: boolean
  /** Per entry of `bootstraps`: when it last answered (-Infinity: never). */
  bootstrapAnsweredMs = new Float64Array(0)
  /** The latest answer from any bootstrap (the readiness fast path). */
  lastBootAnswerMs = -Infinity
  bootstrapCursor = 0
  /** When the REPUBLISH timer armed last fires; a REPUBLISH firing before it is a stale one (Infinity: none armed). */
  republishAtMs = Infinity
  /** The bootstrap poll armed last (its tick and its number); earlier ones in the heap are dead. */
  bootstrapPollMs = -Infinity
  bootstrapPollSeq = 0
  /** A warm start's bootstrap ping retry delay until a bootstrap first answers (0: none), and when the retry armed last fires. */
  bootstrapRetryMs = 0
  bootstrapRetryAtMs = -Infinity
  /** The driver's last `load` input (admission.ts): how long work waits, requests it holds. */
  loadDelayMs = 0
  loadInflight = 0
  /** A warm start's join: distinct cached contacts that must answer (0: not a warm start, or done). */
  warmJoinNeed = 0
  /** Those that answered so far (at most warmJoinNeed). */
  warmJoinAnswered: Set<string> | undefined = undefined
  readonly rejected: Record<string, number> = {}
  readonly served: Record<string, number> = {}
  readonly ignored = new IgnoredInputs()
  nextRpcId = 1
  nextLookupId = 1
  started = false
  stopped = false
  joined = false
  joinAttempts = 0
  /** The last refresh round left out its self-lookup (refresh.ts: the neighbourhood had spoken); the next one makes it. */
  selfLookupSkipped = false
  lastReady = false
  nowMs = 0
  /** The current step's output; the shared empty arrays until something is pushed (most steps emit no event, and many send nothing). */
  sends: Send[] = NO_SENDS
  events: EngineEvent[] = NO_EVENTS
  /**
   * What the lookup queue tells the parts that started a maintenance lookup when it ends (wired by
   * DhtEngine: the queue does not know the parts that use it).
   */
  onJoinDone: (ok: boolean) => void = () => {}
  /** A user PROVIDE or a republish ended, its records sent to `placed` of `replicas` (the others deferred to `lookup`). */
  onProvided: (key: Uint8Array, target: NodeId, placed: number, replicas: number, lookup: { deferredLeft(): number }) => void = () => {}

  constructor(
    readonly self: Contact,
    config: EngineConfig,
    readonly rng: Rng,
    readonly table: RoutingTable,
    readonly store: ProviderStore,
    readonly limiter: RateLimiter,
  ) {
    this.cfg = config
    this.rateLimited = !limiter.unlimited
  }

  pushSend(s: Send): void {
    if (this.sends === NO_SENDS) this.sends = [s]
    else this.sends.push(s)
  }

  emit(e: EngineEvent): void {
    if (this.events === NO_EVENTS) this.events = [e]
    else this.events.push(e)
  }

  count(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1
  }

  /** Sends a request; with `pending`, waits for its answer (and arms its timeout). Returns its rpc id. */
  sendRequest(to: Contact, type: Request['type'], key: Uint8Array, target: NodeId, providers: readonly Contact[], pending: Pending | undefined): number {
    const rpcId = this.nextRpcId++
    this.pushSend({ to, msg: { kind: 'request', rpcId, type, key, target, providers } })
    if (pending !== undefined) {
      this.pending.set(rpcId, pending)
      // A lookup stops waiting after the adaptive timeout (the query turns Slow); the contact is
      // charged a failure only after the configured per-hop timeout. Maintenance pings have no one
      // waiting on them and use the per-hop timeout alone.
      const waitMs = pending.purpose === 'lookup' ? this.rtt.timeoutMs(this.cfg.rpcTimeoutMs) : this.cfg.rpcTimeoutMs
      this.timers.push(this.nowMs + waitMs, timerPayload(RPC_TIMEOUT, rpcId))
    }
    return rpcId
  }
}
