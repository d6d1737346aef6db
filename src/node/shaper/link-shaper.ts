// The link shaper: the simulator's network model applied to the node's real kad frames, in user
// space (the kernel's `tc netem` is not available where these nodes run, and would shape whole
// hosts, not kad messages per remote peer).
//
// Theory of operation: the host asks the shaper about every kad frame it is about to write
// (`outbound(peer)`) and, with ingress shaping on, every request frame it has just read
// (`inbound(peer)`); the answer is a hold time in ms (the frame is written or handled that much
// later) or DROP (the frame is never written or handled: the asker's engine times the RPC out,
// exactly as when the simulator loses a packet). Dials and inbound connections from a peer cut
// off by a partition are refused (`dialAllowed`).
//
// What it applies, in the simulator's order: the active link faults (partition, then loss, then
// latency, each kind in injection order; the first that is not "pass" decides), then the base
// latency of the link: RTT(region a, region b) / 2 + access(a) + access(b) + jitter, from the
// same matrix and distributions as the simulator (src/netmodel). The base latency needs the
// region of each remote peer: a directory (peer id -> region, access latency, groups) given at
// start; a peer it does not list gets no base latency (only faults).
//
// Egress and ingress: in a testbed every node shapes what it sends, so each message is shaped
// once, by its sender. A single staging node among unshaped peers also shapes what it receives
// (ingress on), so an inbound partition or loss has an effect there too.
//
// Stack emulation (testbed, `stack` given): on 127.0.0.1 a connection's handshakes and a stream's
// protocol negotiation cross the loopback in microseconds, since only kad frames are shaped. A
// request (`request(peer)`) is then also held for the round trips they take on the modelled link
// (netmodel/stack.ts): a stream's, plus a set-up's when the node holds no connection to the peer
// (a request while that set-up is under way waits for the rest of it). Their CPU is real.
//
// Faults are the scenario's own definitions (netmodel/faults.ts): kind, percent, add_ms,
// jitter_ms, direction, targets. A fault lasts for_s seconds from its injection and is then
// removed; at_s is the scenario's business (the testbed injects at that time).
import { SeededRng, type Rng } from '../../engine/rng.js'
import { LINK_KIND_RANK, onFaultLink, type FaultSpec } from '../../netmodel/faults.js'
import { accessLatencyMs, jitterMs, oneWayMatrix, type LogNormalMs } from '../../netmodel/latency.js'
import { regionNames } from '../../netmodel/regions.js'
import { requestRtts, type StackSpec } from '../../netmodel/stack.js'

/** The shaper's verdict: hold the frame this many ms, or drop it. */
export const DROP = -1

/** What the host asks (the only surface the host sees). */
export interface LinkShaper {
  /** ms to hold a frame we are about to send to `peer`, or DROP. */
  outbound(peer: string): number
  /** ms to hold a request we are about to send to `peer` (outbound, plus the stack emulation), or DROP. */
  request?(peer: string): number
  /** ms to hold a request frame just read from `peer`, or DROP. */
  inbound(peer: string): number
  /** False when a partition cuts this node off from `peer` (dials and inbound connections refused). */
  dialAllowed(peer: string): boolean
}

/** What the shaper knows of a remote peer (or of itself). */
export interface PeerPlace {
  readonly region: string
  /** One-way access latency, ms; drawn from the scenario's access distribution when absent. */
  readonly accessMs?: number
  /** Named groups (replicas) the peer belongs to, for `group:` / `replica:` targets. */
  readonly groups?: readonly string[]
  readonly bootstrap?: boolean
}

export interface ShaperOptions {
  readonly self: string
  /** Where this node is; no base latency without it. */
  readonly place?: PeerPlace
  /** Remote peers by peer id. */
  readonly directory?: ReadonlyMap<string, PeerPlace>
  /** Bootstrap peer ids (the `bootstrap` target), besides directory entries marked bootstrap. */
  readonly bootstraps?: readonly string[]
  readonly access?: LogNormalMs
  readonly jitter?: LogNormalMs
  /** Uniform loss probability on every frame sent (the scenario's network.loss), after the faults. */
  readonly loss?: number
  /** Shape received requests too (a single shaped node among unshaped peers). */
  readonly ingress?: boolean
  readonly seed?: string
  /** Milliseconds clock, for fault expiry. */
  readonly now?: () => number
  /** Emulate the stack's round trips on requests (testbed): needs `connected` and a directory. */
  readonly stack?: Pick<StackSpec, 'setup_rtts' | 'stream_rtts'>
  /** Whether the node holds an open connection to `peer`. */
  readonly connected?: (peer: string) => boolean
}

/** The link faults the shaper applies. */
export type LinkFault = Extract<FaultSpec, { kind: 'partition' | 'loss' | 'latency' }>

/** An active fault: its spec and who is in its target set (or the inter-region link set). */
interface Active {
  readonly spec: LinkFault
  readonly order: number
  readonly untilMs: number
  readonly members: ReadonlySet<string> | 'inter-region'
  readonly rng: Rng
}

/** Refused: what the shaper cannot apply (names the field, for a 400 or an exit 2). */
export class ShaperInputError extends Error {}

export class UserSpaceShaper implements LinkShaper {
  private readonly self: string
  private readonly selfPlace: PeerPlace | undefined
  private readonly directory: ReadonlyMap<string, PeerPlace>
  private readonly bootstraps: ReadonlySet<string>
  private readonly ingress: boolean
  private readonly jitter: LogNormalMs
  private readonly access: LogNormalMs
  private readonly loss: number
  private readonly rng: Rng
  private readonly now: () => number
  private readonly regionIdx = new Map<string, number>()
  private readonly oneWay: Float64Array
  private readonly accessOf = new Map<string, number>()
  private active: Active[] = []
  private readonly stack: Pick<StackSpec, 'setup_rtts' | 'stream_rtts'> | undefined
  private readonly connected: (peer: string) => boolean
  /** Emulated set-ups under way: when each ends. */
  private readonly setupUntil = new Map<string, number>()
  private order = 0
  /** Frames dropped and held, by fault id or "base". */
  readonly drops = new Map<string, number>()
  held = 0

  constructor(o: ShaperOptions) {
    this.self = o.self
    this.selfPlace = o.place
    this.directory = o.directory ?? new Map()
    const boots = new Set(o.bootstraps ?? [])
    for (const [peer, p] of this.directory) if (p.bootstrap === true) boots.add(peer)
    if (o.place?.bootstrap === true) boots.add(o.self)
    this.bootstraps = boots
    this.ingress = o.ingress ?? false
    this.jitter = o.jitter ?? { median: 0, sigma: 0 }
    this.access = o.access ?? { median: 0, sigma: 0 }
    this.loss = o.loss ?? 0
    this.rng = new SeededRng(o.seed ?? `shaper/${o.self}`)
    this.now = o.now ?? (() => performance.now())
    this.stack = o.stack
    this.connected = o.connected ?? (() => true)
    // Only the regions in use: the matrix of the simulator, restricted (and validated).
    const names = new Set<string>()
    if (o.place !== undefined) names.add(o.place.region)
    for (const p of this.directory.values()) names.add(p.region)
    const known = regionNames()
    for (const n of names) if (!known.includes(n)) throw new ShaperInputError(`region: unknown region "${n}" (known: ${known.join(', ')})`)
    const list = [...names].sort()
    list.forEach((n, i) => this.regionIdx.set(n, i))
    this.oneWay = oneWayMatrix(list)
  }

  /** Injects a link fault now; it is removed after for_s. Replaces an active fault of the same id. */
  inject(spec: FaultSpec, members?: readonly string[]): { id: string; members: number | 'inter-region'; until_ms: number } {
    if (spec.kind !== 'partition' && spec.kind !== 'loss' && spec.kind !== 'latency') {
      throw new ShaperInputError(`kind: the link shaper applies partition, loss and latency, not ${spec.kind}`)
    }
    this.clear(spec.id)
    const set = this.resolve(spec.targets, members)
    const a: Active = { spec, order: this.order++, untilMs: this.now() + spec.for_s * 1000, members: set, rng: this.rng.fork(`fault/${spec.id}/${this.order}`) }
    this.active.push(a)
    this.active.sort((x, y) => LINK_KIND_RANK[x.spec.kind]! - LINK_KIND_RANK[y.spec.kind]! || x.order - y.order)
    return { id: spec.id, members: set === 'inter-region' ? set : set.size, until_ms: a.untilMs }
  }

  /** Removes one fault (true if it was active), or all of them without an id. */
  clear(id?: string): boolean {
    const before = this.active.length
    this.active = id === undefined ? [] : this.active.filter((a) => a.spec.id !== id)
    return this.active.length < before
  }

  /** The active faults, for the admin endpoint. */
  list(): { id: string; kind: string; targets: string; remaining_s: number }[] {
    this.expire()
    const t = this.now()
    return this.active.map((a) => ({ id: a.spec.id, kind: a.spec.kind, targets: a.spec.targets, remaining_s: Math.max(0, Math.round((a.untilMs - t) / 100) / 10) }))
  }

  outbound(peer: string): number {
    const v = this.faults(this.self, peer)
    if (v === DROP) return DROP
    if (this.loss > 0 && this.rng.next() < this.loss) return this.drop('loss')
    return v + this.baseMs(peer)
  }

  request(peer: string): number {
    const v = this.outbound(peer)
    if (v === DROP || this.stack === undefined) return v
    const rtt = 2 * this.baseMs(peer, false)
    if (rtt <= 0) return v
    if (this.connected(peer)) {
      this.setupUntil.delete(peer)
      return v + requestRtts(this.stack, true) * rtt
    }
    const t = this.now()
    let until = this.setupUntil.get(peer)
    if (until === undefined || until <= t) {
      until = t + this.stack.setup_rtts * rtt
      this.setupUntil.set(peer, until)
    }
    return v + until - t + this.stack.stream_rtts * rtt
  }

  inbound(peer: string): number {
    if (!this.ingress) return 0
    return this.faults(peer, this.self)
  }

  dialAllowed(peer: string): boolean {
    this.expire()
    for (const a of this.active) {
      if (a.spec.kind !== 'partition') continue
      if (this.onLink(a, this.self, peer, 'cut') || this.onLink(a, peer, this.self, 'cut')) return false
    }
    return true
  }

  // ------------------------------------------------------------------ model

  /** The first fault verdict on the link from -> to: DROP, or the ms it adds (0: pass). */
  private faults(from: string, to: string): number {
    if (this.active.length === 0) return 0
    this.expire()
    for (const a of this.active) {
      const s = a.spec
      if (s.kind === 'partition') {
        if (this.onLink(a, from, to, 'cut')) return this.drop(s.id)
        continue
      }
      if (!this.onLink(a, from, to, 'touch')) continue
      if (s.kind === 'loss') {
        if (a.rng.next() < s.percent / 100) return this.drop(s.id)
        continue
      }
      this.held++
      return s.add_ms + (s.jitter_ms > 0 ? a.rng.next() * s.jitter_ms : 0)
    }
    return 0
  }

  private onLink(a: Active, from: string, to: string, mode: 'touch' | 'cut'): boolean {
    if (a.members === 'inter-region') {
      const rf = this.regionOf(from)
      const rt = this.regionOf(to)
      return rf !== undefined && rt !== undefined && rf !== rt
    }
    return onFaultLink(a.members.has(from), a.members.has(to), a.spec.direction, mode)
  }

  /** Base one-way latency to a peer: region RTT / 2 + both access latencies (+ jitter). */
  private baseMs(peer: string, withJitter = true): number {
    const place = this.directory.get(peer)
    if (this.selfPlace === undefined || place === undefined) return 0
    const i = this.regionIdx.get(this.selfPlace.region)!
    const j = this.regionIdx.get(place.region)!
    const n = this.regionIdx.size
    const base = this.oneWay[i * n + j]! + this.accessMsOf(this.self, this.selfPlace) + this.accessMsOf(peer, place)
    return withJitter ? base + jitterMs(this.rng, this.jitter) : base
  }

  private accessMsOf(peer: string, p: PeerPlace): number {
    if (p.accessMs !== undefined) return p.accessMs
    let v = this.accessOf.get(peer)
    if (v === undefined) {
      v = accessLatencyMs(this.rng.fork(`access/${peer}`), this.access)
      this.accessOf.set(peer, v)
    }
    return v
  }

  private regionOf(peer: string): string | undefined {
    return peer === this.self ? this.selfPlace?.region : this.directory.get(peer)?.region
  }

  private drop(id: string): number {
    this.drops.set(id, (this.drops.get(id) ?? 0) + 1)
    return DROP
  }

  private expire(): void {
    if (this.active.length === 0) return
    const t = this.now()
    if (this.active.some((a) => a.untilMs <= t)) this.active = this.active.filter((a) => a.untilMs > t)
  }

  /** The peers a target names, from the directory (and `members` for groups it does not list). */
  private resolve(targets: string, members?: readonly string[]): ReadonlySet<string> | 'inter-region' {
    if (members !== undefined) return new Set(members)
    if (targets === 'inter-region') {
      if (this.selfPlace === undefined) throw new ShaperInputError('targets: inter-region needs this node\'s region (shaper directory)')
      return 'inter-region'
    }
    const everyone = [this.self, ...this.directory.keys()]
    if (targets === 'all') return new Set(everyone)
    if (targets === 'bootstrap') return new Set(this.bootstraps)
    const colon = targets.indexOf(':')
    const kind = targets.slice(0, colon)
    const arg = targets.slice(colon + 1)
    if (kind === 'region') return new Set(everyone.filter((p) => this.regionOf(p) === arg))
    if (kind === 'group' || kind === 'replica') {
      const inGroup = (p: PeerPlace | undefined): boolean => p?.groups?.includes(arg) === true
      const out = new Set<string>()
      if (inGroup(this.selfPlace)) out.add(this.self)
      for (const [peer, p] of this.directory) if (inGroup(p)) out.add(peer)
      return out
    }
    throw new ShaperInputError(`targets: ${targets} needs an explicit "members" list of peer ids on a node`)
  }
}
