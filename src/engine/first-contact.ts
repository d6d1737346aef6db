// First contact: a request to a peer we hold no connection to waits for the connection first
// (dial, Noise, yamux, multistream and, where required, the PQ proof) — several round trips and
// public-key work that, on a loaded machine or a long link, take longer than a hop's timeout. A
// join that charged that to the per-hop timeout ended with its contacts' answers arriving too
// late to count. The driver reports the set-up (rpc-dialing): the request then has the first-
// contact budget for it, and when the connection is up (rpc-connected) the per-hop clock starts
// from there. A driver that reports nothing (the simulator: its links need no set-up) sees the
// per-hop timeout alone, as before.
import type { EngineCore, Pending } from './core.js'
import { RPC_TIMEOUT, timerPayload } from './timer-kinds.js'

/** When request `p` fails for want of an answer. */
export function hardDeadlineMs(core: EngineCore, p: Pending): number {
  return p.sentMs + (p.dialing === true ? core.cfg.firstContactTimeoutMs : core.cfg.rpcTimeoutMs)
}

/** Request rpcId needs a new connection: its deadline moves to the first-contact budget. */
export function onRpcDialing(core: EngineCore, rpcId: number): void {
  const p = core.pending.get(rpcId)
  if (p === undefined || p.dialing !== undefined) return
  p.dialing = true
  core.timers.push(hardDeadlineMs(core, p), timerPayload(RPC_TIMEOUT, rpcId))
}

/** The connection of request rpcId is up: the per-hop clock (and a lookup's adaptive one) starts now. */
export function onRpcConnected(core: EngineCore, rpcId: number): void {
  const p = core.pending.get(rpcId)
  if (p === undefined || p.dialing !== true) return
  p.dialing = false
  p.sentMs = core.nowMs
  const waitMs = p.purpose === 'lookup' && !p.slow ? core.rtt.timeoutMs(core.cfg.rpcTimeoutMs) : core.cfg.rpcTimeoutMs
  core.timers.push(core.nowMs + waitMs, timerPayload(RPC_TIMEOUT, rpcId))
}
