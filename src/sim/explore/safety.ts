// Theory of operation
// -------------------
// The safety monitor watches every honest engine of an explored run from the outside: the
// engine factory is wrapped so each engine's step() passes through watch(), which
//  - remembers, per engine incarnation, which peers it has heard of (bootstraps, seeded
//    contacts, senders, contacts in answers) and which have answered one of its requests;
//  - checks every send: to a peer the engine has heard of, and an ADD_PROVIDER (a provider
//    record handed over) only to a peer that answered this engine;
//  - on a sampled cadence (every `every` steps across the run), checks the engine's own
//    invariants (checkInvariants) and that its queues are within their configured bounds;
//  - notes the "sometimes" states the run reached (a lookup shed, a node flipping not-ready,
//    a request refused by reason, ...), for the explore report.
// A broken check throws SafetyViolation: the simulation stops at that step, like a broken
// invariant inside the engine. The monitor only reads: it draws no randomness and changes no
// output, so a run replays identically with or without it.
import { DhtEngine } from '../../engine/engine.js'
import type { EngineConfig } from '../../engine/config.js'
import type { Contact, Input, Output } from '../../engine/types.js'
import type { EngineFactory, EngineLike } from '../simulation.js'
import { peerIndex, type SimContact } from '../peers.js'

export class SafetyViolation extends Error {
  constructor(
    readonly check: string,
    message: string,
  ) {
    super(message)
    this.name = 'SafetyViolation'
  }
}

const HEARD = 1
const ANSWERED = 2
/** Routing table bound: k contacts in each of the 256 buckets. */
const ID_BITS = 256

export class SafetyMonitor {
  /** State name -> how many times it was reached. */
  readonly states = new Map<string, number>()
  /** Steps seen, and invariant samples taken. */
  steps = 0
  samples = 0
  /** Stops (engines taken down) per peer, with their time: for crash / churn fault coverage. */
  readonly stops: { peer: number; tMs: number }[] = []
  /** Extra lookups issued with a negative tag (load bursts, probes), by issuer and time. */
  readonly chaosLookups: { peer: number; tMs: number }[] = []

  constructor(
    private readonly contacts: readonly SimContact[],
    private readonly adversary: Uint8Array,
    private readonly cfg: EngineConfig,
    /** Check the engine's invariants and queue bounds every this many steps (0: never). */
    private readonly every: number,
  ) {}

  note(state: string): void {
    this.states.set(state, (this.states.get(state) ?? 0) + 1)
  }

  /**
   * Wraps a factory. The wrapper is an object whose prototype is the engine itself, with its own
   * step(): every other member (what the alert rules read) is the engine's.
   */
  wrap(f: EngineFactory): EngineFactory {
    return (opts) => {
      const engine = f(opts)
      const peer = (opts.self as SimContact).idx
      if (this.adversary[peer] === 1) return engine
      const known = new Uint8Array(this.contacts.length)
      const watched = Object.create(engine as object) as EngineLike
      watched.step = (nowMs: number, input: Input): Output => this.watch(engine, peer, known, nowMs, input)
      return watched
    }
  }

  private learn(known: Uint8Array, c: Contact, flag: number): void {
    const i = peerIndex(c, this.contacts)
    if (i >= 0) known[i] = known[i]! | flag
  }

  private watch(engine: EngineLike, peer: number, known: Uint8Array, nowMs: number, input: Input): Output {
    switch (input.kind) {
      case 'start':
        for (const c of input.bootstraps) this.learn(known, c, HEARD)
        break
      case 'seed-contacts':
        for (const c of input.contacts) this.learn(known, c, HEARD)
        break
      case 'seed-content':
        for (const r of input.content.records) this.learn(known, r.provider, HEARD)
        break
      case 'message': {
        const m = input.msg
        this.learn(known, input.from, m.kind === 'response' && m.error === undefined ? HEARD | ANSWERED : HEARD)
        if (m.kind === 'response') {
          for (const c of m.closer) this.learn(known, c, HEARD)
          for (const c of m.providers) this.learn(known, c, HEARD)
          if (m.error !== undefined) this.note(`answer-refused:${m.error}`)
        }
        break
      }
      case 'stop':
        this.stops.push({ peer, tMs: nowMs })
        break
      case 'lookup':
        if (input.tag < 0) this.chaosLookups.push({ peer, tMs: nowMs })
        break
      default:
        break
    }
    const out = engine.step(nowMs, input)
    this.steps++
    const sends = out.sends
    for (let i = 0; i < sends.length; i++) {
      const s = sends[i]!
      const to = peerIndex(s.to, this.contacts)
      if (to < 0) continue // not a peer of this network: the simulator drops and counts it
      const k = known[to]!
      if ((k & HEARD) === 0) {
        throw new SafetyViolation('send-to-unknown', `p${peer} sent a ${s.msg.kind} ${s.msg.type} to p${to}, a peer it never heard of`)
      }
      if (s.msg.kind === 'request' && s.msg.type === 'ADD_PROVIDER' && (k & ANSWERED) === 0) {
        throw new SafetyViolation('record-to-uncontacted', `p${peer} handed a provider record to p${to}, which never answered it`)
      }
    }
    const events = out.events
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!
      switch (ev.kind) {
        case 'lookup-done':
          if (ev.error === 'busy') this.note('lookup-shed')
          else if (ev.error === 'stopped') this.note('lookup-aborted')
          else if (!ev.success) this.note(`lookup-failed:${ev.op}`)
          break
        case 'ready-changed':
          if (!ev.ready) this.note('node-not-ready')
          break
        case 'request-rejected':
          this.note(`request-rejected:${ev.reason}`)
          break
        case 'peer-misbehaved':
          this.note(`peer-misbehaved:${ev.reason}`)
          break
        case 'bootstrap-round-failed':
          this.note('bootstrap-round-failed')
          break
        case 'sybil-suspected':
          this.note('sybil-suspected')
          break
      }
    }
    if (this.every > 0 && this.steps % this.every === 0) this.sample(engine, peer, nowMs)
    return out
  }

  private sample(engine: EngineLike, peer: number, nowMs: number): void {
    if (!(engine instanceof DhtEngine)) return
    this.samples++
    const broken = engine.checkInvariants()
    if (broken !== undefined) throw new SafetyViolation('engine-invariant', `p${peer}: ${broken}`)
    const st = engine.stats(nowMs)
    const c = this.cfg
    const bound = (what: string, v: number, max: number): void => {
      if (v > max) throw new SafetyViolation('queue-bound', `p${peer}: ${what} ${v} > its bound ${max}`)
    }
    bound('in-flight lookups', st.inflightLookups, c.maxInflightLookups)
    bound('queued lookups', st.queuedLookups, c.maxQueuedLookups)
    bound('routing table contacts', st.tableSize, c.k * ID_BITS)
    bound('provider keys', st.providerKeys, c.maxProviderKeys)
    bound('provider records', st.providerRecords, c.maxProviderKeys * c.maxProvidersPerKey)
  }
}
