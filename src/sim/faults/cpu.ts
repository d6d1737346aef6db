// Theory of operation
// -------------------
// CPU saturation as a service model: while a `cpu` fault is active on a peer, the peer's work
// runs on one FIFO service queue where one unit of work (a FIND_NODE-sized request: the engine's
// REQUEST_COST) takes `service_ms`. The model only says how long work waits and how long it takes;
// what the peer does about it is the engine's own admission control, as in the real node:
//   - a request arriving at a peer with a queue is stepped into its engine with the load it meets
//     (`load`: how long it waits, how many messages are ahead); the engine admits it or refuses it
//     "overloaded". An admitted request costs its REQUEST_COST, a refusal REJECT_COST (engine
//     constants: the same figures the engine budgets with), and the answer leaves when its work is
//     done (simulation.ts delays the step's sends);
//   - an answer to the peer's own query is never refused (it ends work the peer asked for): it
//     costs RESPONSE_COST and is processed when its turn comes;
//   - the queue has a physical bound, `queue_max` units waiting (a full accept backlog): a message
//     that finds it full is dropped unanswered and counted as "queue-full". Admission control that
//     works refuses long before that; the bound is the backstop that keeps a broken one finite.
// Peers with no active fault pass straight through; work queued while pegged still drains after
// the fault (at no further cost). Nothing is lost silently: every message is served, refused by
// the engine (its request-rejected event) or dropped here, and every one counted.
import type { ServiceModel } from '../network.js'
import type { RejectLog } from './reject-log.js'

/** Reason of a message dropped because the service queue was full (the backstop). */
export const QUEUE_FULL = 'queue-full'
/** Work of processing an answer to our own query (its contacts are checked and observed, as a FIND_NODE's are looked up). */
export const RESPONSE_COST = 1

interface Pegged {
  serviceMs: number
  queueMax: number
}

export class CpuModel implements ServiceModel {
  /** Per peer: the fault(s) pegging it, most recent last. */
  private readonly pegged = new Map<number, Pegged[]>()
  private readonly busyUntil = new Map<number, number>()
  /** Messages charged to a queue (served or refused by the engine). */
  served = 0
  /** Messages dropped on a full queue. */
  dropped = 0
  /** Most units of work found waiting by a message that was queued (rounded up). */
  peakQueue = 0

  constructor(private readonly rejects: RejectLog) {}

  peg(peer: number, serviceMs: number, queueMax: number): Pegged {
    const p: Pegged = { serviceMs, queueMax }
    const list = this.pegged.get(peer)
    if (list === undefined) this.pegged.set(peer, [p])
    else list.push(p)
    return p
  }

  unpeg(peer: number, p: Pegged): void {
    const list = this.pegged.get(peer)
    if (list === undefined) return
    const i = list.indexOf(p)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.pegged.delete(peer)
  }

  private current(peer: number): Pegged | undefined {
    const list = this.pegged.get(peer)
    return list === undefined ? undefined : list[list.length - 1]
  }

  waitMs(peer: number, nowMs: number): number {
    const busy = this.busyUntil.get(peer)
    if (busy !== undefined && busy > nowMs) return busy - nowMs
    if (busy !== undefined) this.busyUntil.delete(peer)
    return this.pegged.has(peer) ? 0 : -1
  }

  ahead(peer: number, waitMs: number): number {
    const p = this.current(peer)
    return p === undefined ? 0 : Math.ceil(waitMs / p.serviceMs)
  }

  full(peer: number, nowMs: number, waitMs: number): boolean {
    const p = this.current(peer)
    if (p === undefined || waitMs / p.serviceMs < p.queueMax) return false
    this.dropped++
    this.rejects.add(nowMs, QUEUE_FULL)
    return true
  }

  charge(peer: number, nowMs: number, units: number): number {
    const p = this.current(peer)
    const start = Math.max(nowMs, this.busyUntil.get(peer) ?? 0)
    if (p !== undefined) {
      const waiting = Math.ceil((start - nowMs) / p.serviceMs)
      if (waiting > this.peakQueue) this.peakQueue = waiting
    }
    const done = start + (p === undefined ? 0 : units * p.serviceMs)
    if (done > nowMs) this.busyUntil.set(peer, done)
    this.served++
    return done
  }
}
