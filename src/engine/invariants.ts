// The engine's invariants, checked whole: the routing table's bookkeeping, every running lookup's,
// and the shared state's own. A driver that wants them checked while it runs (the simulator does)
// asks for it in EngineOptions.checkInvariantsEvery: every that many steps the engine checks and
// throws an InvariantError naming the peer, the time and what is broken. A full check reads every
// table entry and candidate, so it is sampled: one step in N pays for it.
import type { EngineCore } from './core.js'
import { InvariantError } from './errors.js'

/** What is broken, or undefined when nothing is. */
export function findBrokenInvariant(core: EngineCore): string | undefined {
  const t = core.table.checkInvariants()
  if (t !== undefined) return `routing table: ${t}`
  if (core.bootstrapCount !== core.bootstraps.length || core.bootstrapAnsweredMs.length !== core.bootstraps.length) {
    return `bootstrap bookkeeping: ${core.bootstraps.length} bootstraps, count ${core.bootstrapCount}, ${core.bootstrapAnsweredMs.length} answer times`
  }
  if (core.lastBootAnswerMs > core.nowMs) return `last bootstrap answer at ${core.lastBootAnswerMs} ms, after now (${core.nowMs} ms)`
  if (core.joined && !core.started) return 'joined but never started'
  if (core.stopped && (core.timers.size > 0 || core.active.size > 0 || core.queue.length > 0)) {
    return `stopped with ${core.timers.size} timers armed, ${core.active.size} lookups running and ${core.queue.length} queued`
  }
  for (const l of core.active.values()) {
    const m = l.checkInvariants()
    if (m !== undefined) return m
  }
  return undefined
}

export function assertInvariants(core: EngineCore): void {
  const broken = findBrokenInvariant(core)
  if (broken !== undefined) throw new InvariantError(`engine of ${core.self.peer} at ${core.nowMs} ms: ${broken}`)
}
