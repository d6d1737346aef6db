// The node's load as the engine's admission control reads it (engine/admission.ts).
//
// Theory of operation: every `sampleMs` a timer hands the engine a `load` input with
//   delayMs   how late the event loop runs work now: the largest delay that
//             perf_hooks.monitorEventLoopDelay saw since the last sample, or the lateness of this
//             sampling timer itself, whichever is larger (a loop blocked for the whole period
//             shows as a late timer: the histogram's own timer could not run either);
//   inflight  inbound kad streams open on the node's connections (requests accepted and not yet
//             answered and closed).
// After a block, Node runs due timers before it polls sockets, so the sample taken when the loop
// frees up reaches the engine before the requests that queued behind the block do: those are
// refused "overloaded" at once (one short error, no table walk), counted in
// rejected_total{reason="overloaded"} and shown in the event tail like every engine refusal. The
// next quiet sample lowers the load again, and requests are admitted. The engine decides; this
// file only measures, so the simulator (which feeds the engine its modelled CPU queue instead) and
// the node run the same admission code.
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks'

/** How often the load is measured and handed to the engine. */
export const LOAD_SAMPLE_MS = 100
/** Resolution of the event-loop delay histogram (its timer's period). */
const HISTOGRAM_RESOLUTION_MS = 10

export interface LoadFigures {
  readonly delayMs: number
  readonly inflight: number
}

export interface OverloadMonitorOptions {
  /** Hands the figures to the engine (the host's `load` input). */
  readonly feed: (load: LoadFigures) => void
  /** Inbound requests the node holds unanswered now. */
  readonly inflight: () => number
  readonly sampleMs?: number
}

export class OverloadMonitor {
  private readonly histogram: IntervalHistogram
  private readonly sampleMs: number
  private timer: NodeJS.Timeout | undefined
  private expectedMs = 0
  /** The figures handed to the engine last (also read by tests and logs). */
  last: LoadFigures = { delayMs: 0, inflight: 0 }

  constructor(private readonly opts: OverloadMonitorOptions) {
    this.sampleMs = opts.sampleMs ?? LOAD_SAMPLE_MS
    this.histogram = monitorEventLoopDelay({ resolution: HISTOGRAM_RESOLUTION_MS })
  }

  start(): void {
    if (this.timer !== undefined) return
    this.histogram.enable()
    this.expectedMs = performance.now() + this.sampleMs
    this.timer = setInterval(() => this.sample(), this.sampleMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.histogram.disable()
  }

  /** Measures and feeds the engine once (the timer's work). */
  sample(): void {
    const now = performance.now()
    const lateMs = Math.max(0, now - this.expectedMs)
    this.expectedMs = now + this.sampleMs
    // max is in ns; an empty histogram reads 0 (or a huge sentinel in older Nodes: guarded).
    const maxNs = this.histogram.count > 0 ? this.histogram.max : 0
    this.histogram.reset()
    const loopMs = Number.isFinite(maxNs) ? Math.max(0, maxNs / 1e6 - HISTOGRAM_RESOLUTION_MS) : 0
    const figures = { delayMs: Math.round(Math.max(lateMs, loopMs)), inflight: Math.max(0, this.opts.inflight()) }
    this.last = figures
    this.opts.feed(figures)
  }
}

/** Inbound streams of `protocol` open on these connections. */
export function openInboundStreams(conns: readonly { readonly streams: readonly { readonly direction: string; readonly protocol?: string }[] }[], protocol: string): number {
  let n = 0
  for (const c of conns) for (const s of c.streams) if (s.direction === 'inbound' && s.protocol === protocol) n++
  return n
}
