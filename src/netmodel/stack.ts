// What a real libp2p stack pays per RPC that a bare packet model does not: connection set-up on
// first contact, a stream negotiation per request, and the CPU of both. Shared by the two worlds
// that need it: the simulator's network (`network.stack` in a scenario, off by default) charges
// it to every request it routes; the testbed's link shaper charges the round-trip part to real
// frames, because on 127.0.0.1 the handshakes' own packets cross the loopback in microseconds
// (only kad frames are shaped) and the testbed would otherwise show a stack on a LAN of zero RTT.
//
// Theory of operation (the node's stack, src/node/host/libp2p-node.ts and rpc-io.ts):
// - first contact to a peer: TCP (1 RTT), multistream-select of Noise (1 RTT), the Noise XX
//   handshake (1 RTT before the initiator may send), multistream-select of yamux inside Noise
//   (1 RTT): `setup_rtts` = 4, plus the handshakes' public-key work (`setup_cpu_ms`);
// - every RPC opens a new yamux stream and negotiates the kad protocol on it: js-libp2p waits for
//   the multistream echo before the request goes out (`stream_rtts` = 1);
// - every RPC costs processing time on the two nodes (framing, protobuf, stream bookkeeping,
//   the engine's step): `rpc_cpu_ms`;
// - an open connection is reused, in either direction (a connection B opened to A carries A's
//   requests to B). The node does not close idle connections (yamux's keep-alive keeps them
//   open); libp2p's connection manager prunes beyond `max_connections` (the node's 1,024), the
//   least recently used first here; a peer that leaves takes its connections with it.
// A request on a connection still being set up waits for it, as a second dial to the same peer
// joins the first in libp2p's dial queue.
// Peers that share processes and cores (`hosts`, the simulator's sim/host-cpu.ts): the CPU is no
// longer a fixed delay but work queued in the two ends' processes (a set-up's halves here, the
// RPC's by the simulation), and a stream's negotiation waits for what is queued at each end.
//
// Deterministic: no randomness, no clock; connections are kept per peer in insertion-ordered
// maps keyed by peer index (least recently used first).
import * as z from 'zod'

/** The defaults, each with its reason. */
export const STACK_DEFAULTS = {
  /** TCP + multistream(noise) + Noise XX + multistream(yamux): the round trips before a first request may go out. */
  setupRtts: 4,
  /** js-libp2p 3.3 waits for the multistream echo on every new stream (optimistic select is ignored). */
  streamRtts: 1,
  /**
   * CPU of one set-up, both ends (TCP accept, Noise XX's X25519 and Ed25519 work, yamux, the
   * multistream negotiations): 11.0 ms measured by bench/stack-costs.ts on this project's 2-core
   * machine, with the node's Noise crypto (BENCHMARKS.md, "The libp2p stack's costs").
   */
  setupCpuMs: 11,
  /** CPU of one RPC on an open connection, both ends (stream, frames, protobuf, engine): 2.8 ms, measured with it. */
  rpcCpuMs: 3,
  /** The node's libp2p connection manager limit (libp2p-node.ts). */
  maxConnections: 1024,
} as const

export const hostsSchema = z
  .strictObject({
    processes: z.number().int().min(1).max(1_000_000).describe('OS processes the peers run in, peer i in process i mod processes (as the testbed places nodes on its workers); each is one event loop'),
    cores: z.number().int().min(1).max(4096).describe('cores the processes share'),
    background_cpu_ms: z.number().min(0).max(1000).default(0).describe('CPU each peer costs its process per second besides its requests and set-ups (timers, metrics, garbage collection), ms'),
  })
  .describe('peers share processes and cores: each process handles one message at a time, so work waits behind other peers\' work (off when absent: every peer has a CPU of its own)')

export const stackSchema = z
  .strictObject({
    setup_rtts: z.number().min(0).max(100).default(STACK_DEFAULTS.setupRtts).describe('round trips a first contact costs before its request goes out (TCP, Noise XX, multistream, yamux)'),
    stream_rtts: z.number().min(0).max(100).default(STACK_DEFAULTS.streamRtts).describe('round trips a new stream costs before its request goes out (multistream-select per RPC)'),
    setup_cpu_ms: z.number().min(0).max(60_000).default(STACK_DEFAULTS.setupCpuMs).describe('processing time of one connection set-up (handshakes\' public-key work), ms'),
    rpc_cpu_ms: z.number().min(0).max(60_000).default(STACK_DEFAULTS.rpcCpuMs).describe('processing time of one RPC on the two nodes, ms'),
    max_connections: z.number().int().min(1).max(1_000_000).default(STACK_DEFAULTS.maxConnections).describe('open connections per peer; beyond it the least recently used is closed'),
    hosts: hostsSchema.optional(),
  })
  .describe('model the libp2p stack: connection set-up on first contact, connection reuse, a stream negotiation and processing time per RPC (off when absent)')

export type StackSpec = z.output<typeof stackSchema>
export type HostsSpec = z.output<typeof hostsSchema>

/** The spec with every default (the scenario's `stack: {}`). */
export function stackSpec(partial: Partial<StackSpec> = {}): StackSpec {
  return stackSchema.parse(partial)
}

/** Round trips a request waits before its frame goes out: a stream, plus a set-up when not connected. */
export function requestRtts(spec: Pick<StackSpec, 'setup_rtts' | 'stream_rtts'>, connected: boolean): number {
  return spec.stream_rtts + (connected ? 0 : spec.setup_rtts)
}

/**
 * The processes' CPU (`stack.hosts`), as the stack model needs it: the simulator's host model
 * (sim/host-cpu.ts). Absent, every peer has a CPU of its own and a set-up's and an RPC's CPU are
 * fixed delays.
 */
export interface StackCpu {
  /** ms a message reaching `peer`'s process at `atMs` waits there before it runs. */
  waitMs(peer: number, atMs: number): number
  /** Queues `cpuMs` of work on `peer`'s process at `atMs`, behind what waits there; returns when it is done. */
  work(peer: number, atMs: number, cpuMs: number): number
}

interface Conn {
  /** When the connection is (or was) up. */
  readonly readyMs: number
}

/**
 * The connections of a simulated network and what a request pays for its transport. One
 * instance per simulation; peers are indices.
 */
export class StackModel {
  readonly spec: StackSpec
  /** Per peer: its connections by remote peer, least recently used first. */
  private readonly conns: (Map<number, Conn> | undefined)[]
  /** Set by request(): when the request's stream was open if it had to wait for a connection; else -1. */
  lastConnectedAtMs = -1
  /** Set by request(): true when it opened a new connection (not one already open or being set up). */
  lastOpened = false
  opened = 0
  reused = 0
  closed = 0
  /** Connections opened by requests handed over at or after `windowFromMs` (the report's measured window). */
  openedInWindow = 0
  private readonly windowFromMs: number

  /** The processes' CPU queues when peers share them (`hosts`); set by the simulation. */
  cpu: StackCpu | undefined = undefined

  constructor(spec: StackSpec, peers: number, windowFromMs = 0) {
    this.spec = spec
    this.windowFromMs = windowFromMs
    this.conns = new Array<Map<number, Conn> | undefined>(peers).fill(undefined)
  }

  /**
   * A request from `from` to `to` handed to the transport at `startMs`, on a link of round-trip
   * `rttMs`: the ms it waits before its frame goes out (set-up if needed, the stream, processing).
   */
  request(from: number, to: number, startMs: number, rttMs: number): number {
    const cpu = this.cpu
    let c = this.conns[from]?.get(to)
    if (c === undefined) {
      c = { readyMs: startMs + this.spec.setup_rtts * rttMs + (cpu === undefined ? this.spec.setup_cpu_ms : this.setupCpuMs(cpu, from, to, startMs)) }
      this.link(from, to, c)
      this.lastOpened = true
      this.opened++
      if (startMs >= this.windowFromMs) this.openedInWindow++
    } else {
      this.lastOpened = false
      this.touch(from, to, c)
      this.reused++
    }
    const openMs = Math.max(startMs, c.readyMs)
    let streamAtMs = openMs + this.spec.stream_rtts * rttMs
    // With shared processes, the stream's negotiation is read at the far end, then its echo at
    // ours, each behind what waits in that process; the RPC's own CPU is queued at the two ends
    // by the simulation (the request where it is served, the answer where it is read).
    if (cpu !== undefined && this.spec.stream_rtts > 0) streamAtMs += this.spec.stream_rtts * (cpu.waitMs(to, openMs + rttMs / 2) + cpu.waitMs(from, openMs + rttMs))
    this.lastConnectedAtMs = c.readyMs > startMs ? streamAtMs : -1
    return streamAtMs - startMs + (cpu === undefined ? this.spec.rpc_cpu_ms : 0)
  }

  /**
   * A set-up's CPU on shared processes: half of it at each end, each queued behind what waits in
   * its process; the ms it adds to the set-up's round trips. Both halves are queued at the dial:
   * the listener's really runs a round trip or so later, but work queued for a later time would
   * hold up every message that reaches its process before then.
   */
  private setupCpuMs(cpu: StackCpu, from: number, to: number, startMs: number): number {
    const half = this.spec.setup_cpu_ms / 2
    return cpu.work(from, startMs, half) - startMs + (cpu.work(to, startMs, half) - startMs)
  }

  /** True when a connection between the two is open (or being set up). */
  connected(a: number, b: number): boolean {
    return this.conns[a]?.has(b) === true
  }

  /** Connections `peer` holds. */
  connectionsOf(peer: number): number {
    return this.conns[peer]?.size ?? 0
  }

  /** A peer leaves: its connections close at both ends. */
  closeAll(peer: number): void {
    const mine = this.conns[peer]
    if (mine === undefined) return
    for (const other of mine.keys()) {
      this.conns[other]?.delete(peer)
      this.closed++
    }
    this.conns[peer] = undefined
  }

  private link(a: number, b: number, c: Conn): void {
    this.mapOf(a).set(b, c)
    this.mapOf(b).set(a, c)
    this.prune(a)
    this.prune(b)
  }

  /** Moves the connection to the most recently used end of both peers' maps. */
  private touch(a: number, b: number, c: Conn): void {
    const ma = this.conns[a]!
    ma.delete(b)
    ma.set(b, c)
    const mb = this.conns[b]
    if (mb !== undefined) {
      mb.delete(a)
      mb.set(a, c)
    }
  }

  private prune(peer: number): void {
    const m = this.conns[peer]!
    while (m.size > this.spec.max_connections) {
      const lru = m.keys().next().value as number
      m.delete(lru)
      this.conns[lru]?.delete(peer)
      this.closed++
    }
  }

  private mapOf(peer: number): Map<number, Conn> {
    let m = this.conns[peer]
    if (m === undefined) {
      m = new Map()
      this.conns[peer] = m
    }
    return m
  }
}
