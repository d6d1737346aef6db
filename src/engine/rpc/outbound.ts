// What becomes of the requests we sent (core.sendRequest): an answer, a timeout or a transport
// failure, each handed to the part that sent the request — a lookup's query, a liveness ping of
// a bucket's head, a bootstrap poll. A lookup's query first turns Slow at the adaptive timeout
// (the lookup stops waiting for it) and fails only at the per-hop timeout.
import type { EngineCore, Pending } from '../core.js'
import { EMPTY } from '../core.js'
import type { Contact, Response } from '../types.js'
import { samePeer, wellFormedId } from '../contact-keys.js'
import { RPC_TIMEOUT, timerPayload } from '../timer-kinds.js'
import { livenessDone, observe } from '../liveness.js'
import { noteBootstrapAnswer, noteWarmJoinAnswer, onBootstrapPingFailed } from '../bootstrap.js'
import { hardDeadlineMs } from '../first-contact.js'
import { advance, lookupQueryFailed } from '../query/queue.js'

export function onResponse(core: EngineCore, from: Contact, res: Response): void {
  const p = core.pending.get(res.rpcId)
  if (p === undefined || !samePeer(p.to, from)) {
    // Late (already timed out) or unsolicited: the peer is alive, but the content is ignored.
    if (p === undefined) {
      core.ignored.lateResponse++
      observe(core, from)
    }
    else core.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'response-from-wrong-peer' })
    return
  }
  core.pending.delete(res.rpcId)
  // Only answers inside the adaptive timeout feed it: it estimates how long a quick answer takes.
  if (p.purpose === 'lookup' && !p.slow) core.rtt.sample(core.nowMs - p.sentMs)
  if (core.bootstrapCount > 0) noteBootstrapAnswer(core, from.peer)
  if (res.error !== undefined) {
    // Alive but refusing: not the contact's fault for the table, but no answer for the lookup.
    if (p.purpose === 'lookup') lookupQueryFailed(core, p.lookup, p.cand)
    if (p.purpose === 'liveness') livenessDone(core, p.to)
    return
  }
  observe(core, from)
  if (core.warmJoinNeed > 0) noteWarmJoinAnswer(core, from.peer)
  switch (p.purpose) {
    case 'lookup': {
      const k = core.cfg.k
      const l = p.lookup
      const closer = sanitize(res.closer, k)
      const providers = l.op === 'GET_PROVIDERS' ? sanitize(res.providers, k) : EMPTY
      if (res.closer.length > k || res.providers.length > k) core.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'oversized-response' })
      // A late answer from a replica that a finished PROVIDE left unconfirmed: store there now.
      if (l.takeDeferredProvide(p.cand)) core.sendRequest(p.to, 'ADD_PROVIDER', l.key, l.target, [core.self], undefined)
      if (!l.answered(p.cand, closer, providers)) core.ignored.unawaitedQuery++
      advance(core, l)
      break
    }
    case 'liveness':
      livenessDone(core, p.to)
      break
    case 'bootstrap':
      break
  }
}

/** The timeout of request rpcId (a no-op when it was answered or failed since). */
export function onRpcTimeout(core: EngineCore, rpcId: number): void {
  const p = core.pending.get(rpcId)
  if (p === undefined) return
  const hardMs = hardDeadlineMs(core, p)
  if (core.nowMs < hardMs) {
    // Early: the adaptive timeout of a lookup's query, or a timer armed before a first contact
    // moved the deadline (first-contact.ts). A lookup stops waiting; the contact is not charged.
    if (p.purpose === 'lookup' && !p.slow) {
      p.slow = true
      core.timers.push(hardMs, timerPayload(RPC_TIMEOUT, rpcId))
      if (!p.lookup.slow(p.cand)) core.ignored.unawaitedQuery++
      advance(core, p.lookup)
    }
    return
  }
  core.pending.delete(rpcId)
  failRpc(core, p)
}

/** The driver could not deliver request rpcId to `to` (or its connection broke). */
export function onRpcFailed(core: EngineCore, to: Contact, rpcId: number): void {
  const p = core.pending.get(rpcId)
  if (p === undefined || !samePeer(p.to, to)) {
    core.ignored.unknownRpcFailure++
    return
  }
  core.pending.delete(rpcId)
  failRpc(core, p)
}

function failRpc(core: EngineCore, p: Pending): void {
  switch (p.purpose) {
    case 'lookup':
      core.table.fail(p.to, core.nowMs, core.cfg.maxContactFailures)
      lookupQueryFailed(core, p.lookup, p.cand)
      break
    case 'liveness':
      livenessDone(core, p.to)
      core.table.fail(p.to, core.nowMs, core.cfg.maxContactFailures, true)
      break
    case 'bootstrap':
      onBootstrapPingFailed(core)
      break
  }
}

/** Drops malformed contacts and truncates to `max`: remote input never breaks the engine. */
function sanitize(list: readonly Contact[], max: number): readonly Contact[] {
  let ok = list.length <= max
  if (ok) for (const c of list) if (!wellFormedId(c)) ok = false
  if (ok) return list
  const out: Contact[] = []
  for (const c of list) {
    if (wellFormedId(c)) out.push(c)
    if (out.length >= max) break
  }
  return out
}
