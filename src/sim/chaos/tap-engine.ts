// A transparent wrapper around each peer's engine that lets the chaos measurements see what the
// simulator core does not keep: every user lookup with its issuer, requests the engine refused
// (request-rejected) and Sybil-density detections. It changes nothing in the engine's output.
import type { EngineEvent, Input, Output, Readiness } from '../../engine/types.js'

export interface EngineTapSink {
  lookupDone(peer: number, ev: Extract<EngineEvent, { kind: 'lookup-done' }>): void
  rejected(reason: string): void
  sybilSuspected(): void
}

interface Inner {
  step(nowMs: number, input: Input): Output
  readiness?(nowMs: number): Readiness | undefined
  liveBootstraps?(nowMs: number): number
}

export class TapEngine {
  constructor(
    private readonly inner: Inner,
    private readonly peer: number,
    private readonly sink: EngineTapSink,
  ) {}

  readiness(nowMs: number): Readiness | undefined {
    return this.inner.readiness?.(nowMs)
  }

  /** readiness(nowMs).liveBootstraps without building the rest (the alert evaluator asks every peer). */
  liveBootstraps(nowMs: number): number {
    const inner = this.inner
    if (inner.liveBootstraps !== undefined) return inner.liveBootstraps(nowMs)
    return inner.readiness?.(nowMs)?.liveBootstraps ?? 0
  }

  step(nowMs: number, input: Input): Output {
    const out = this.inner.step(nowMs, input)
    const evs = out.events
    for (let i = 0; i < evs.length; i++) {
      const ev = evs[i]!
      if (ev.kind === 'lookup-done') this.sink.lookupDone(this.peer, ev)
      else if (ev.kind === 'request-rejected') this.sink.rejected(ev.reason)
      else if (ev.kind === 'sybil-suspected') this.sink.sybilSuspected()
    }
    return out
  }
}
