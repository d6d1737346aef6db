// The timer input: every timer due by now fires, in (time, arming order), and goes to the part
// that armed it. Timers are never cancelled: a timer whose reason is gone (an RPC answered, a
// lookup finished, a bootstrap poll re-armed) is dead, skipped when it fires and dropped from the
// front of the heap when the next deadline is computed (lazy deletion).
import type { EngineCore } from './core.js'
import type { TimerPayload } from './timer-kinds.js'
import { ANNOUNCE, BOOTSTRAP_POLL, BUCKET_REFRESH, JOIN_RETRY, LOOKUP_HEDGE, PROVIDER_SWEEP, REPUBLISH, RPC_TIMEOUT, timerArg, timerKind } from './timer-kinds.js'
import { onRpcTimeout } from './rpc/outbound.js'
import { advance } from './query/queue.js'
import { onRefreshTimer } from './refresh.js'
import { onAnnounceTimer } from './announce.js'
import { onRepublishTimer, onSweepTimer } from './republish.js'
import { isLiveBootstrapPoll, onBootstrapPoll, onJoinRetry } from './bootstrap.js'
import { readinessCouldFlipAt } from './readiness.js'

export function onTimers(core: EngineCore): void {
  const timers = core.timers
  for (let p = timers.popDuePayload(core.nowMs); p !== undefined; p = timers.popDuePayload(core.nowMs)) {
    switch (timerKind(p)) {
      case RPC_TIMEOUT:
        onRpcTimeout(core, timerArg(p))
        break
      case LOOKUP_HEDGE: {
        const l = core.active.get(timerArg(p))
        if (l !== undefined) advance(core, l)
        break
      }
      case BUCKET_REFRESH:
        onRefreshTimer(core, timerArg(p))
        break
      case PROVIDER_SWEEP:
        onSweepTimer(core)
        break
      case BOOTSTRAP_POLL:
        if (isLiveBootstrapPoll(core, timerArg(p))) onBootstrapPoll(core) // else re-armed since, by a bootstrap answer
        break
      case JOIN_RETRY:
        onJoinRetry(core)
        break
      case ANNOUNCE:
        onAnnounceTimer(core)
        break
      case REPUBLISH:
        onRepublishTimer(core)
        break
    }
  }
}

/**
 * The earliest timer worth waking up for. Most requests are answered before their timeout, whose
 * timer then lies dead in the heap; a wake-up for it alone would be a step that changes nothing,
 * so dead timers at the front are dropped here — unless readiness could flip at their time: that
 * wake-up is kept, as it is where the flip is seen.
 */
export function nextDeadlineMs(core: EngineCore): number {
  const timers = core.timers
  for (let p = timers.peekPayload(); p !== undefined && isDeadTimer(core, p) && !readinessCouldFlipAt(core, timers.peekMs()); p = timers.peekPayload()) {
    timers.drop()
  }
  return timers.peekMs()
}

/** A timer whose firing would do nothing: an RPC already answered or failed, a hedge of a finished lookup, a re-armed poll. */
function isDeadTimer(core: EngineCore, p: TimerPayload): boolean {
  switch (timerKind(p)) {
    case RPC_TIMEOUT:
      return !core.pending.has(timerArg(p))
    case LOOKUP_HEDGE:
      return !core.active.has(timerArg(p))
    case BOOTSTRAP_POLL:
      return !isLiveBootstrapPoll(core, timerArg(p))
    default:
      return false
  }
}
