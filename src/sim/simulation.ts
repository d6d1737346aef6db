// The simulation core: virtual peers, each wrapping one engine, on the simulated network.
//
// Why one file of this size: the event loop, the routing of an engine's output and the peer
// lifecycle (join, leave, readiness, lookups) are one state machine over the same per-peer typed
// arrays, touched on every event. Split into classes, each event would cross object boundaries
// on the simulator's hottest path (docs/ARCHITECTURE.md, "Why the hot paths look as they do");
// the models around it (network, churn, workload, metrics, faults) already live in their own files.
//
// Theory of operation: everything that happens is an event in one Scheduler, ordered by
// (virtual time, sequence). A peer's engine is only ever called from an event handler, with the
// event's time, and its Output is applied at once: each send is routed by the Network (delay or
// drop) and becomes a DELIVER event carrying the message by reference; events (lookup-done,
// ready-changed) go to the metrics; nextDeadlineMs arms a TIMER event for the peer, but only
// when it is earlier than the one already armed (a timer event whose time is no longer the
// peer's armed time is stale and ignored). Churn alternates LEAVE (stop the engine, drop it)
// and JOIN (a fresh engine with the same identity, bootstrapping again) per peer; bootstrap
// peers never churn. The workload issues lookups as Poisson processes from ready peers.
// Randomness: one master seed, forked by label per peer and per model; no iteration over
// anything whose order depends on hashing. Limits: the scheduler's event caps.
import { DhtEngine, EngineWorkspace, type EngineOptions } from '../engine/engine.js'
import { InvariantError } from '../engine/errors.js'
import { SeededRng, type Rng } from '../engine/rng.js'
import { commonPrefixLength, idEquals } from '../engine/ids.js'
import type { Contact, EngineContent, EngineEvent, Input, LookupOp, Message, Output } from '../engine/types.js'
import { applyProfile, engineConfig, type EngineConfig } from '../engine/config.js'
import { Scheduler } from './scheduler.js'
import { Network } from './network.js'
import { HostCpu } from './host-cpu.js'
import { MAX_RPC_SAMPLES, RpcTimes } from '../netmodel/rpc-times.js'
import { SimWireCodec } from './wire-codec.js'
import { oneWayMatrix } from '../netmodel/latency.js'
import { createPeers, peerIndex, type SimContact } from './peers.js'
import { drawLengthMs, drawResidualMs, meanSessionS, type LengthModel } from './churn.js'
import { fitSessions } from './session-fit.js'
import { pickUnreachable, placeHosted } from './reachability.js'
import { GroundTruth } from './ground-truth.js'
import { ContentKeys, nextGapMs } from './workload.js'
import { MetricsLog, NA, OUTCOME_FAIL, OUTCOME_OK, OUTCOME_SHED, TableFillTally } from './metrics.js'
import type { ResolvedScenario } from './scenario.js'
import type { AlertRecord, FaultWindow } from './report-types.js'
import { RESPONSE_COST } from './faults/cpu.js'
import { REJECT_COST, REQUEST_COST } from '../engine/admission.js'

/** What the simulator needs of an engine (DhtEngine; tests may pass a fake). */
export interface EngineLike {
  step(nowMs: number, input: Input): Output
  /** The routing table's contacts (the table_fill metric; an engine without one is not measured). */
  contacts?(): readonly Contact[]
  /** What a restart keeps (the keys it provides, the records it holds); an engine without it restarts empty. */
  content?(): EngineContent
  /** A hot reload of the engine's settings; an engine without it keeps the ones it started with. */
  reconfigure?(config: EngineConfig): void
}
export type EngineFactory = (opts: EngineOptions) => EngineLike

const EV_DELIVER = 1
const EV_TIMER = 2
const EV_JOIN = 3
const EV_LEAVE = 4
const EV_WORKLOAD = 5
const EV_SAMPLE = 6
/** A packet that already went through the service model: process it now. */
const EV_PROCESS = 7
/** A callback (the fault models: docs/ARCHITECTURE.md, "Faults"): rare, so a closure per event is fine. */
const EV_CALL = 8

const OP_OF_CODE: readonly LookupOp[] = ['FIND_NODE', 'PROVIDE', 'GET_PROVIDERS']
/** A restart that never became ready is counted (as the time it waited) once it waited this long. */
export const CENSOR_MIN_S = 30
/** Peers whose tables table_fill measures, at most (a deterministic stride over all peers). */
const TABLE_FILL_SAMPLE = 2000
/** Progress callback cadence, in events. */
const PROGRESS_EVERY = 1 << 16

interface PendingLookup {
  readonly op: LookupOp
  readonly issuer: number
  readonly issuedMs: number
  readonly target: Uint8Array
  readonly key: number
  /** GET_PROVIDERS: a provider of the key was online when the lookup started. */
  readonly providerOnline: boolean
  /** GET_PROVIDERS: the age of the key's record when the lookup started, seconds (-1: none). */
  readonly recordAgeS: number
}

export interface SimulationOptions {
  readonly seed: string
  readonly engineFactory?: EngineFactory
  /** Rewrites the freshly created contacts in place (attackers' ids and addresses). */
  readonly rewriteContacts?: (contacts: SimContact[]) => void
  /** 1 for peers that are not part of the measured fleet (attackers): never issuers, no time to ready. */
  readonly excluded?: Uint8Array
  /**
   * Sees the events of every engine step before the simulator applies the step's output (the
   * chaos measurements: lookups with their issuer, refused requests, Sybil alarms).
   */
  readonly onEngineEvents?: (peer: number, events: readonly EngineEvent[]) => void
  /** Each engine checks its invariants every this many of its steps (0: never). */
  readonly engineInvariantsEvery?: number
}

/**
 * Engines check their invariants this often by default: a broken one stops the run with an
 * InvariantError. A full check reads the whole routing table, so it is sampled.
 */
export const ENGINE_INVARIANTS_EVERY = 1000

export function engineConfigFor(d: ResolvedScenario['dht']): EngineConfig {
  const base = engineConfig({
    k: d.k,
    alpha: d.alpha,
    beta: d.beta,
    rpcTimeoutMs: d.timeout_ms,
    hedgeDelayMs: d.hedge_delay_ms,
    disjointPaths: d.disjoint_paths,
    replication: d.replication,
    providersWanted: d.providers_wanted,
    refreshIntervalMs: d.refresh_interval_s * 1000,
    maxInflightLookups: d.max_inflight_lookups,
    maxQueuedLookups: d.max_queued_lookups,
    maxQueriesPerLookup: d.max_queries_per_lookup,
    warmTableSize: d.warm_table_size,
    bootstrapPingIntervalMs: d.bootstrap_ping_interval_s * 1000,
    bootstrapLiveWindowMs: d.bootstrap_live_window_s * 1000,
    admissionDelayMs: d.admission_delay_ms,
    admissionInflight: d.admission_inflight,
  })
  return applyProfile(base, d.policy)
}

export class Simulation {
  readonly scenario: ResolvedScenario
  readonly seed: string
  readonly rng: Rng
  readonly sched: Scheduler
  readonly network: Network
  /** The processes' CPU queues (network.stack.hosts), told who is online; or undefined. */
  private readonly hostCpu: HostCpu | undefined
  /** The node's wire codec on every message (network.wire_codec), or undefined. */
  readonly codec: SimWireCodec | undefined
  /** Round trips of answered requests sent after the warm-up (network.stack on), or undefined. */
  readonly rpcTimes: RpcTimes | undefined
  /** Requests in flight that rpcTimes will time: key peer * 2^32 + rpcId. */
  private readonly rpcSent = new Map<number, { readonly atMs: number; readonly first: boolean }>()
  readonly metrics = new MetricsLog()
  readonly contacts: readonly SimContact[]
  readonly n: number
  readonly bootstrapCount: number
  readonly durationMs: number
  /** The engines' configuration: what a peer starting now gets (reconfigure() changes it). */
  get engineConfig(): EngineConfig {
    return this.config
  }
  private config: EngineConfig
  /** 1 for the peers in data centres (network.hosted), or undefined. */
  readonly hosted: Uint8Array | undefined
  /** Fault windows and alerts for the report (the chaos machinery appends). */
  readonly faults: FaultWindow[] = []
  readonly alerts: AlertRecord[] = []
  /** Online / ready peers at each window end. */
  readonly samples: { tS: number; online: number; ready: number }[] = []

  readonly engines: (EngineLike | undefined)[]
  readonly online: Uint8Array
  readonly ready: Uint8Array
  onlineCount = 0
  /** Lookups whose issuer left before they finished; workload arrivals with no ready peer. */
  abortedLookups = 0
  skippedLookups = 0

  private readonly factory: EngineFactory
  private readonly onEngineEvents: SimulationOptions['onEngineEvents']
  private readonly engineInvariantsEvery: number
  /** One working memory for every engine: they run one step at a time. */
  private readonly workspace = new EngineWorkspace()
  private readonly excluded: Uint8Array
  private readonly generation: Uint32Array
  private readonly timerAt: Float64Array
  /** 1 while the peer's engine holds a load figure from its service queue (serve()). */
  private readonly loadFed: Uint8Array
  private readonly startMs: Float64Array
  private readonly ttrPending: Uint8Array
  private readonly readyList: Int32Array
  private readonly readyPos: Int32Array
  private readyCount = 0
  private readonly truth: GroundTruth
  private readonly keys: ContentKeys
  private readonly pending = new Map<number, PendingLookup>()
  /** PROVIDEs answered before their wider store ended (lookup-done with `storing`): tag -> metrics row. */
  private readonly storing = new Map<number, { issuer: number; row: number }>()
  private readonly messageInput: { readonly kind: 'message'; from: Contact; msg: Message } = { kind: 'message', from: undefined as unknown as Contact, msg: undefined as unknown as Message }
  private nextTag = 1
  private readonly bootstrapContacts: readonly Contact[]
  private readonly sessionModel: LengthModel
  private readonly downtimeModel: LengthModel
  private readonly churnOn: boolean
  private readonly churnRngs: (Rng | undefined)[]
  /** What each offline peer's process kept for its next start (churn.amnesia off); undefined: nothing. */
  private readonly kept: (EngineContent | undefined)[]
  private readonly opRngs: Rng[]
  private readonly opRates: number[]
  private readonly pickRng: Rng
  private readonly targetRng: Rng

  constructor(scenario: ResolvedScenario, opts: SimulationOptions) {
    this.scenario = scenario
    this.seed = opts.seed
    this.rng = new SeededRng(opts.seed)
    this.factory = opts.engineFactory ?? ((o) => new DhtEngine(o))
    this.onEngineEvents = opts.onEngineEvents
    this.engineInvariantsEvery = opts.engineInvariantsEvery ?? ENGINE_INVARIANTS_EVERY
    this.config = engineConfigFor(scenario.dht)
    this.sched = new Scheduler({ maxEvents: scenario.limits.max_events, maxPending: scenario.limits.max_pending })
    this.durationMs = scenario.duration_s * 1000
    const net = scenario.network
    this.n = net.peers
    this.bootstrapCount = net.bootstraps

    const oneWay = oneWayMatrix(net.regions.map((r) => r.name))
    const peers = createPeers(this.rng.fork('peers'), {
      peers: this.n,
      regionWeights: net.regions.map((r) => r.weight),
      accessMedianMs: net.access_latency_ms.median,
      accessSigma: net.access_latency_ms.sigma,
    })
    opts.rewriteContacts?.(peers.contacts as SimContact[])
    this.contacts = peers.contacts
    this.excluded = opts.excluded ?? new Uint8Array(this.n)
    // Data-centre peers and undialable ones (reachability.ts), each on its own stream; off by default.
    this.hosted = net.hosted === undefined ? undefined : placeHosted(this.rng.fork('hosted'), peers.accessMs, net.hosted.share, net.hosted.access_latency_ms)
    const unreachable = net.unreachable_share === undefined ? undefined : pickUnreachable(this.rng.fork('unreachable'), this.n, this.bootstrapCount, net.unreachable_share, this.hosted)
    this.network = new Network({
      regionOf: peers.regionOf,
      accessMs: peers.accessMs,
      regionNames: net.regions.map((r) => r.name),
      oneWayMs: oneWay,
      jitterMedianMs: net.jitter_ms.median,
      jitterSigma: net.jitter_ms.sigma,
      loss: net.loss,
      rng: this.rng.fork('net'),
      stack: net.stack,
      windowFromMs: scenario.warmup_s * 1000,
      unreachable,
    })
    // Peers sharing processes and cores (network.stack.hosts): one CPU queue per process.
    this.hostCpu = net.stack?.hosts === undefined ? undefined : new HostCpu(net.stack.hosts, net.stack.rpc_cpu_ms, this.n)
    if (this.hostCpu !== undefined) {
      this.network.service = this.hostCpu
      this.network.stack!.cpu = this.hostCpu
    }
    this.codec = net.wire_codec === true ? new SimWireCodec() : undefined
    this.rpcTimes = net.stack === undefined ? undefined : new RpcTimes()

    this.engines = new Array<EngineLike | undefined>(this.n).fill(undefined)
    this.online = new Uint8Array(this.n)
    this.ready = new Uint8Array(this.n)
    this.generation = new Uint32Array(this.n)
    this.timerAt = new Float64Array(this.n).fill(Infinity)
    this.loadFed = new Uint8Array(this.n)
    this.startMs = new Float64Array(this.n)
    this.ttrPending = new Uint8Array(this.n)
    this.readyList = new Int32Array(this.n)
    this.readyPos = new Int32Array(this.n).fill(-1)
    this.truth = new GroundTruth(this.contacts.map((c) => c.id))
    this.bootstrapContacts = this.contacts.slice(0, this.bootstrapCount)

    const ch = scenario.churn
    // Sessions fitted to published CDF points (session-fit.ts) when the scenario gives them.
    this.churnOn = ch.turnover_per_hour > 0 || ch.session_cdf !== undefined
    this.sessionModel =
      ch.session_cdf !== undefined ? fitSessions(ch.session_cdf, ch.session) : { distribution: ch.session, meanS: meanSessionS(ch.turnover_per_hour), shape: ch.weibull_shape }
    this.downtimeModel = { distribution: ch.downtime, meanS: ch.downtime_mean_s, shape: ch.weibull_shape }
    this.churnRngs = new Array<Rng | undefined>(this.n).fill(undefined)
    this.kept = new Array<EngineContent | undefined>(this.n).fill(undefined)

    const wl = scenario.workload
    this.keys = new ContentKeys(this.rng.fork('workload/keys'), wl.max_content_keys)
    this.opRngs = OP_OF_CODE.map((op) => this.rng.fork(`workload/${op}`))
    this.opRates = [wl.find_node_per_s, wl.provide_per_s, wl.get_providers_per_s]
    this.pickRng = this.rng.fork('workload/pick')
    this.targetRng = this.rng.fork('workload/targets')
  }

  /** Schedules a callback at a virtual time (fault models). */
  at(timeMs: number, fn: () => void): void {
    this.sched.push(Math.max(timeMs, this.sched.nowMs), EV_CALL, 0, 0, fn)
  }

  get nowMs(): number {
    return this.sched.nowMs
  }

  get readyPeers(): number {
    return this.readyCount
  }

  isBootstrap(peer: number): boolean {
    return peer < this.bootstrapCount
  }

  /** Runs to the end of the scenario. Errors other than bad input become InvariantErrors by the caller. */
  run(onProgress?: (virtualMs: number, durationMs: number) => void): void {
    const s = this.sched
    const joinSpreadMs = this.scenario.network.join_spread_s * 1000
    const joinRng = this.rng.fork('join')
    for (let i = 0; i < this.n; i++) {
      const t = this.isBootstrap(i) ? 0 : joinRng.next() * joinSpreadMs
      s.push(t, EV_JOIN, i, 0)
    }
    const workloadStartMs = this.scenario.workload.start_s * 1000
    for (let op = 0; op < OP_OF_CODE.length; op++) {
      const t = workloadStartMs + nextGapMs(this.opRngs[op]!, this.opRates[op]!)
      if (t <= this.durationMs) s.push(t, EV_WORKLOAD, 0, op)
    }
    const windowMs = this.scenario.metrics.window_s * 1000
    for (let t = windowMs; t < this.durationMs + windowMs; t += windowMs) s.push(Math.min(t, this.durationMs), EV_SAMPLE, 0, 0)

    while (s.peekTimeMs() <= this.durationMs) {
      s.pop()
      this.dispatch()
      if (onProgress !== undefined && (s.processed & (PROGRESS_EVERY - 1)) === 0) onProgress(s.nowMs, this.durationMs)
    }
    s.nowMs = this.durationMs
    // Restarts still waiting for readiness at the end: censored.
    for (let i = 0; i < this.n; i++) if (this.online[i] === 1) this.censorReady(i)
    this.measureTables()
    this.metrics.packetsSent = this.network.packetsSent
    this.metrics.packetsDropped = this.network.packetsDropped
    onProgress?.(this.durationMs, this.durationMs)
  }

  /**
   * table_fill: the online measured peers' tables against the ideal ones, at the end of the run;
   * every ceil(n / TABLE_FILL_SAMPLE)-th peer, so the cost stays bounded at any network size.
   */
  private measureTables(): void {
    const k = this.engineConfig.k
    const tally = new TableFillTally(k)
    const stride = Math.max(1, Math.ceil(this.n / TABLE_FILL_SAMPLE))
    const held: number[] = []
    for (let p = 0; p < this.n; p += stride) {
      const engine = this.engines[p]
      if (this.online[p] !== 1 || this.excluded[p] === 1 || engine?.contacts === undefined) continue
      const ideal = this.truth.idealBuckets(p, k)
      held.length = 0
      for (let i = 0; i < ideal.length; i++) held.push(0)
      const selfId = this.contacts[p]!.id
      for (const c of engine.contacts()) {
        const q = peerIndex(c, this.contacts)
        if (q < 0 || this.online[q] !== 1) continue
        const b = commonPrefixLength(selfId, c.id)
        if (b < held.length) held[b]!++
      }
      tally.add(held, ideal)
    }
    this.metrics.tableFill = tally.fill()
    this.metrics.tableFillFar = tally.farFill()
  }

  private dispatch(): void {
    const s = this.sched
    const node = s.curNode
    switch (s.curKind) {
      case EV_DELIVER:
        if (this.online[node] !== 1) {
          this.network.drop('offline')
          return
        }
        if (this.network.service !== undefined && this.serve(node)) return
        this.deliver(node)
        return
      case EV_PROCESS:
        if (this.online[node] !== 1) {
          this.network.drop('offline')
          return
        }
        // An answer the service queue held: the engine first hears how long work waits now.
        if (this.network.service !== undefined) this.feedLoad(node, this.network.service.waitMs(node, s.nowMs))
        this.deliver(node)
        return
      case EV_TIMER:
        if (this.timerAt[node] !== s.nowMs || this.generation[node] !== s.curAux || this.online[node] !== 1) return
        this.timerAt[node] = Infinity
        this.step(node, TIMER_INPUT)
        return
      case EV_JOIN:
        this.join(node)
        return
      case EV_LEAVE:
        if (this.generation[node] === s.curAux && this.online[node] === 1) this.leave(node)
        return
      case EV_WORKLOAD:
        this.issue(s.curAux)
        return
      case EV_SAMPLE:
        this.samples.push({ tS: s.nowMs / 1000, online: this.onlineCount, ready: this.readyCount })
        this.metrics.addOnlineSample(s.nowMs, this.onlineCount)
        return
      case EV_CALL:
        ;(s.curPayload as () => void)()
        return
      default:
        throw new InvariantError(`unknown event kind ${s.curKind}`)
    }
  }

  /**
   * A packet reaching a peer whose service queue is busy (faults/cpu.ts): true when it was taken
   * care of here, false when the peer has no queue now (delivered at once, as without a model).
   * A request is stepped now with the load it meets, and the engine's answer leaves when its work
   * (or its refusal's) is done; an answer to the peer's own query is processed when its turn comes.
   */
  private serve(node: number): boolean {
    const s = this.sched
    const svc = this.network.service!
    const now = s.nowMs
    const waitMs = svc.waitMs(node, now)
    if (waitMs < 0) {
      this.feedLoad(node, -1)
      return false
    }
    if (svc.full(node, now, waitMs)) {
      this.network.drop('cpu-queue-full')
      return true
    }
    const msg = s.curPayload as Message
    if (msg.kind === 'response') {
      const t = svc.charge(node, now, RESPONSE_COST)
      if (t > now) s.push(t, EV_PROCESS, node, s.curAux, msg)
      else this.deliver(node)
      return true
    }
    const engine = this.engines[node]
    if (engine === undefined) return true
    this.feedLoad(node, waitMs)
    const input = this.messageInput
    input.from = this.contacts[s.curAux]!
    input.msg = msg
    const out = engine.step(now, input as Input)
    if (this.onEngineEvents !== undefined && out.events.length > 0) this.onEngineEvents(node, out.events)
    let refused = false
    for (const ev of out.events) if (ev.kind === 'request-rejected') refused = true
    const done = svc.charge(node, now, refused ? REJECT_COST : REQUEST_COST[msg.type])
    this.apply(node, out, done - now)
    return true
  }

  /**
   * Tells a peer's engine how long work waits in its service queue now (-1: it has none; the
   * engine hears 0 once). Only peers that have had a queue are told anything.
   */
  private feedLoad(node: number, waitMs: number): void {
    if (waitMs < 0) {
      if (this.loadFed[node] === 0) return
      this.loadFed[node] = 0
      this.step(node, { kind: 'load', delayMs: 0, inflight: 0 })
      return
    }
    this.loadFed[node] = 1
    this.step(node, { kind: 'load', delayMs: waitMs, inflight: this.network.service!.ahead(node, waitMs) })
  }

  private deliver(node: number): void {
    // One input object for every delivery: step() does not keep its input (only from and msg).
    const input = this.messageInput
    input.from = this.contacts[this.sched.curAux]!
    input.msg = this.sched.curPayload as Message
    this.step(node, input as Input)
  }

  /**
   * A hot reload of every engine that `only` accepts and that takes one (as a node does on
   * SIGHUP: tables, records and lookups under way are kept), and of the peers that start later.
   */
  reconfigure(config: EngineConfig, only: (peer: number) => boolean): void {
    this.config = config
    for (let p = 0; p < this.n; p++) {
      const e = this.engines[p]
      if (e?.reconfigure !== undefined && only(p)) e.reconfigure(config)
    }
  }

  /** Calls the peer's engine and applies its output. */
  step(peer: number, input: Input): void {
    const engine = this.engines[peer]
    if (engine === undefined) return
    const now = this.sched.nowMs
    const out = engine.step(now, input)
    if (this.onEngineEvents !== undefined && out.events.length > 0) this.onEngineEvents(peer, out.events)
    this.apply(peer, out)
  }

  /**
   * rpcTimes, as the node times a request (rpc-io.ts): from the engine's send (`sentMs`) to the
   * answer's arrival — on shared processes (network.stack.hosts), to when the requester's process
   * gets to read it, as the node's clock stops once the answer is read (the wait is what is queued
   * there when the answer is sent). A request whose answer never comes is forgotten when its id
   * is reused; the map is bounded all the same (past the bound, requests are not timed).
   */
  private timeRpc(from: number, to: number, msg: Message, sentMs: number, arrivesMs: number): void {
    if (msg.kind === 'request') {
      if (msg.type === 'ADD_PROVIDER' || sentMs < this.scenario.warmup_s * 1000 || this.rpcSent.size >= MAX_RPC_SAMPLES) return
      this.rpcSent.set(from * 4294967296 + msg.rpcId, { atMs: sentMs, first: this.network.stack!.lastConnectedAtMs >= 0 })
      return
    }
    const key = to * 4294967296 + msg.rpcId
    const sent = this.rpcSent.get(key)
    if (sent === undefined) return
    this.rpcSent.delete(key)
    const cpu = this.network.stack!.cpu
    this.rpcTimes!.add(arrivesMs + (cpu === undefined ? 0 : cpu.waitMs(to, arrivesMs)) - sent.atMs, sent.first)
  }

  /** Applies a step's output; its sends leave `sendAfterMs` later (the work that produced them took that long). */
  private apply(peer: number, out: Output, sendAfterMs = 0): void {
    const now = this.sched.nowMs
    const sends = out.sends
    for (let i = 0; i < sends.length; i++) {
      const send = sends[i]!
      const to = peerIndex(send.to, this.contacts)
      if (to < 0) {
        this.network.drop('unknown-peer')
        continue
      }
      if (to === peer) throw new InvariantError(`peer p${peer} sent a ${send.msg.kind} to itself`)
      // Delivered by reference unless the wire codec is on (then: what survived encode and decode).
      const msg = this.codec === undefined ? send.msg : this.codec.roundTrip(peer, to, send.msg)
      const delay = this.network.route(peer, to, msg, now + sendAfterMs)
      if (delay < 0) {
        // A dial to an undialable peer (network.unreachable_share) with the stack on: the engine
        // hears of the dial, as the node's host tells it, and waits out the first-contact budget.
        if (this.network.stack !== undefined && msg.kind === 'request' && this.network.unreachable?.[to] === 1 && !this.network.stack.connected(peer, to)) this.dialing(peer, msg.rpcId, now + sendAfterMs)
        continue
      }
      if (this.network.stack !== undefined && this.network.stack.lastConnectedAtMs >= 0 && msg.kind === 'request') {
        this.firstContact(peer, msg.rpcId, now + sendAfterMs, this.network.stack.lastConnectedAtMs)
        if (this.network.stack.lastOpened) this.identified(peer, to, this.network.stack.lastConnectedAtMs)
      }
      if (this.rpcTimes !== undefined) this.timeRpc(peer, to, msg, now, now + sendAfterMs + delay)
      this.sched.push(now + sendAfterMs + delay, EV_DELIVER, to, peer, msg)
    }
    const events = out.events
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!
      if (ev.kind === 'lookup-done') this.lookupDone(peer, ev)
      else if (ev.kind === 'ready-changed') this.readyChanged(peer, ev.ready)
      else if (ev.kind === 'provide-stored') this.provideStored(peer, ev.tag, ev.messages)
    }
    const d = out.nextDeadlineMs
    if (Number.isNaN(d)) throw new InvariantError(`peer p${peer} returned a NaN deadline`)
    // One live timer event per peer, at the deadline the engine gave last: when it moves (later
    // too: the engine dropped a timer that is dead), the event queued before goes stale and is
    // skipped on pop, which is far cheaper than stepping an engine that has nothing due.
    const t = Math.max(d, now)
    if (t !== this.timerAt[peer] && this.online[peer] === 1 && this.engines[peer] !== undefined) {
      this.timerAt[peer] = t
      if (t < Infinity) this.sched.push(t, EV_TIMER, peer, this.generation[peer]!)
    }
  }

  /**
   * With the stack model on, a request that waits for a connection: the engine hears of the
   * set-up when it starts and of the open stream when it is up, as the node's host tells it
   * (the per-hop clock then starts from the open stream).
   */
  private firstContact(peer: number, rpcId: number, dialMs: number, connectedMs: number): void {
    const gen = this.generation[peer]!
    const live = (): boolean => this.generation[peer] === gen && this.online[peer] === 1
    this.at(dialMs, () => {
      if (live()) this.step(peer, { kind: 'rpc-dialing', rpcId })
    })
    this.at(connectedMs, () => {
      if (live()) this.step(peer, { kind: 'rpc-connected', rpcId })
    })
  }

  /**
   * A new connection's identify exchange is done at `atMs` (about when the first stream is open:
   * identify runs beside it, one round trip after the set-up): each end now knows the other's
   * protocols and addresses, and the node's host seeds its engine with a peer that speaks kad,
   * as stock kad-dht's topology listener does (kad-host.ts, `peer:identify`). So a peer dialled
   * joins the dialer's table before, or without, its answer. Only with the stack model on: without
   * it the simulation has no connections.
   */
  private identified(a: number, b: number, atMs: number): void {
    const genA = this.generation[a]!
    const genB = this.generation[b]!
    this.at(atMs, () => {
      if (this.generation[a] !== genA || this.generation[b] !== genB || this.online[a] !== 1 || this.online[b] !== 1) return
      this.step(a, { kind: 'seed-contacts', contacts: [this.contacts[b]!] })
      this.step(b, { kind: 'seed-contacts', contacts: [this.contacts[a]!] })
    })
  }

  /** Tells the peer's engine at `atMs` that its request `rpcId` is waiting for a connection (that never comes). */
  private dialing(peer: number, rpcId: number, atMs: number): void {
    const gen = this.generation[peer]!
    this.at(atMs, () => {
      if (this.generation[peer] === gen && this.online[peer] === 1) this.step(peer, { kind: 'rpc-dialing', rpcId })
    })
  }

  /**
   * A peer (re)joins: a fresh engine with the same identity, bootstrapping again. A restart keeps
   * what the process had on disk (the keys it provides and the records it held) unless the
   * scenario says churn.amnesia: it is seeded before start, and re-announces once joined.
   */
  join(peer: number): void {
    if (this.online[peer] === 1) return
    const now = this.sched.nowMs
    const gen = ++this.generation[peer]!
    this.online[peer] = 1
    this.onlineCount++
    this.truth.setOnline(peer, true)
    this.hostCpu?.setOnline(peer, true)
    this.timerAt[peer] = Infinity
    this.loadFed[peer] = 0
    // A fresh process holds no connections (requests sent to it while it was away opened none).
    this.network.stack?.closeAll(peer)
    this.engines[peer] = this.factory({
      self: this.contacts[peer]!,
      config: this.engineConfig,
      rng: this.rng.fork(`engine/${peer}/${gen}`),
      checkInvariantsEvery: this.engineInvariantsEvery,
      workspace: this.workspace,
    })
    const kept = this.kept[peer]
    if (kept !== undefined) {
      this.kept[peer] = undefined
      this.step(peer, { kind: 'seed-content', content: kept })
    }
    const boot = this.isBootstrap(peer) ? this.bootstrapContacts.filter((c) => c !== this.contacts[peer]) : this.bootstrapContacts
    if (!this.isBootstrap(peer)) {
      this.startMs[peer] = now
      this.ttrPending[peer] = this.excluded[peer] === 1 ? 0 : 1
      if (this.churnOn) {
        // The first session is already under way when the run starts (equilibrium); later ones are fresh.
        const draw = gen === 1 ? drawResidualMs : drawLengthMs
        this.sched.push(now + draw(this.churnRng(peer), this.sessionModel), EV_LEAVE, peer, gen)
      }
    }
    this.step(peer, { kind: 'start', bootstraps: boot })
  }

  /** A peer leaves: its engine is stopped and dropped; it comes back after a downtime when churn is on. */
  leave(peer: number, comeBack = this.churnOn): void {
    if (this.online[peer] !== 1) return
    const now = this.sched.nowMs
    this.censorReady(peer)
    this.metrics.addLeave(now)
    const engine = this.engines[peer]
    if (engine !== undefined) {
      const out = engine.step(now, STOP_INPUT)
      if (this.onEngineEvents !== undefined && out.events.length > 0) this.onEngineEvents(peer, out.events)
      for (const ev of out.events) {
        if (ev.kind === 'lookup-done') this.lookupDone(peer, ev)
        else if (ev.kind === 'provide-stored') this.provideStored(peer, ev.tag, ev.messages)
      }
      if (comeBack && !this.scenario.churn.amnesia && engine.content !== undefined) this.kept[peer] = engine.content()
    }
    this.engines[peer] = undefined
    this.network.stack?.closeAll(peer)
    this.online[peer] = 0
    this.onlineCount--
    this.truth.setOnline(peer, false)
    this.hostCpu?.setOnline(peer, false)
    this.setReady(peer, false)
    this.timerAt[peer] = Infinity
    if (comeBack) this.sched.push(now + drawLengthMs(this.churnRng(peer), this.downtimeModel), EV_JOIN, peer, 0)
  }

  private churnRng(peer: number): Rng {
    let r = this.churnRngs[peer]
    if (r === undefined) {
      r = this.rng.fork(`churn/${peer}`)
      this.churnRngs[peer] = r
    }
    return r
  }

  private censorReady(peer: number): void {
    if (this.ttrPending[peer] !== 1) return
    this.ttrPending[peer] = 0
    const waitedS = (this.sched.nowMs - this.startMs[peer]!) / 1000
    if (waitedS >= CENSOR_MIN_S) this.metrics.addReady(this.startMs[peer]!, waitedS)
  }

  private readyChanged(peer: number, ready: boolean): void {
    this.setReady(peer, ready)
    if (ready && this.ttrPending[peer] === 1) {
      this.ttrPending[peer] = 0
      this.metrics.addReady(this.startMs[peer]!, (this.sched.nowMs - this.startMs[peer]!) / 1000)
    }
  }

  private setReady(peer: number, ready: boolean): void {
    if (ready === (this.ready[peer] === 1)) return
    if (this.excluded[peer] === 1) {
      // Attackers are never picked as issuers and not counted as ready peers.
      this.ready[peer] = ready ? 1 : 0
      return
    }
    if (ready) {
      this.ready[peer] = 1
      this.readyPos[peer] = this.readyCount
      this.readyList[this.readyCount++] = peer
    } else {
      this.ready[peer] = 0
      const pos = this.readyPos[peer]!
      const last = this.readyList[--this.readyCount]!
      this.readyList[pos] = last
      this.readyPos[last] = pos
      this.readyPos[peer] = -1
    }
  }

  /** A workload arrival of operation `op` (index into OP_OF_CODE); schedules the next one. */
  private issue(opCode: number): void {
    const s = this.sched
    const gap = nextGapMs(this.opRngs[opCode]!, this.opRates[opCode]!)
    if (s.nowMs + gap <= this.durationMs) s.push(s.nowMs + gap, EV_WORKLOAD, 0, opCode)
    if (this.readyCount === 0) {
      this.skippedLookups++
      return
    }
    const op = OP_OF_CODE[opCode]!
    let key = -1
    let target: Uint8Array
    let providerOnline = false
    let recordAgeS = -1
    if (op === 'FIND_NODE') {
      target = this.targetRng.bytes(32)
    } else if (op === 'PROVIDE') {
      key = this.keys.keyToProvide()
      target = this.keys.keys[key]!
    } else {
      key = this.keys.keyToGet(this.scenario.workload.zipf_s)
      if (key < 0) {
        this.skippedLookups++
        return
      }
      target = this.keys.keys[key]!
      providerOnline = this.keys.anyProviderOnline(key, (p) => this.online[p] === 1)
      recordAgeS = this.keys.recordAgeS(key, s.nowMs)
    }
    const issuer = this.pickIssuer()
    if (issuer < 0) {
      this.skippedLookups++
      return
    }
    const tag = this.nextTag++
    this.pending.set(tag, { op, issuer, issuedMs: s.nowMs, target, key, providerOnline, recordAgeS })
    this.step(issuer, { kind: 'lookup', op, key: target, target, tag })
  }

  /** A ready peer to issue a lookup; with workload.issuers "hosted", a hosted one (-1: none found in 256 draws). */
  private pickIssuer(): number {
    if (this.scenario.workload.issuers !== 'hosted' || this.hosted === undefined) return this.readyList[this.pickRng.int(this.readyCount)]!
    for (let i = 0; i < 256; i++) {
      const p = this.readyList[this.pickRng.int(this.readyCount)]!
      if (this.hosted[p] === 1) return p
    }
    return -1
  }

  private lookupDone(peer: number, ev: { tag: number; success: boolean; hops: number; messages: number; closest: readonly Contact[]; providers: readonly Contact[]; error?: string; storing?: true }): void {
    const p = this.pending.get(ev.tag)
    if (p === undefined || p.issuer !== peer) return // the engine's own lookups (refresh, self-lookup)
    this.pending.delete(ev.tag)
    if (ev.error === 'stopped') {
      this.abortedLookups++
      return
    }
    const now = this.sched.nowMs
    const shed = ev.error === 'busy'
    let accurate = NA
    if (p.op === 'FIND_NODE' && !shed) {
      const truth = this.truth.closestOnline(p.target, peer)
      if (truth >= 0) {
        const want = this.contacts[truth]!
        accurate = 0
        for (const c of ev.closest) {
          if (c === want || idEquals(c.id, want.id)) {
            accurate = 1
            break
          }
        }
      }
    }
    let providerOk = NA
    if (p.op === 'GET_PROVIDERS' && !shed && p.providerOnline) providerOk = ev.providers.length > 0 ? 1 : 0
    if (p.op === 'PROVIDE' && ev.success) this.keys.markProvided(p.key, peer, now)
    const row = this.metrics.addLookup({
      op: p.op,
      outcome: shed ? OUTCOME_SHED : ev.success ? OUTCOME_OK : OUTCOME_FAIL,
      startMs: p.issuedMs,
      latencyMs: now - p.issuedMs,
      hops: ev.hops,
      messages: ev.messages,
      accurate,
      providerOk,
      ...(providerOk !== NA ? { recordAgeS: p.recordAgeS } : {}),
    })
    if (ev.storing === true) this.storing.set(ev.tag, { issuer: peer, row })
  }

  /**
   * A PROVIDE answered early has finished its wider store: the requests it sent after its answer
   * count in its lookup's messages (its latency stays the answer's).
   */
  private provideStored(peer: number, tag: number, messages: number): void {
    const s = this.storing.get(tag)
    if (s === undefined || s.issuer !== peer) return
    this.storing.delete(tag)
    this.metrics.addMessages(s.row, messages)
  }
}

const TIMER_INPUT: Input = Object.freeze({ kind: 'timer' })
const STOP_INPUT: Input = Object.freeze({ kind: 'stop' })
