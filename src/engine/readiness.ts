// Readiness mirrors the node's /readyz: started and not stopped, joined, a bootstrap that answered
// within the live window (when there are bootstraps), and a warm routing table. It is checked
// after every step (cheaply), and a flip is reported as a ready-changed event of that step.
import type { EngineCore } from './core.js'
import type { Readiness } from './types.js'

export function readiness(core: EngineCore, nowMs: number): Readiness {
  const cfg = core.cfg
  const liveBootstraps = countLiveBootstraps(core, nowMs)
  const tableSize = core.table.size
  const tableWarm = tableSize >= cfg.warmTableSize
  const bootOk = core.bootstraps.length === 0 || liveBootstraps > 0
  const ready = core.started && !core.stopped && core.joined && bootOk && tableWarm
  let reason = ''
  if (!ready) {
    const why: string[] = []
    if (!core.started) why.push('not started')
    if (core.stopped) why.push('stopped')
    if (!core.joined) why.push('not joined')
    if (!bootOk) why.push('no live bootstrap')
    if (!tableWarm) why.push(`routing table cold (${tableSize} < ${cfg.warmTableSize})`)
    reason = why.join(', ')
  }
  return { ready, liveBootstraps, tableSize, tableWarm, joined: core.joined, reason }
}

/** Bootstrap contacts that answered within the live window. */
export function countLiveBootstraps(core: EngineCore, nowMs: number): number {
  const windowMs = core.cfg.bootstrapLiveWindowMs
  // None answered within the window: nothing to count (every answer also set lastBootAnswerMs).
  if (nowMs - core.lastBootAnswerMs > windowMs) return 0
  let n = 0
  const answered = core.bootstrapAnsweredMs
  for (let i = 0; i < answered.length; i++) if (nowMs - answered[i]! <= windowMs) n++
  return n
}

/** Runs after every step: the cheap boolean first, the full readiness only when it changed. */
export function checkReadiness(core: EngineCore): void {
  const cfg = core.cfg
  const bootOk = core.bootstrapCount === 0 || core.nowMs - core.lastBootAnswerMs <= cfg.bootstrapLiveWindowMs
  const ready = core.started && !core.stopped && core.joined && bootOk && core.table.size >= cfg.warmTableSize
  if (ready !== core.lastReady) {
    core.lastReady = ready
    core.emit({ kind: 'ready-changed', ready, reason: ready ? 'ready' : readiness(core, core.nowMs).reason })
  }
}

/**
 * Whether a wake-up at atMs could flip readiness, whatever steps come before it. checkReadiness
 * runs on every step and only the bootstrap window depends on the clock, so it could when the
 * window will have closed by atMs (answers only ever move it later) and may still be open at the
 * step before: it is open now (lastReady alone is not enough: a later step may make the node
 * ready, and a dropped timer is gone for good), or an answer yet to come could reopen it and it
 * would close again before atMs (atMs - nowMs longer than the window).
 */
export function readinessCouldFlipAt(core: EngineCore, atMs: number): boolean {
  if (core.bootstrapCount === 0) return false
  const windowMs = core.cfg.bootstrapLiveWindowMs
  const lastMs = core.lastBootAnswerMs
  const nowMs = core.nowMs
  return atMs - lastMs > windowMs && (nowMs - lastMs <= windowMs || atMs - nowMs > windowMs)
}
