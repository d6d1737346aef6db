// Provider records over time: the keys we provide ourselves are re-announced (a PROVIDE lookup)
// every providerRepublishMs, well inside the records' TTL — sooner when a PROVIDE's records reached
// fewer than half of its replicas (PROVIDE_RETRY_MS, doubling) — and expired records in our store
// are swept out every PROVIDER_SWEEP_MS.
import type { EngineCore } from './core.js'
import type { NodeId } from './ids.js'
import { toHex } from './ids.js'
import { requestLookup } from './query/queue.js'
import { PROVIDER_SWEEP, REPUBLISH, timerPayload } from './timer-kinds.js'
import { PROVIDE_RETRY_MS, PROVIDER_SWEEP_MS } from './constants.js'

/**
 * A user's PROVIDE or a republish finished, its records sent to `placed` of its `replicas` (the
 * silent others get theirs if they answer late): the key is ours to re-announce (up to
 * maxProviderKeys of them) every providerRepublishMs — or, when fewer than half of the replicas
 * had answered, after PROVIDE_RETRY_MS (doubling while it keeps falling short), unless late
 * answers have made up the shortfall by then.
 */
export function rememberProvided(core: EngineCore, key: Uint8Array, target: NodeId, placed: number, replicas: number, lookup: { deferredLeft(): number }): void {
  const hex = toHex(target)
  const provided = core.provided
  let p = provided.get(hex)
  if (p === undefined) {
    if (provided.size >= core.cfg.maxProviderKeys) return
    p = { key, target, dueMs: 0, retryMs: 0 }
    provided.set(hex, p)
  }
  if (wellPlaced(placed, replicas)) {
    p.retryMs = 0
    p.short = undefined
    p.dueMs = core.nowMs + core.cfg.providerRepublishMs
  } else {
    p.retryMs = Math.min(core.cfg.providerRepublishMs, Math.max(PROVIDE_RETRY_MS, p.retryMs * 2))
    p.short = { placed, replicas, lookup }
    p.dueMs = core.nowMs + p.retryMs
  }
  armRepublish(core, p.dueMs)
}

function wellPlaced(placed: number, replicas: number): boolean {
  return replicas > 0 && placed * 2 >= replicas
}

/** Arms the REPUBLISH timer at dueMs unless one is armed at or before it. */
function armRepublish(core: EngineCore, dueMs: number): void {
  if (dueMs >= core.republishAtMs) return
  core.republishAtMs = dueMs
  core.timers.push(dueMs, timerPayload(REPUBLISH))
}

/** The republish timer: re-announce every key that is due, and arm the timer for the next one. */
export function onRepublishTimer(core: EngineCore): void {
  // A timer armed before an earlier one replaced it: the earlier one did this work.
  if (core.nowMs < core.republishAtMs) return
  core.republishAtMs = Infinity
  let next = Infinity
  for (const p of core.provided.values()) {
    if (p.dueMs <= core.nowMs) {
      const short = p.short
      p.short = undefined
      p.dueMs = core.nowMs + core.cfg.providerRepublishMs
      // A retry whose silent replicas answered late after all (a slow link, not a partition): placed.
      const late = short === undefined ? 0 : short.replicas - short.placed - short.lookup.deferredLeft()
      if (short !== undefined && wellPlaced(short.placed + late, short.replicas)) p.retryMs = 0
      else requestLookup(core, 'PROVIDE', p.key, p.target, -1, 'republish')
    }
    next = Math.min(next, p.dueMs)
  }
  if (next < Infinity) armRepublish(core, next)
}

export function armSweep(core: EngineCore): void {
  core.timers.push(core.nowMs + PROVIDER_SWEEP_MS, timerPayload(PROVIDER_SWEEP))
}

/** The sweep timer: expired records out, and the next sweep armed. */
export function onSweepTimer(core: EngineCore): void {
  core.store.sweep(core.nowMs)
  armSweep(core)
}
