// Provider records over time: the keys we provide ourselves are re-announced (a PROVIDE lookup)
// every providerRepublishMs, well inside the records' TTL — sooner when a PROVIDE's records reached
// fewer than half of its replicas (PROVIDE_RETRY_MS, doubling) — and expired records in our store
// are swept out every PROVIDER_SWEEP_MS.
// Republishing goes out in batches the lookup queue can take (free running slots plus half the
// free wait queue, the other half left for users' lookups): a node providing more keys than that
// re-announces the rest REPUBLISH_BATCH_GAP_MS later, instead of having them shed by a full queue.
// A restart keeps what the node provides and the records it held (seed-content, before start):
// the provided keys are re-announced as soon as the node has joined, as a real node re-announces
// its content on start, and the held records stay until they expire.
import type { EngineCore } from './core.js'
import type { NodeId } from './ids.js'
import { toHex } from './ids.js'
import type { EngineContent } from './types.js'
import { requestLookup } from './query/queue.js'
import { PROVIDER_SWEEP, REPUBLISH, timerPayload } from './timer-kinds.js'
import { KEY_BYTES, PROVIDE_RETRY_MS, PROVIDER_SWEEP_MS, REPUBLISH_BATCH_GAP_MS } from './constants.js'

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

/**
 * The republish timer: re-announce the keys that are due, as many as the lookup queue can take
 * now (republishRoom); the others stay due and the timer comes back REPUBLISH_BATCH_GAP_MS later.
 */
export function onRepublishTimer(core: EngineCore): void {
  // A timer armed before an earlier one replaced it: the earlier one did this work.
  if (core.nowMs < core.republishAtMs) return
  core.republishAtMs = Infinity
  let room = republishRoom(core)
  let next = Infinity
  for (const p of core.provided.values()) {
    if (p.dueMs <= core.nowMs) {
      const short = p.short
      // A retry whose silent replicas answered late after all (a slow link, not a partition): placed.
      const late = short === undefined ? 0 : short.replicas - short.placed - short.lookup.deferredLeft()
      if (short !== undefined && wellPlaced(short.placed + late, short.replicas)) {
        p.short = undefined
        p.retryMs = 0
        p.dueMs = core.nowMs + core.cfg.providerRepublishMs
      } else if (room > 0) {
        room--
        p.short = undefined
        p.dueMs = core.nowMs + core.cfg.providerRepublishMs
        requestLookup(core, 'PROVIDE', p.key, p.target, -1, 'republish')
      } else {
        // No room in this batch: still due, in the next one.
        next = Math.min(next, core.nowMs + REPUBLISH_BATCH_GAP_MS)
        continue
      }
    }
    next = Math.min(next, p.dueMs)
  }
  if (next < Infinity) armRepublish(core, next)
}

/**
 * An operator's reprovide: every key this node provides is due now (the republish timer sends
 * them in batches the lookup queue can take, as it always does). The number of keys.
 */
export function reprovideNow(core: EngineCore): number {
  for (const p of core.provided.values()) {
    p.dueMs = core.nowMs
    p.retryMs = 0
    p.short = undefined
  }
  if (core.provided.size > 0) armRepublish(core, core.nowMs)
  return core.provided.size
}

/** Republish lookups the queue can take now: free running slots plus half the free wait queue. */
function republishRoom(core: EngineCore): number {
  const running = Math.max(0, core.cfg.maxInflightLookups - core.active.size)
  const waiting = Math.max(0, Math.floor(core.cfg.maxQueuedLookups / 2) - core.queue.length)
  return running + waiting
}

/**
 * seed-content: the keys a restarting node provides (due once it has joined: reannounceSeeded)
 * and the records it held (each until its own expiry; expired ones are skipped). Both within the
 * store's and the provided keys' limits, like any other record.
 */
export function seedContent(core: EngineCore, content: EngineContent): void {
  for (const r of content.records) {
    if (r.expiresMs > core.nowMs && r.provider.peer !== core.self.peer) core.store.add(r.keyHex, r.provider, r.expiresMs)
  }
  for (const k of content.provided) {
    if (k.target.length !== KEY_BYTES) continue
    const hex = toHex(k.target)
    if (core.provided.has(hex) || core.provided.size >= core.cfg.maxProviderKeys) continue
    core.provided.set(hex, { key: k.key, target: k.target, dueMs: core.joined ? core.nowMs : Infinity, retryMs: 0 })
  }
  if (core.joined) armRepublish(core, core.nowMs)
}

/** Joined for the first time: the keys seeded before are re-announced now (in batches). */
export function reannounceSeeded(core: EngineCore): void {
  let any = false
  for (const p of core.provided.values()) {
    if (p.dueMs === Infinity) {
      p.dueMs = core.nowMs
      any = true
    }
  }
  if (any) armRepublish(core, core.nowMs)
}

/** What a restart keeps: the keys we provide (in the order first provided) and the live records we hold. */
export function engineContent(core: EngineCore): EngineContent {
  const provided = [...core.provided.values()].map((p) => ({ key: p.key, target: p.target }))
  return { provided, records: core.store.heldRecords(core.nowMs) }
}

export function armSweep(core: EngineCore): void {
  core.timers.push(core.nowMs + PROVIDER_SWEEP_MS, timerPayload(PROVIDER_SWEEP))
}

/** The sweep timer: expired records out, and the next sweep armed. */
export function onSweepTimer(core: EngineCore): void {
  core.store.sweep(core.nowMs)
  armSweep(core)
}
