// Theory of operation
// -------------------
// Peers that share processes and cores (`network.stack.hosts`), as a testbed runs tens of real
// nodes in each of a few worker processes on one machine. Each process is one event loop: it
// runs one piece of work at a time, first come first served, so a message waits behind the
// work of every other peer of its process. Without it each peer has a CPU of its own and the
// stack model charges a set-up's and an RPC's CPU as fixed delays (netmodel/stack.ts).
//
// What a process runs, at its speed:
//   - a request it serves: REQUEST_COST units of its type (the engine's own figures, one unit a
//     FIND_NODE), a unit being half of the stack's `rpc_cpu_ms` (the other half is the answer);
//   - an answer to one of its peers' requests: RESPONSE_COST units, when its turn comes;
//   - half of each connection set-up's `setup_cpu_ms` at each end (the stack model asks);
//   - and a stream's negotiation waits, at each end, for what is queued there (no work of its own).
// A process's speed is the share of a core it gets (cores / processes when there are more
// processes than cores, else a whole one) less the background work of its peers that are online
// (`background_cpu_ms` per peer per second: timers, metrics, garbage collection), spread evenly
// over time. A node not started yet, or stopped by churn, has no timers: during a join the
// processes are faster than once every node runs (the background is measured with all of them).
// It is a service model like the `cpu` fault's (faults/cpu.ts): the simulation steps a request
// into its engine with the load it meets and holds the answer until the work is done, and the
// engine's admission control sees the wait as the real node's overload monitor sees its event
// loop's lag. Nothing is dropped here: a process's queue has no bound (its sockets' buffers).
// Deterministic: no randomness; processes are indices (peer i runs in process i mod processes).
import type { HostsSpec, StackCpu } from '../netmodel/stack.js'
import type { ServiceModel } from './network.js'

/** The lowest speed a process is given (the scenario refuses background work that leaves less than nothing). */
const MIN_SPEED = 0.05

export class HostCpu implements ServiceModel, StackCpu {
  readonly processes: number
  /** ms of CPU of one unit of work (half an RPC). */
  private readonly unitMs: number
  /** Per process: when the work queued so far is done. */
  private readonly busyUntil: Float64Array
  /** Per process: the share of a core its peers' messages get (share less its online peers' background; kept, as work() reads it per message). */
  private readonly speed: Float64Array
  /** The share of a core each process gets. */
  private readonly share: number
  /** Per process: how many of its peers are online. */
  private readonly onlineOn: Int32Array
  /** background_cpu_ms: per online peer, per second. */
  private readonly backgroundMs: number
  /** Work charged (ms of CPU, before the speed) and the longest wait a message met, for the report's tests. */
  workMs = 0
  maxWaitMs = 0

  constructor(spec: HostsSpec, rpcCpuMs: number, peers: number) {
    this.processes = Math.min(spec.processes, Math.max(1, peers))
    this.unitMs = rpcCpuMs / 2
    this.busyUntil = new Float64Array(this.processes)
    this.share = Math.min(1, spec.cores / this.processes)
    this.speed = new Float64Array(this.processes).fill(this.share)
    this.onlineOn = new Int32Array(this.processes)
    this.backgroundMs = spec.background_cpu_ms
  }

  /** A peer starts or stops: its process's background work grows or shrinks with it. */
  setOnline(peer: number, on: boolean): void {
    const h = this.processOf(peer)
    const n = (this.onlineOn[h]! += on ? 1 : -1)
    this.speed[h] = Math.max(MIN_SPEED, this.share - (n * this.backgroundMs) / 1000)
  }

  /** The process `peer` runs in. */
  processOf(peer: number): number {
    return peer % this.processes
  }

  /** The share of a core a process's messages get. */
  speedOf(process: number): number {
    return this.speed[process]!
  }

  waitMs(peer: number, nowMs: number): number {
    const w = this.busyUntil[this.processOf(peer)]! - nowMs
    return w > 0 ? w : 0
  }

  ahead(_peer: number, waitMs: number): number {
    return Math.ceil(waitMs / this.unitMs)
  }

  full(): boolean {
    return false
  }

  charge(peer: number, nowMs: number, units: number): number {
    return this.work(peer, nowMs, units * this.unitMs)
  }

  work(peer: number, atMs: number, cpuMs: number): number {
    const h = this.processOf(peer)
    const busy = this.busyUntil[h]!
    const start = busy > atMs ? busy : atMs
    if (start - atMs > this.maxWaitMs) this.maxWaitMs = start - atMs
    const done = start + cpuMs / this.speed[h]!
    this.busyUntil[h] = done
    this.workMs += cpuMs
    return done
  }
}
