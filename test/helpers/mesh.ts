// A tiny in-memory driver for engine tests: N engines, a fixed one-way latency, an event queue
// ordered by (time, seq). Not the simulator: just enough to exercise the engine end to end.
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import type { EngineConfig } from '../../src/engine/config.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, EngineEvent, Input, LookupResult, Message } from '../../src/engine/types.js'
import { TimerHeap } from '../../src/engine/timer-heap.js'

type Ev =
  | { kind: 'deliver'; to: number; from: Contact; msg: Message }
  | { kind: 'timer'; node: number }
  | { kind: 'input'; node: number; input: Input }

export interface MeshOptions {
  n: number
  seed?: string
  latencyMs?: number
  config?: Partial<EngineConfig>
  /** Peers that drop everything they receive (dead). */
  dead?: Set<number>
  /** Far peers: every message to or from one takes `farExtraMs` longer (a long-haul link). */
  far?: Set<number>
  farExtraMs?: number
  /** Sees every message as it is delivered. */
  onDeliver?: (to: number, from: Contact, msg: Message, atMs: number) => void
  /** Contact factory override (e.g. to set ipGroup). */
  contact?: (i: number, id: Uint8Array) => Contact
}

export class Mesh {
  readonly nodes: DhtEngine[] = []
  readonly contacts: Contact[] = []
  readonly events: { node: number; ev: EngineEvent; atMs: number }[] = []
  readonly dead: Set<number>
  private readonly queue = new TimerHeap<Ev>()
  private readonly byPeer = new Map<string, number>()
  private readonly timerAt: number[] = []
  private readonly config: EngineConfig
  private readonly rng: SeededRng
  nowMs = 0
  delivered = 0

  constructor(readonly opts: MeshOptions) {
    const rng = new SeededRng(opts.seed ?? 'mesh')
    this.rng = rng
    this.dead = opts.dead ?? new Set()
    const config = engineConfig(opts.config)
    this.config = config
    for (let i = 0; i < opts.n; i++) {
      const id = rng.fork(`id/${i}`).bytes(32)
      const c = opts.contact?.(i, id) ?? { id, peer: `p${i}`, addrs: [`10.0.${i >> 8}.${i & 255}:1`], ipGroup: `10.0.${i >> 8}` }
      this.contacts.push(c)
      this.byPeer.set(c.peer, i)
      this.nodes.push(new DhtEngine({ self: c, config, rng: rng.fork(`node/${i}`), checkInvariantsEvery: 7 }))
      this.timerAt.push(Infinity)
    }
  }

  input(node: number, input: Input, atMs = this.nowMs): void {
    this.queue.push(atMs, { kind: 'input', node, input })
  }

  /** Starts every node at `spacingMs` intervals, each bootstrapping from node 0. */
  startAll(spacingMs = 50): void {
    this.input(0, { kind: 'start', bootstraps: [] }, 0)
    for (let i = 1; i < this.nodes.length; i++) this.input(i, { kind: 'start', bootstraps: [this.contacts[0]!] }, i * spacingMs)
  }

  private apply(node: number, input: Input): void {
    const out = this.nodes[node]!.step(this.nowMs, input)
    const lat = this.opts.latencyMs ?? 10
    for (const s of out.sends) {
      const to = this.byPeer.get(s.to.peer)
      if (to === undefined || this.dead.has(to)) continue
      const far = this.opts.far !== undefined && (this.opts.far.has(to) || this.opts.far.has(node))
      this.queue.push(this.nowMs + lat + (far ? (this.opts.farExtraMs ?? 300) : 0), { kind: 'deliver', to, from: this.contacts[node]!, msg: s.msg })
    }
    for (const ev of out.events) this.events.push({ node, ev, atMs: this.nowMs })
    const at = Math.max(out.nextDeadlineMs, this.nowMs)
    if (at < this.timerAt[node]!) {
      this.timerAt[node] = at
      this.queue.push(at, { kind: 'timer', node })
    }
  }

  /**
   * Restarts a node now: its engine is stopped and replaced by a fresh one with the same identity
   * (before its start input, which the caller queues). Returns the old engine.
   */
  restart(node: number, incarnation: number): DhtEngine {
    const old = this.nodes[node]!
    old.step(this.nowMs, { kind: 'stop' })
    this.nodes[node] = new DhtEngine({ self: this.contacts[node]!, config: this.config, rng: this.rng.fork(`node/${node}/${incarnation}`), checkInvariantsEvery: 7 })
    this.timerAt[node] = Infinity
    return old
  }

  runUntil(endMs: number, maxEvents = 5_000_000): void {
    for (let i = 0; i < maxEvents; i++) {
      if (this.queue.peekMs() > endMs) break
      const t = this.queue.popDue(endMs)!
      this.nowMs = t.atMs
      const e = t.payload
      if (e.kind === 'deliver') {
        if (this.dead.has(e.to)) continue
        this.delivered++
        this.opts.onDeliver?.(e.to, e.from, e.msg, this.nowMs)
        this.apply(e.to, { kind: 'message', from: e.from, msg: e.msg })
      } else if (e.kind === 'timer') {
        if (this.timerAt[e.node] !== t.atMs) continue
        this.timerAt[e.node] = Infinity
        this.apply(e.node, { kind: 'timer' })
      } else {
        this.apply(e.node, e.input)
      }
    }
    this.nowMs = Math.max(this.nowMs, endMs)
  }

  lookup(node: number, op: 'FIND_NODE' | 'GET_PROVIDERS' | 'PROVIDE', target: Uint8Array, tag: number): void {
    this.input(node, { kind: 'lookup', op, key: target, target, tag })
  }

  results(): LookupResult[] {
    const out: LookupResult[] = []
    for (const { ev } of this.events) if (ev.kind === 'lookup-done') out.push(ev)
    return out
  }

  result(tag: number): LookupResult | undefined {
    return this.results().find((r) => r.tag === tag)
  }
}
