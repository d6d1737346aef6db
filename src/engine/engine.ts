// Theory of operation
// -------------------
// DhtEngine is the whole Kademlia node as a sans-IO state machine. A driver (the simulator or the
// real node) calls step(nowMs, input) for every input — a message, a transport failure, a timer,
// a lookup request — and applies what comes back: messages to send, events to record, and the
// time at which it must call step({kind:'timer'}) again. The engine never reads a clock, never
// draws unseeded randomness and never does IO, so the same inputs always give the same outputs.
//
// step is the one door; behind it each job is a part of its own (docs/ARCHITECTURE.md), all
// acting on one shared state (core.ts):
//   rpc/inbound.ts and the handlers beside it   requests we answer (rate-limited per peer)
//   admission.ts                                refusing work beyond the driver's load budget
//   rpc/outbound.ts                             answers, timeouts and failures of our requests
//   query/queue.ts, query/lookup.ts             lookups behind a bounded semaphore and wait queue
//   query/density.ts                            the Sybil-density check, the network-size estimate
//   bootstrap.ts, readiness.ts                  joining, bootstrap polls, readiness (/readyz)
//   refresh.ts, liveness.ts                     routing-table upkeep
//   republish.ts                                our provider records, the store's expiry
//   timers.ts                                   the timer input and the next deadline
// The deadline a step returns skips wake-ups that would change nothing — timers of answered RPCs
// and finished lookups, bootstrap polls that would not ping — but never one where readiness could
// flip: a step is the only place a flip is reported.
import type { EngineConfig } from './config.js'
import type { NodeId } from './ids.js'
import type { Rng } from './rng.js'
import type { Contact, EngineContent, EngineEvent, EngineStats, Input, Output, Readiness, Send } from './types.js'
import { RoutingTable, TableScratch } from './routing-table.js'
import { ProviderStore } from './provider-store.js'
import { RateLimiter } from './rate-limiter.js'
import { EngineCore, NO_EVENTS, NO_SENDS } from './core.js'
import type { IgnoredInputs } from './core.js'
import { onMessage } from './rpc/inbound.js'
import { onRpcFailed } from './rpc/outbound.js'
import { onRpcConnected, onRpcDialing } from './first-contact.js'
import { requestLookup, stopAll } from './query/queue.js'
import { networkSizeEstimate } from './query/density.js'
import { onJoinDone, start } from './bootstrap.js'
import { checkReadiness, countLiveBootstraps, readiness } from './readiness.js'
import { observe } from './liveness.js'
import { setLoad } from './admission.js'
import { engineContent, rememberProvided, reprovideNow, seedContent } from './republish.js'
import { nextDeadlineMs, onTimers } from './timers.js'
import { assertInvariants, findBrokenInvariant } from './invariants.js'
import { KEY_BYTES } from './constants.js'
import { EngineMisuseError } from './errors.js'

/**
 * Working memory that engines on one thread may share (the simulator gives one to all of its
 * engines): an engine's step never runs inside another's, and nothing in it outlives a call but
 * the step's output. An engine without one has its own, and returns a fresh output every step.
 *
 * With a workspace, step() returns the workspace's one Output object, valid until the next step
 * of any engine sharing the workspace (a driver that applies each output at once, as the simulator
 * does, never sees the difference; the arrays in it are the step's own). It is reused because the
 * simulator steps its engines millions of times, and an object per step (with its deadline, a
 * double: a heap number of its own) is garbage that its young generation must sweep.
 */
export class EngineWorkspace {
  readonly table = new TableScratch()
  /** The steps' output object, rewritten at each step. */
  readonly output: { sends: Send[]; events: EngineEvent[]; nextDeadlineMs: number } = { sends: NO_SENDS, events: NO_EVENTS, nextDeadlineMs: Infinity }
}

export interface EngineOptions {
  readonly self: Contact
  readonly config: EngineConfig
  readonly rng: Rng
  /**
   * Check the engine's invariants every this many steps and throw an InvariantError when one is
   * broken (invariants.ts); 0 or absent: never. The simulator turns it on.
   */
  readonly checkInvariantsEvery?: number
  readonly workspace?: EngineWorkspace
}

export class DhtEngine {
  readonly self: Contact
  private readonly core: EngineCore
  private readonly checkEvery: number
  private stepsToCheck: number
  /** The workspace's output object, reused by every step (undefined without a workspace: a fresh one each step). */
  private readonly output: EngineWorkspace['output'] | undefined

  constructor(opts: EngineOptions) {
    this.self = opts.self
    const cfg = opts.config
    if (opts.self.id.length !== KEY_BYTES) throw new EngineMisuseError(`engine: self id must be ${KEY_BYTES} bytes`)
    const table = new RoutingTable(opts.self.id, cfg.k, cfg.replacementCacheSize, cfg.policy, opts.workspace?.table)
    const store = new ProviderStore(cfg.maxProvidersPerKey, cfg.maxProviderKeys)
    const limiter = new RateLimiter(cfg.policy.perPeerRatePerS, cfg.policy.perPeerBurst)
    const core = new EngineCore(opts.self, cfg, opts.rng, table, store, limiter)
    core.onJoinDone = (ok) => onJoinDone(core, ok)
    core.onProvided = (key, target, placed, replicas, lookup) => rememberProvided(core, key, target, placed, replicas, lookup)
    this.core = core
    this.checkEvery = Math.max(0, Math.floor(opts.checkInvariantsEvery ?? 0))
    this.stepsToCheck = this.checkEvery
    this.output = opts.workspace?.output
  }

  get config(): EngineConfig {
    return this.core.cfg
  }

  /** Feeds one input at time nowMs; returns the sends, the events and the next deadline. */
  step(nowMs: number, input: Input): Output {
    const core = this.core
    core.nowMs = Math.max(core.nowMs, nowMs)
    core.sends = NO_SENDS
    core.events = NO_EVENTS
    if (!core.stopped) {
      switch (input.kind) {
        case 'start':
          start(core, input.bootstraps)
          break
        case 'message':
          onMessage(core, input.from, input.msg)
          break
        case 'rpc-failed':
          onRpcFailed(core, input.to, input.rpcId)
          break
        case 'rpc-dialing':
          onRpcDialing(core, input.rpcId)
          break
        case 'rpc-connected':
          onRpcConnected(core, input.rpcId)
          break
        case 'timer':
          onTimers(core)
          break
        case 'lookup':
          requestLookup(core, input.op, input.key, input.target, input.tag, 'user')
          break
        case 'seed-contacts':
          for (const c of input.contacts) observe(core, c)
          break
        case 'seed-content':
          seedContent(core, input.content)
          break
        case 'load':
          setLoad(core, input.delayMs, input.inflight)
          break
        case 'reprovide':
          reprovideNow(core)
          break
        case 'stop':
          core.stopped = true // first: the lookups that end now start nothing new
          stopAll(core)
          core.pending.clear()
          core.timers.clear()
          break
      }
      checkReadiness(core)
    } else {
      core.ignored.afterStop++
    }
    if (this.checkEvery > 0 && --this.stepsToCheck === 0) {
      this.stepsToCheck = this.checkEvery
      assertInvariants(core)
    }
    const deadline = core.stopped ? Infinity : nextDeadlineMs(core)
    let out: Output
    const reused = this.output
    if (reused === undefined) {
      out = { sends: core.sends, events: core.events, nextDeadlineMs: deadline }
    } else {
      reused.sends = core.sends
      reused.events = core.events
      reused.nextDeadlineMs = deadline
      out = reused
    }
    core.sends = NO_SENDS
    core.events = NO_EVENTS
    return out
  }

  readiness(nowMs: number): Readiness {
    return readiness(this.core, nowMs)
  }

  stats(nowMs: number): EngineStats {
    const core = this.core
    return {
      tableSize: core.table.size,
      inflightLookups: core.active.size,
      queuedLookups: core.queue.length,
      providerKeys: core.store.keyCount,
      providerRecords: core.store.recordCount,
      liveBootstraps: countLiveBootstraps(core, nowMs),
      rejected: { ...core.rejected },
      served: { ...core.served },
    }
  }

  /** What a restart keeps besides contacts: the keys we provide and the live records we hold (seed-content). */
  content(): EngineContent {
    return engineContent(this.core)
  }

  closest(target: NodeId, n: number): Contact[] {
    return this.core.table.closest(target, n)
  }

  contacts(): Contact[] {
    return this.core.table.all()
  }

  /** What is broken inside the engine, or undefined when nothing is (see invariants.ts). */
  checkInvariants(): string | undefined {
    return findBrokenInvariant(this.core)
  }

  /** Inputs that came when the engine had no use for them, by kind (see IgnoredInputs in core.ts). */
  ignoredInputs(): Readonly<IgnoredInputs> {
    return { ...this.core.ignored }
  }

  bucketSizes(): number[] {
    return this.core.table.bucketSizes()
  }

  /**
   * The latest answer from any bootstrap (-Infinity: none yet); it only moves later. It is the
   * latest of the answers liveBootstraps counts, so liveBootstraps(t) is 0 exactly when
   * t - lastBootstrapAnswerMs > bootstrapLiveWindowMs (the simulator's alert rule asks that of
   * every peer, and can skip asking again while the window is open).
   */
  get lastBootstrapAnswerMs(): number {
    return this.core.lastBootAnswerMs
  }

  /** Bootstrap contacts that answered within the live window (readiness().liveBootstraps, without the rest). */
  liveBootstraps(nowMs: number): number {
    return countLiveBootstraps(this.core, nowMs)
  }

  /** See query/density.ts. */
  networkSizeEstimate(): number | undefined {
    return networkSizeEstimate(this.core)
  }

  /** Hot reload of tunables (SIGHUP): the table, store and lookups are kept. */
  reconfigure(config: EngineConfig): void {
    const core = this.core
    core.cfg = config
    core.table.setPolicy(config.policy)
    core.store.setLimits(config.maxProvidersPerKey, config.maxProviderKeys)
    core.limiter.setRate(config.policy.perPeerRatePerS, config.policy.perPeerBurst)
    core.rateLimited = !core.limiter.unlimited
  }
}
