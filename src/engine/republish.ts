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
 * A user's PROVIDE or a republish finished: the key is ours to re-announce (up to maxProviderKeys
 * of them), every providerRepublishMs when its records reached their replicas, else after
 * PROVIDE_RETRY_MS, doubling while they keep falling short.
 */
export function rememberProvided(core: EngineCore, key: Uint8Array, target: NodeId, wellPlaced: boolean): void {
  const hex = toHex(target)
  const provided = core.provided
  let p = provided.get(hex)
  if (p === undefined) {
    if (provided.size >= core.cfg.maxProviderKeys) return
    p = { key, target, dueMs: 0, retryMs: 0 }
    provided.set(hex, p)
  }
  const republishMs = core.cfg.providerRepublishMs
  p.retryMs = wellPlaced ? 0 : Math.min(republishMs, Math.max(PROVIDE_RETRY_MS, p.retryMs * 2))
  p.dueMs = core.nowMs + (wellPlaced ? republishMs : p.retryMs)
  armRepublish(core, p.dueMs)
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
      p.dueMs = core.nowMs + core.cfg.providerRepublishMs
      requestLookup(core, 'PROVIDE', p.key, p.target, -1, 'republish')
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
