// The node's load as the engine's admission control reads it (engine/admission.ts).
//
// Theory of operation: every LOAD_SAMPLE_MS one timer per process (every node of the process
// shares its event loop) hands each node's engine a `load` input with
//   delayMs   how late the event loop runs work now: the largest delay that
//             perf_hooks.monitorEventLoopDelay saw since the last sample, or the lateness of this
//             sampling timer itself, whichever is larger (a loop blocked for the whole period
//             shows as a late timer: the histogram's own timer could not run either);
//   inflight  inbound kad streams the node is serving (requests accepted and not yet answered):
//             a counter kept by the kad host, not a walk over every connection's streams (each
//             node of a process samples ten times a second).
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
}

/**
 * The event loop's delay, measured once per process: every node of a process shares one loop, so
 * one histogram and one timer serve them all (a testbed worker holds tens of nodes; a histogram
 * each meant tens of 10 ms timers measuring the same loop). Started by its first subscriber,
 * stopped when the last one leaves.
 */
class LoopDelaySampler {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: HISTOGRAM_RESOLUTION_MS })
  private readonly subscribers = new Set<(delayMs: number) => void>()
  private timer: NodeJS.Timeout | undefined
  private expectedMs = 0

  subscribe(fn: (delayMs: number) => void): () => void {
    this.subscribers.add(fn)
    if (this.timer === undefined) {
      this.histogram.reset()
      this.histogram.enable()
      this.expectedMs = performance.now() + LOAD_SAMPLE_MS
      this.timer = setInterval(() => this.sample(), LOAD_SAMPLE_MS)
      this.timer.unref()
    }
    return () => {
      this.subscribers.delete(fn)
      if (this.subscribers.size > 0 || this.timer === undefined) return
      clearInterval(this.timer)
      this.timer = undefined
      this.histogram.disable()
    }
  }

  /** How late the loop runs work now (see the top of this file). */
  delayMs(): number {
    const now = performance.now()
    const lateMs = Math.max(0, now - this.expectedMs)
    this.expectedMs = now + LOAD_SAMPLE_MS
    // max is in ns; an empty histogram reads 0 (or a huge sentinel in older Nodes: guarded).
    const maxNs = this.histogram.count > 0 ? this.histogram.max : 0
    this.histogram.reset()
    const loopMs = Number.isFinite(maxNs) ? Math.max(0, maxNs / 1e6 - HISTOGRAM_RESOLUTION_MS) : 0
    return Math.round(Math.max(lateMs, loopMs))
  }

  private sample(): void {
    const delayMs = this.delayMs()
    for (const fn of this.subscribers) fn(delayMs)
  }
}

const loopDelay = new LoopDelaySampler()

export class OverloadMonitor {
  private unsubscribe: (() => void) | undefined
  /** The figures handed to the engine last (also read by tests and logs). */
  last: LoadFigures = { delayMs: 0, inflight: 0 }

  constructor(private readonly opts: OverloadMonitorOptions) {}

  start(): void {
    if (this.unsubscribe !== undefined) return
    this.unsubscribe = loopDelay.subscribe((delayMs) => this.feed(delayMs))
  }

  stop(): void {
    this.unsubscribe?.()
    this.unsubscribe = undefined
  }

  private feed(delayMs: number): void {
    const figures = { delayMs, inflight: Math.max(0, this.opts.inflight()) }
    this.last = figures
    this.opts.feed(figures)
  }
}
