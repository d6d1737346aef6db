// Theory of operation
// -------------------
// Admission control of inbound requests: a node that cannot keep up refuses work with reason
// "overloaded", at once and cheaply, instead of letting it queue without bound. The work queue
// itself belongs to the driver (the node's event loop and its open streams; the simulator's
// model of a CPU), so the driver reports how loaded it is with the `load` input:
//   delayMs   how long work waits before it runs (node: event-loop delay; simulator: the modelled
//             CPU's backlog, which is exactly how long the request being stepped waited), and
//   inflight  inbound requests the driver holds, accepted and not yet answered.
// The budget is in units of work, one FIND_NODE-sized request being one unit (REQUEST_COST): a
// request of cost c is admitted while delayMs * c <= admissionDelayMs and inflight * c <=
// admissionInflight. So an expensive request is refused first and a cheap PING last: a node under
// load still answers liveness checks and is not evicted from its peers' tables for being busy,
// while its peers' lookups get a fast refusal and move on to another contact.
// A refusal does nothing else: no table update, no lookup in the store, one small error answer
// (REJECT_COST is what the simulator charges for it). Both drivers ask this same code; the load
// figures are the only thing that differs between them.
// A load of 0/0 (the default, and a driver that never reports one) admits everything, and the
// check then costs two reads of plain fields on the hot path.
import type { EngineCore } from './core.js'
import type { RpcType } from './types.js'
import { EngineMisuseError } from './errors.js'

/** The reason a request refused by admission control carries (answer, event and counter). */
export const OVERLOADED = 'overloaded'

/**
 * Work of one request of each type, in units of one FIND_NODE: a PING answers from nothing; a
 * FIND_NODE walks the table for the k closest; GET_PROVIDERS adds a store read to that walk;
 * ADD_PROVIDER a store write (and the sender's signature check in the node).
 */
export const REQUEST_COST: Readonly<Record<RpcType, number>> = Object.freeze({
  PING: 0.5,
  FIND_NODE: 1,
  GET_PROVIDERS: 1,
  ADD_PROVIDER: 1,
})

/** Work of refusing a request (a short error answer, nothing looked up). */
export const REJECT_COST = 0.05

/** Records the driver's load figures (the `load` input). Negative or non-finite figures are misuse. */
export function setLoad(core: EngineCore, delayMs: number, inflight: number): void {
  if (!(delayMs >= 0) || !(inflight >= 0) || !Number.isFinite(delayMs) || !Number.isFinite(inflight)) {
    throw new EngineMisuseError(`engine: load figures must be finite and >= 0 (delayMs ${delayMs}, inflight ${inflight})`)
  }
  core.loadDelayMs = delayMs
  core.loadInflight = inflight
}

/** True when a request of `type` is over the work budget under the load last reported. */
export function overloaded(core: EngineCore, type: RpcType): boolean {
  const delayMs = core.loadDelayMs
  const inflight = core.loadInflight
  if (delayMs === 0 && inflight === 0) return false
  const cost = REQUEST_COST[type]
  return delayMs * cost > core.cfg.admissionDelayMs || inflight * cost > core.cfg.admissionInflight
}
