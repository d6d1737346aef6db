// The lookup queue: every lookup — a user's, or the engine's own join, refresh and republish —
// starts here. At most maxInflightLookups run at once; more wait in a bounded queue, and beyond it
// a user's lookup is shed with "busy" (back-pressure) and a refresh or republish is dropped and
// counted ("maintenance-shed"). A running lookup is advanced whenever
// something happened to it (an answer, a failure, a hedge wake-up) and finished here: its result
// is reported, a PROVIDE stores its records, and the next queued lookup starts. A user's PROVIDE
// that stores on a wider region than k (detection on) reports its result earlier, where a lookup
// of width k ends, and stores there first (answerProvideCaller); its end reports the rest.
import type { EngineCore, QueuedLookup } from '../core.js'
import { EMPTY } from '../core.js'
import type { EngineConfig } from '../config.js'
import type { NodeId } from '../ids.js'
import { toHex } from '../ids.js'
import type { EngineEvent, LookupOp } from '../types.js'
import { Lookup } from './lookup.js'
import { ANSWERED } from './candidate-state.js'
import type { Candidate, LookupPurpose } from './lookup.js'
import { densityCheck, earlyDensityCheck, EARLY_CHECK_EVERY, EARLY_CHECKS, networkSizeEstimate, provideAnswerAllowed, providerStopAllowed } from './density.js'
import { LOOKUP_HEDGE, timerPayload } from '../timer-kinds.js'
import { KEY_BYTES, LOOKUP_QUORUM, MAX_CANDIDATES_PER_PATH, SUSPECT_REGION_K, WIDE_REGION_K } from '../constants.js'
import { EngineMisuseError } from '../errors.js'

export function requestLookup(core: EngineCore, op: LookupOp, key: Uint8Array, target: NodeId, tag: number, purpose: LookupPurpose): void {
  if (target.length !== KEY_BYTES) throw new EngineMisuseError(`lookup target must be ${KEY_BYTES} bytes, got ${target.length}`)
  if (core.stopped) return // the engine is stopping: a join or refresh that a finishing lookup asks for
  const q: QueuedLookup = { op, key, target, tag, purpose, queuedMs: core.nowMs }
  if (core.active.size < core.cfg.maxInflightLookups) {
    begin(core, q)
  } else if (purpose === 'join' || core.queue.length < core.cfg.maxQueuedLookups) {
    core.queue.push(q)
  } else if (purpose === 'user') {
    core.count(core.rejected, 'busy')
    emitDone(core, failedResult(core, q, 'busy'))
  } else {
    // A refresh or republish the full queue has no room for: the next round tries again, but an
    // operator should see that maintenance is being shed.
    core.count(core.rejected, 'maintenance-shed')
  }
}

function begin(core: EngineCore, q: QueuedLookup): void {
  const cfg = core.cfg
  const l = new Lookup(core.nextLookupId++, q.op, q.key, q.target, q.tag, q.queuedMs, q.purpose, core.self.peer, {
    k: cfg.k,
    alpha: cfg.alpha,
    beta: cfg.beta,
    hedgeDelayMs: cfg.hedgeDelayMs,
    disjointPaths: cfg.disjointPaths,
    maxQueries: cfg.maxQueriesPerLookup,
    maxCandidatesPerPath: MAX_CANDIDATES_PER_PATH,
    providersWanted: cfg.providersWanted,
    quorum: LOOKUP_QUORUM,
    fullNeighbourhood: cfg.policy.sybilDetection,
  })
  if (cfg.policy.sybilDetection && q.op === 'PROVIDE') l.width = WIDE_REGION_K * cfg.k
  core.active.set(l.id, l)
  core.table.touch(q.target, core.nowMs)
  if (q.op === 'GET_PROVIDERS') l.addLocalProviders(core.store.get(toHex(q.target), core.nowMs, cfg.k))
  l.seed(core.table.closest(q.target, cfg.k * pathCount(cfg)))
  advance(core, l)
}

/** Sends what the lookup wants sent, or finishes it. */
export function advance(core: EngineCore, l: Lookup): void {
  if (!core.active.has(l.id)) return
  const nowMs = core.nowMs
  if (core.cfg.policy.sybilDetection && l.earlyChecks < EARLY_CHECKS && l.answers >= (l.earlyChecks + 1) * EARLY_CHECK_EVERY) {
    l.earlyChecks++
    earlyDensityCheck(core, l)
  }
  if (l.stopAtProvider === undefined && l.op === 'GET_PROVIDERS' && core.cfg.policy.sybilDetection && l.providers.length >= core.cfg.providersWanted) {
    l.stopAtProvider = providerStopAllowed(core, l)
  }
  if (l.isDone(nowMs)) {
    finish(core, l)
    return
  }
  if (l.earlyAnswer === undefined && l.op === 'PROVIDE' && l.purpose === 'user' && l.width > core.cfg.k && l.nearestDone(nowMs)) {
    l.earlyAnswer = provideAnswerAllowed(core, l)
    if (l.earlyAnswer) answerProvideCaller(core, l)
  }
  const n = l.pickQueries(nowMs)
  const type = l.op === 'GET_PROVIDERS' ? 'GET_PROVIDERS' : 'FIND_NODE'
  for (let i = 0; i < n; i++) {
    const c = l.pickedQuery(i)
    core.sendRequest(c.contact, type, l.key, l.target, EMPTY, { purpose: 'lookup', to: c.contact, sentMs: nowMs, lookup: l, cand: c, slow: false })
  }
  if (core.cfg.beta > 0) {
    // Wake up when the next in-flight query turns slow, so a hedge may go out — also when no
    // new query went out this time (slow queries late in a lookup hedged too). One pending
    // wake-up per lookup time is enough.
    const hedgeAt = l.nextHedgeMs(nowMs)
    if (hedgeAt < Infinity && hedgeAt !== l.hedgeArmedMs) {
      l.hedgeArmedMs = hedgeAt
      core.timers.push(hedgeAt, timerPayload(LOOKUP_HEDGE, l.id))
    }
  }
  if (l.isDone(nowMs)) finish(core, l)
}

/** A query of the lookup failed (timed out, refused, or the transport gave up). */
export function lookupQueryFailed(core: EngineCore, l: Lookup, c: Candidate): void {
  if (!l.failed(c)) core.ignored.unawaitedQuery++
  advance(core, l)
}

/** Ends a lookup (with `error`, without asking for more: it is stopped) and reports its result. */
export function finish(core: EngineCore, l: Lookup, error?: string): void {
  if (!core.active.has(l.id)) return
  if (error === undefined && densityCheck(core, l)) {
    advance(core, l) // continues beyond the excluded cluster, or finishes (the check ran: no recursion)
    return
  }
  const k = core.cfg.k
  if (error === undefined && core.cfg.policy.sybilDetection && l.op === 'GET_PROVIDERS' && l.providers.length === 0 && l.width < SUSPECT_REGION_K * k) {
    // Nothing among the k nearest: look as far as a PROVIDE stores before saying not-found, and
    // then as far as one stores in a suspect region (SUSPECT_REGION_K): misrouting Sybils packed
    // near the key hide honest peers from a lookup, and a wider one reaches those they hid.
    l.width = l.width < WIDE_REGION_K * k ? WIDE_REGION_K * k : SUSPECT_REGION_K * k
    advance(core, l) // widened (at most twice): finishes when the wider region is heard from
    return
  }
  const nowMs = core.nowMs
  const cfg = core.cfg
  core.active.delete(l.id)
  l.stop()
  const closestC = l.result(nowMs)
  l.failInflight()
  const closest = closestC.map((c) => c.contact)
  let success = error === undefined && closest.length > 0
  let err = error ?? (closest.length === 0 ? 'exhausted' : undefined)
  let placedAtEnd = 0
  if (l.op === 'GET_PROVIDERS' && error === undefined) {
    success = l.providers.length > 0
    err = success ? undefined : 'not-found'
  }
  if (l.op === 'PROVIDE' && error === undefined) {
    // Records go to replicas that answered; one that is still silent (far, or dead) gets its
    // record when its late answer comes in, and never if it does not.
    // Those the caller's early answer stored on already count as placed (no second record).
    const n = Math.min(l.width > cfg.k ? Math.max(cfg.replication, l.width) : cfg.replication, closestC.length)
    let placed = 0
    for (let i = 0; i < n; i++) {
      const c = closestC[i]!
      if (l.isStored(c)) {
        placed++
        continue
      }
      if (c.state !== ANSWERED) {
        l.deferProvide(c)
        continue
      }
      storeOn(core, l, c)
      placed++
    }
    if (!l.callerAnswered) core.store.add(toHex(l.target), core.self, nowMs + cfg.providerTtlMs)
    // Placement is judged against the replicas the records should reach — the replication factor,
    // or fewer when the network (its size estimate, or our table) is smaller — not against what
    // this lookup found: a PROVIDE cut off by a partition finds only the few peers it can reach
    // (and its table shrinks to them), and all of them answering would otherwise pass for a
    // well-placed record until the next republish, hours later. The replicas it never found
    // cannot answer late: they stay outstanding in the count.
    const est = networkSizeEstimate(core)
    const known = est === undefined ? core.table.size : Math.max(core.table.size, Math.floor(est) - 1)
    const wanted = Math.max(n, Math.min(cfg.replication, known))
    const unfound = wanted - n
    const pending = unfound === 0 ? l : { deferredLeft: () => l.deferredLeft() + unfound }
    if (l.purpose === 'user' || l.purpose === 'republish') core.onProvided(l.key, l.target, placed, wanted, pending)
    placedAtEnd = placed
  }
  const messages = l.messages + l.stores
  if (l.purpose === 'join') core.onJoinDone(closest.length > 0)
  if (l.callerAnswered) {
    core.emit({ kind: 'provide-stored', tag: l.tag, messages: messages - l.reportedMessages, placed: placedAtEnd })
  } else if (l.purpose === 'user') {
    emitDone(core, {
      tag: l.tag, op: l.op, target: l.target, startMs: l.startMs, endMs: nowMs,
      hops: success ? l.hops(closestC) : 0, messages, success, closest, providers: l.providers, error: err,
    })
  }
  drainQueue(core)
}

/** Sends a PROVIDE's record to candidate c (which has answered), once. */
function storeOn(core: EngineCore, l: Lookup, c: Candidate): void {
  if (!l.markStored(c)) return
  core.sendRequest(c.contact, 'ADD_PROVIDER', l.key, l.target, [core.self], undefined)
  l.stores++
}

/**
 * A user's PROVIDE that stores on a wider region than k (detection on) answers its caller where a
 * lookup of width k would have ended — its k nearest live candidates have answered, and the
 * neighbourhood it has heard of looks ordinary (provideAnswerAllowed) — once the record is sent to
 * the k nearest that answered, as a PROVIDE of the default profile does when it ends. The lookup
 * goes on to the wider region and stores there too when it ends (finish): its messages after the
 * answer are reported by a provide-stored event. The caller's latency is that of its record on the
 * k nearest, the default profile's own measure; the wider copies are there for a reader whose k
 * nearest are Sybils.
 */
function answerProvideCaller(core: EngineCore, l: Lookup): void {
  const nowMs = core.nowMs
  const closestC = l.nearestResult(nowMs)
  if (closestC.length === 0) return // nothing found: the end reports it
  for (const c of closestC) if (c.state === ANSWERED) storeOn(core, l, c)
  core.store.add(toHex(l.target), core.self, nowMs + core.cfg.providerTtlMs)
  l.callerAnswered = true
  l.reportedMessages = l.messages + l.stores
  emitDone(core, {
    tag: l.tag, op: l.op, target: l.target, startMs: l.startMs, endMs: nowMs,
    hops: l.hops(closestC), messages: l.reportedMessages, success: true, closest: closestC.map((c) => c.contact), providers: l.providers, storing: true,
  })
}

/**
 * Stops every running and queued lookup (the engine is stopping: core.stopped is set): each user
 * lookup ends with error "stopped". The queue is emptied first, so that a finishing lookup does
 * not start a queued one in its place.
 */
export function stopAll(core: EngineCore): void {
  const queued = core.queue.splice(0)
  for (const l of core.active.values()) finish(core, l, 'stopped')
  for (const q of queued) if (q.purpose === 'user') emitDone(core, failedResult(core, q, 'stopped'))
}

function drainQueue(core: EngineCore): void {
  while (core.queue.length > 0 && core.active.size < core.cfg.maxInflightLookups) begin(core, core.queue.shift()!)
}

function failedResult(core: EngineCore, q: QueuedLookup, error: string) {
  return {
    tag: q.tag, op: q.op, target: q.target, startMs: q.queuedMs, endMs: core.nowMs, hops: 0, messages: 0,
    success: false, closest: EMPTY, providers: EMPTY, error,
  }
}

function emitDone(core: EngineCore, r: Omit<Extract<EngineEvent, { kind: 'lookup-done' }>, 'kind'>): void {
  core.emit({ kind: 'lookup-done', ...r })
}

function pathCount(cfg: EngineConfig): number {
  return Math.max(1, Math.floor(cfg.disjointPaths))
}
