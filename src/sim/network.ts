// The simulated network: who is where, how long a packet takes, and which packets are lost.
//
// Theory of operation: every peer sits in a region and has a one-way access latency (its last
// mile). A packet from a to b takes
//     RTT(region a, region b) / 2 + access(a) + access(b) + jitter
// where jitter is log-normal (skewed: mostly small, sometimes large) and drawn per packet.
// Before that, the packet passes through an ordered list of rules (partition, loss, latency,
// clog, adversary: the fault models add them); the first rule whose verdict is not "pass" wins:
// "drop" loses the packet (counted by reason), "delay" adds its ms to the modelled delay.
// Then the uniform base loss applies. Rules see one reused Packet view: they must not keep it.
// A per-node service model (CPU queue) may be installed: it is asked, when a packet arrives,
// how long the node's work waits, and is charged the work the node then does.
// With the stack model on (`network.stack`, netmodel/stack.ts), a request that got through the
// rules and the loss also waits for its connection (set up on first contact) and its stream, on
// the link's base round trip; the simulation reads `stack.lastConnectedAtMs` to tell the engine
// about a first contact, as the node's host does. Off, it costs one undefined check per packet.
// A request to a peer nobody can dial (`network.unreachable_share`, reachability.ts) is dropped
// before anything else: the sender's timeout runs out, as a dial to an undialable peer does
// (with the stack model on, unless the peer itself opened a connection to the sender).
import type { Message } from '../engine/types.js'
import type { Rng } from '../engine/rng.js'
import { jitterMs } from '../netmodel/latency.js'
import { StackModel, type StackSpec } from '../netmodel/stack.js'

/** What a rule sees of a packet. Reused between calls: do not keep a reference. */
export interface Packet {
  fromPeer: number
  toPeer: number
  fromRegion: number
  toRegion: number
  msg: Message
  nowMs: number
}

export type Verdict =
  | { readonly verdict: 'pass' }
  | { readonly verdict: 'drop'; readonly reason: string }
  | { readonly verdict: 'delay'; readonly ms: number }

export const PASS: Verdict = Object.freeze({ verdict: 'pass' })

export type PacketRule = (packet: Readonly<Packet>) => Verdict

/**
 * Per-node service (CPU) queue (faults/cpu.ts). The simulation asks it, when a packet reaches
 * `peer` at `nowMs`, how long work waits there; steps the peer's engine (telling it that load);
 * and charges the work done, in units of one FIND_NODE-sized request.
 */
export interface ServiceModel {
  /** How long work arriving now waits before it runs; -1 when the peer has no queue now (handled at once). */
  waitMs(peer: number, nowMs: number): number
  /** Messages' worth of work ahead of one that waits `waitMs`. */
  ahead(peer: number, waitMs: number): number
  /** True when the queue has no room (the message is dropped and counted). */
  full(peer: number, nowMs: number, waitMs: number): boolean
  /** Queues `units` of work behind what waits; returns when it is done (>= nowMs). */
  charge(peer: number, nowMs: number, units: number): number
}

export interface NetworkOptions {
  /** Region index of each peer (into regionNames). */
  readonly regionOf: Uint8Array
  /** One-way access latency of each peer, ms. */
  readonly accessMs: Float32Array
  readonly regionNames: readonly string[]
  /** One-way base delay between regions, oneWayMs[i * regions + j]. */
  readonly oneWayMs: Float64Array
  readonly jitterMedianMs: number
  readonly jitterSigma: number
  /** Uniform packet loss probability in [0, 1). */
  readonly loss: number
  readonly rng: Rng
  /** The libp2p stack's costs (connections, streams, processing); off when absent. */
  readonly stack?: StackSpec | undefined
  /** Where the measured window starts (the stack model counts connections opened from then). */
  readonly windowFromMs?: number
  /** 1 for peers nobody can dial (reachability.ts): requests to them are dropped as "unreachable". */
  readonly unreachable?: Uint8Array | undefined
}

export class Network {
  readonly regionOf: Uint8Array
  readonly accessMs: Float32Array
  readonly regionNames: readonly string[]
  /** Ordered fault rules; the first verdict that is not "pass" wins. */
  readonly rules: PacketRule[] = []
  service: ServiceModel | undefined = undefined
  /** Connections and their costs (network.stack), or undefined. */
  readonly stack: StackModel | undefined
  /** Peers nobody can dial (network.unreachable_share), or undefined. */
  readonly unreachable: Uint8Array | undefined
  packetsSent = 0
  packetsDropped = 0
  /** Drops by reason ("loss", "offline", or a rule's reason). */
  readonly dropsByReason = new Map<string, number>()

  private readonly oneWayMs: Float64Array
  private readonly regions: number
  private readonly jitter: { readonly median: number; readonly sigma: number }
  private readonly loss: number
  private readonly lossRng: Rng
  private readonly jitterRng: Rng
  private readonly packet: Packet

  constructor(opts: NetworkOptions) {
    this.regionOf = opts.regionOf
    this.accessMs = opts.accessMs
    this.regionNames = opts.regionNames
    this.oneWayMs = opts.oneWayMs
    this.regions = opts.regionNames.length
    this.jitter = { median: opts.jitterMedianMs, sigma: opts.jitterSigma }
    this.loss = opts.loss
    this.lossRng = opts.rng.fork('loss')
    this.jitterRng = opts.rng.fork('jitter')
    this.stack = opts.stack === undefined ? undefined : new StackModel(opts.stack, opts.regionOf.length, opts.windowFromMs)
    this.unreachable = opts.unreachable
    this.packet = { fromPeer: 0, toPeer: 0, fromRegion: 0, toRegion: 0, msg: undefined as unknown as Message, nowMs: 0 }
  }

  /** The modelled one-way delay between two peers, without jitter or rules. */
  baseDelayMs(from: number, to: number): number {
    const ra = this.regionOf[from]!
    const rb = this.regionOf[to]!
    return this.oneWayMs[ra * this.regions + rb]! + this.accessMs[from]! + this.accessMs[to]!
  }

  /** Routes one packet: the delay in ms until it arrives, or -1 when it is dropped. */
  route(from: number, to: number, msg: Message, nowMs: number): number {
    this.packetsSent++
    // A dial to a peer behind a NAT never connects: the request is lost, the sender times out.
    // With the stack model, a connection the peer opened itself carries requests both ways.
    if (this.unreachable !== undefined && msg.kind === 'request' && this.unreachable[to] === 1 && this.stack?.connected(from, to) !== true) {
      this.drop('unreachable')
      return -1
    }
    let extraMs = 0
    if (this.rules.length > 0) {
      const p = this.packet
      p.fromPeer = from
      p.toPeer = to
      p.fromRegion = this.regionOf[from]!
      p.toRegion = this.regionOf[to]!
      p.msg = msg
      p.nowMs = nowMs
      for (let i = 0; i < this.rules.length; i++) {
        const v = this.rules[i]!(p)
        if (v.verdict === 'pass') continue
        if (v.verdict === 'drop') {
          this.drop(v.reason)
          return -1
        }
        extraMs = Math.max(0, v.ms)
        break
      }
    }
    if (this.loss > 0 && this.lossRng.next() < this.loss) {
      this.drop('loss')
      return -1
    }
    const jitter = jitterMs(this.jitterRng, this.jitter)
    const base = this.baseDelayMs(from, to)
    if (this.stack !== undefined && msg.kind === 'request') extraMs += this.stack.request(from, to, nowMs, 2 * base)
    return base + jitter + extraMs
  }

  drop(reason: string): void {
    this.packetsDropped++
    this.dropsByReason.set(reason, (this.dropsByReason.get(reason) ?? 0) + 1)
  }
}

/** Picks an index by weight with one uniform draw (weights need not sum to 1). */
export function pickWeighted(rng: Rng, weights: readonly number[]): number {
  let total = 0
  for (const w of weights) total += w
  let u = rng.next() * total
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!
    if (u < 0) return i
  }
  return weights.length - 1
}
