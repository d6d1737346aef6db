// Provider records over time: the keys we provide ourselves are re-announced (a PROVIDE lookup)
// every providerRepublishMs, well inside the records' TTL, and expired records in our store are
// swept out every PROVIDER_SWEEP_MS.
import type { EngineCore } from './core.js'
import type { NodeId } from './ids.js'
import { toHex } from './ids.js'
import { requestLookup } from './query/queue.js'
import { PROVIDER_SWEEP, REPUBLISH, timerPayload } from './timer-kinds.js'
import { PROVIDER_SWEEP_MS } from './constants.js'

/** A user's PROVIDE finished: the key is ours to re-announce (up to maxProviderKeys of them). */
export function rememberProvided(core: EngineCore, key: Uint8Array, target: NodeId): void {
  const hex = toHex(target)
  const provided = core.provided
  if (provided.has(hex) || provided.size >= core.cfg.maxProviderKeys) return
  const dueMs = core.nowMs + core.cfg.providerRepublishMs
  provided.set(hex, { key, target, dueMs })
  if (provided.size === 1) core.timers.push(dueMs, timerPayload(REPUBLISH))
}

/** The republish timer: re-announce every key that is due, and arm the timer for the next one. */
export function onRepublishTimer(core: EngineCore): void {
  let next = Infinity
  for (const p of core.provided.values()) {
    if (p.dueMs <= core.nowMs) {
      p.dueMs = core.nowMs + core.cfg.providerRepublishMs
      requestLookup(core, 'PROVIDE', p.key, p.target, -1, 'republish')
    }
    next = Math.min(next, p.dueMs)
  }
  if (next < Infinity) core.timers.push(next, timerPayload(REPUBLISH))
}

export function armSweep(core: EngineCore): void {
  core.timers.push(core.nowMs + PROVIDER_SWEEP_MS, timerPayload(PROVIDER_SWEEP))
}

/** The sweep timer: expired records out, and the next sweep armed. */
export function onSweepTimer(core: EngineCore): void {
  core.store.sweep(core.nowMs)
  armSweep(core)
}
