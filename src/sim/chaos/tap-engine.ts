// A transparent wrapper around each peer's engine that lets the chaos measurements see what the
// simulator core does not keep: every user lookup with its issuer, requests the engine refused
// (request-rejected) and Sybil-density detections. It changes nothing in the engine's output.
import type { DhtEngine } from '../../engine/engine.js'
import type { EngineEvent, Input, Output } from '../../engine/types.js'

export interface EngineTapSink {
  lookupDone(peer: number, ev: Extract<EngineEvent, { kind: 'lookup-done' }>): void
  rejected(reason: string): void
  sybilSuspected(): void
}

export class TapEngine {
  constructor(
    private readonly inner: DhtEngine,
    private readonly peer: number,
    private readonly sink: EngineTapSink,
  ) {}

  /** The engine's live bootstrap count (the ron_dht_bootstrap_peers gauge). */
  liveBootstraps(nowMs: number): number {
    return this.inner.liveBootstraps(nowMs)
  }

  /** See DhtEngine.lastBootstrapAnswerMs: liveBootstraps(t) is 0 exactly when the live window has passed since. */
  get lastBootstrapAnswerMs(): number {
    return this.inner.lastBootstrapAnswerMs
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
