// Joining the network and staying joined. start: the bootstrap contacts go into the table and a
// self-lookup (the join) runs through them; a failed join is retried with exponential backoff and
// jitter. Once started, the bootstrap poll keeps the live-bootstrap count honest (readiness.ts):
// one ping, to the next bootstrap in turn, when none answered for a third of the live window.
// A warm start (the table seeded from a cache before `start`) pings bootstraps at once: its join
// runs through the cached contacts nearest to us, which need not include a bootstrap, and
// readiness wants one that answered — waiting for the first poll would make a warm restart a
// full poll interval slower than a cold one. A warm start is also joined as soon as as many
// cached contacts as a warm table holds (or all of them, if fewer) have answered: the table is
// then warm and shown live, which is what a cold join establishes; its join lookup still runs
// to the end (it tells our neighbours we are back), but readiness no longer waits for a lookup
// that must ask every cached contact, each a new connection.
// A warm start's first pings can fail (the bootstrap still holds our previous incarnation's
// connection, or is restarting too); the next poll is a full interval away, and a cold start
// would be joining again within a second meanwhile. So until a bootstrap first answers, a failed
// ping brings the poll forward: 1 s, then doubling up to the poll interval, with jitter from the
// engine's RNG — the same backoff a failed cold join retries with.
import type { EngineCore } from './core.js'
import { EMPTY } from './core.js'
import type { Contact } from './types.js'
import { observe } from './liveness.js'
import { requestLookup } from './query/queue.js'
import { armRefresh, refreshFarBuckets } from './refresh.js'
import { armSweep, reannounceSeeded } from './republish.js'
import { BOOTSTRAP_POLL, JOIN_RETRY, timerPayload } from './timer-kinds.js'
import { JOIN_RETRY_BASE_MS, JOIN_RETRY_MAX_MS } from './constants.js'

export function start(core: EngineCore, bootstraps: readonly Contact[]): void {
  if (core.started) {
    core.ignored.repeatedStart++
    return
  }
  core.started = true
  const warm = core.table.size > 0
  core.bootstraps = bootstraps.filter((b) => b.peer !== core.self.peer)
  core.bootstrapCount = core.bootstraps.length
  core.bootstrapAnsweredMs = new Float64Array(core.bootstraps.length).fill(-Infinity)
  armSweep(core)
  if (core.bootstraps.length > 0) armBootstrapPoll(core, core.nowMs + core.cfg.bootstrapPingIntervalMs)
  if (core.bootstraps.length === 0 && core.table.size === 0) {
    // The first node of a network: nobody to join through.
    core.joined = true
    armRefresh(core)
    reannounceSeeded(core)
    return
  }
  if (warm) {
    // As many as a cold join asks at once (alpha), so one dead bootstrap costs no more here.
    const n = Math.min(core.cfg.alpha, core.bootstraps.length)
    for (let i = 0; i < n; i++) sendBootstrapPing(core)
    core.bootstrapRetryMs = JOIN_RETRY_BASE_MS
    core.warmJoinNeed = Math.min(core.cfg.warmTableSize, core.table.size)
    core.warmJoinAnswered = new Set()
  }
  join(core)
}

function join(core: EngineCore): void {
  for (const b of core.bootstraps) observe(core, b)
  requestLookup(core, 'FIND_NODE', core.self.id, core.self.id, -1, 'join')
}

/** The join retry's timer fired: join again unless a join succeeded in the meantime. */
export function onJoinRetry(core: EngineCore): void {
  if (!core.joined) join(core)
}

/** A warm start's cached contact answered: joined once enough distinct ones have. */
export function noteWarmJoinAnswer(core: EngineCore, peer: string): void {
  const seen = core.warmJoinAnswered!
  seen.add(peer)
  if (seen.size < core.warmJoinNeed) return
  core.warmJoinNeed = 0
  core.warmJoinAnswered = undefined
  onJoinDone(core, true)
}

/** The join lookup ended: joined when it found anyone, else a retry after a backoff. */
export function onJoinDone(core: EngineCore, ok: boolean): void {
  // A warm start already joined on its cached contacts' answers: the lookup's end changes nothing.
  if (!ok && core.joined) return
  if (ok) {
    const first = !core.joined
    core.joined = true
    core.joinAttempts = 0
    if (first) {
      armRefresh(core)
      refreshFarBuckets(core)
      reannounceSeeded(core)
    }
    return
  }
  core.joinAttempts++
  const base = Math.min(JOIN_RETRY_MAX_MS, JOIN_RETRY_BASE_MS * 2 ** Math.min(core.joinAttempts - 1, 16))
  const retryInMs = Math.round(base * (0.5 + core.rng.next()))
  core.emit({ kind: 'bootstrap-round-failed', attempt: core.joinAttempts, retryInMs })
  core.timers.push(core.nowMs + retryInMs, timerPayload(JOIN_RETRY))
}

/** The bootstrap poll's timer: ping if due, and arm the next poll. */
export function onBootstrapPoll(core: EngineCore): void {
  pingBootstrap(core)
  armBootstrapPoll(core, core.nowMs + core.cfg.bootstrapPingIntervalMs)
}

/** Whether a bootstrap poll timer with this number is the one armed last (the others are dead). */
export function isLiveBootstrapPoll(core: EngineCore, seq: number): boolean {
  return seq === core.bootstrapPollSeq
}

/**
 * Keeps the live-bootstrap count honest: one ping (to the next bootstrap in turn) when none
 * answered for a third of the live window, so readiness needs three misses in a row to drop.
 */
function pingBootstrap(core: EngineCore): void {
  const bs = core.bootstraps
  if (bs.length === 0 || !bootstrapPingDue(core, core.nowMs)) return
  sendBootstrapPing(core)
}

/** One PING to the next bootstrap in turn. */
function sendBootstrapPing(core: EngineCore): void {
  const bs = core.bootstraps
  const b = bs[core.bootstrapCursor++ % bs.length]!
  core.sendRequest(b, 'PING', core.self.id, core.self.id, EMPTY, { purpose: 'bootstrap', to: b, sentMs: core.nowMs })
}

/** Whether a bootstrap poll at atMs pings: no bootstrap answered for a third of the live window. */
function bootstrapPingDue(core: EngineCore, atMs: number): boolean {
  return atMs - core.lastBootAnswerMs >= core.cfg.bootstrapLiveWindowMs / 3
}

/**
 * Arms the bootstrap poll at the first tick from fromMs on (fromMs, then one interval after
 * another: the same additions as a poll every interval) at which it would ping. The ticks in
 * between would be wake-ups that change nothing: no ping, and no readiness flip either (the
 * window is three times the ping threshold, so a tick where the window has closed pings).
 * A bootstrap answer calls it again from the armed tick, which may have become one of those;
 * the poll armed before is then dead. At most (window / 3) / interval + 1 iterations.
 */
function armBootstrapPoll(core: EngineCore, fromMs: number): void {
  let atMs = fromMs
  while (!bootstrapPingDue(core, atMs)) atMs += core.cfg.bootstrapPingIntervalMs
  if (atMs === core.bootstrapPollMs) return
  core.bootstrapPollMs = atMs
  core.timers.push(atMs, timerPayload(BOOTSTRAP_POLL, ++core.bootstrapPollSeq))
}

/**
 * A bootstrap ping failed or timed out. Before any bootstrap answered a warm start, the poll is
 * brought forward by the retry delay (which then doubles, up to the poll interval); one retry is
 * armed at a time, so the several pings a warm start sends at once double it once.
 */
export function onBootstrapPingFailed(core: EngineCore): void {
  if (core.bootstrapRetryMs === 0 || core.bootstrapRetryAtMs > core.nowMs) return
  const intervalMs = core.cfg.bootstrapPingIntervalMs
  const delayMs = Math.min(intervalMs, Math.round(core.bootstrapRetryMs * (0.5 + core.rng.next())))
  core.bootstrapRetryMs = Math.min(intervalMs, core.bootstrapRetryMs * 2)
  const atMs = core.nowMs + delayMs
  core.bootstrapRetryAtMs = atMs
  if (atMs >= core.bootstrapPollMs) return
  core.bootstrapPollMs = atMs
  core.timers.push(atMs, timerPayload(BOOTSTRAP_POLL, ++core.bootstrapPollSeq))
}

/** An answer from `peer`: when it is a bootstrap (every entry with its handle), it is live now. */
export function noteBootstrapAnswer(core: EngineCore, peer: string): void {
  const bs = core.bootstraps
  let hit = false
  for (let i = 0; i < bs.length; i++) {
    if (bs[i]!.peer === peer) {
      core.bootstrapAnsweredMs[i] = core.nowMs
      hit = true
    }
  }
  if (!hit) return
  core.lastBootAnswerMs = core.nowMs
  core.bootstrapRetryMs = 0
  armBootstrapPoll(core, core.bootstrapPollMs)
}
