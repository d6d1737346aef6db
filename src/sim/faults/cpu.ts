// Theory of operation
// -------------------
// CPU saturation as a service model: while a `cpu` fault is active on a peer, every message it
// receives takes `service_ms` of its (single) service queue, FIFO. A request that arrives while
// `queue_max` messages' worth of work is already waiting is REJECTED with reason "overloaded":
// counted in the reject log, and answered at once with an error response (the driver sends it)
// so the requester fails fast instead of timing out. A response to the peer's own query that
// finds the queue full is rejected too ("overloaded-response": the peer's own lookup counts it
// as a failed query when its timer fires). Peers with no active fault pass straight through (or
// to the model installed before, if any); work queued while pegged still drains after the fault.
// Nothing is lost silently: every message is served or rejected, and every rejection counted.
import type { Message, Response } from '../../engine/types.js'
import type { ServiceModel } from '../network.js'
import type { RejectLog } from './reject-log.js'

export const OVERLOADED = 'overloaded'
export const OVERLOADED_RESPONSE = 'overloaded-response'

interface Pegged {
  serviceMs: number
  queueMax: number
}

export class CpuModel implements ServiceModel {
  /** Per peer: the fault(s) pegging it, most recent last. */
  private readonly pegged = new Map<number, Pegged[]>()
  private readonly busyUntil = new Map<number, number>()
  served = 0
  rejected = 0
  /** Deepest queue accepted (messages waiting ahead, rounded up). */
  peakQueue = 0

  constructor(
    private readonly rejects: RejectLog,
    private readonly inner: ServiceModel | undefined,
  ) {}

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

  arrive(peer: number, nowMs: number, msg: Message): number {
    const list = this.pegged.get(peer)
    if (list === undefined) {
      // Work queued while pegged still drains after the fault ends.
      const busy = this.busyUntil.get(peer)
      if (busy !== undefined && busy > nowMs) return busy
      return this.inner === undefined ? nowMs : this.inner.arrive(peer, nowMs, msg)
    }
    const p = list[list.length - 1]!
    const start = Math.max(nowMs, this.busyUntil.get(peer) ?? 0)
    const waiting = (start - nowMs) / p.serviceMs
    if (waiting >= p.queueMax) {
      this.rejected++
      this.rejects.add(nowMs, msg.kind === 'request' ? OVERLOADED : OVERLOADED_RESPONSE)
      return -1
    }
    if (waiting > this.peakQueue) this.peakQueue = Math.ceil(waiting)
    const done = start + p.serviceMs
    this.busyUntil.set(peer, done)
    this.served++
    return done
  }
}

/** The error response a rejected request gets (the engine treats it as a failed query). */
export function overloadedResponse(msg: Message): Response | undefined {
  if (msg.kind !== 'request' || msg.type === 'ADD_PROVIDER') return undefined
  return { kind: 'response', rpcId: msg.rpcId, type: msg.type, closer: [], providers: [], error: OVERLOADED }
}
