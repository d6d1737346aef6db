// The testbed's starvation probe: is this machine able to run the testbed at the speed of its
// nodes, or is every measured millisecond partly a wait for a CPU?
//
// Theory of operation: each worker process measures, over the measured window (the orchestrator
// resets the probes when the warm-up ends):
// - how long its main thread waited for a CPU each time it was put on one, and the share of the
//   time it wanted a CPU that it spent waiting (the kernel's run-queue accounting,
//   /proc/self/schedstat: time on CPU, time runnable but waiting, times run);
// - how late its event loop ran (perf_hooks' event-loop delay histogram): a timer, a socket read
//   or an answer waits that long before any of its nodes' code runs;
// - how long its nodes' connection set-ups took (a connection's socket opening to libp2p's
//   `connection:open`: Noise and yamux with their multistream negotiations, on the loopback),
//   each connection counted once, by the node that dialled it.
// The orchestrator pools the workers' figures and judges the run starved when the wait per run
// or the event loop's lateness is past what the calibration's tolerance can absorb: then the
// latencies measure the machine's queue, not the nodes, and `calibrate` does not judge the pairs.
import { readFileSync } from 'node:fs'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

/** What one worker measured since its last reset. */
export interface WorkerProbe {
  /** ns its main thread ran, and ns it was runnable but waited for a CPU; null without /proc. */
  readonly cpuRunNs: number | null
  readonly cpuWaitNs: number | null
  /** Times its main thread was put on a CPU (each after a wait in the run queue); null without /proc. */
  readonly cpuRuns: number | null
  readonly loopDelayP50Ms: number
  readonly loopDelayP99Ms: number
  readonly loopDelayMaxMs: number
  /** Connection set-ups seen and the quantiles of their duration (ms; 0 when none). */
  readonly setups: number
  readonly setupP50Ms: number
  readonly setupP95Ms: number
}

/** The pooled figures and the verdict, in the testbed report. */
export interface ProbeSection {
  /** Share of the time the workers' main threads wanted a CPU and waited for one (null: not measured). */
  readonly cpu_wait_share: number | null
  /** The mean wait (ms) in the run queue each time a worker's main thread was put on a CPU. */
  readonly cpu_wait_per_run_ms: number | null
  /** The workers' main threads' CPU in the window, per node and second (ms; null: not measured). */
  readonly cpu_ms_per_node_per_s: number | null
  /** The worst worker's event-loop delay, p99 and max (ms). */
  readonly loop_delay_p99_ms: number
  readonly loop_delay_max_ms: number
  /** Connection set-ups in the window and their duration (ms), the worst worker's quantiles. */
  readonly setups: number
  readonly setup_p50_ms: number
  readonly setup_p95_ms: number
  /** The machine's 1-minute load average at the start and at the end of the run. */
  readonly load_avg_start: number
  readonly load_avg_end: number
  readonly cores: number
  readonly starved: boolean
  /** Why it is starved, one phrase per figure past its bound (empty when not). */
  readonly starved_because: readonly string[]
}

/**
 * Past this mean wait in the run queue each time a worker is put on a CPU, a lookup (about 15
 * such steps: an answer read, the next requests written, at both ends of each hop) carries
 * 15 ms or more of the machine's queue, a fifth of the p95 tolerance at the scenarios' ~500 ms.
 * The share of time spent waiting is not the bound: a node's work comes in runs of a few hundred
 * microseconds, so even the scheduler's wake-up latency on an idle machine (~0.1 ms) is a quarter
 * of the time wanted (BENCHMARKS.md: 27-28 % idle, p95 within 3.4 %).
 */
export const STARVED_CPU_WAIT_PER_RUN_MS = 1
/**
 * Event-loop lateness (p99) past which a node's answer or timer is routinely late by more than
 * a hop's intra-region round trip on the modelled network (~10-30 ms): latencies are the loop's.
 */
export const STARVED_LOOP_P99_MS = 50

/** Reads a thread's run-queue accounting: "<ns on cpu> <ns waiting> <timeslices>". */
export function parseSchedstat(text: string): { runNs: number; waitNs: number; runs: number | null } | null {
  const f = text.trim().split(/\s+/).map(Number)
  if (f.length < 2 || !Number.isFinite(f[0]) || !Number.isFinite(f[1])) return null
  return { runNs: f[0]!, waitNs: f[1]!, runs: f.length >= 3 && Number.isFinite(f[2]) ? f[2]! : null }
}

function readSchedstat(): { runNs: number; waitNs: number; runs: number | null } | null {
  try {
    return parseSchedstat(readFileSync('/proc/self/schedstat', 'utf8'))
  } catch {
    return null
  }
}

/** Quantile of an ascending array (nearest rank); 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** The event-loop timer's period: the histogram records whole periods, lateness is what exceeds it. */
const LOOP_RESOLUTION_MS = 10
/** Kept set-up durations per window: enough for a p95, bounded in memory. */
const MAX_SETUP_SAMPLES = 20_000

/** One worker's probe. */
export class Probe {
  private readonly loop: IntervalHistogram
  private base = readSchedstat()
  private setups: number[] = []
  private setupCount = 0

  constructor() {
    this.loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
    this.loop.enable()
  }

  reset(): void {
    this.loop.reset()
    this.base = readSchedstat()
    this.setups = []
    this.setupCount = 0
  }

  /** A connection set-up that took `ms`. */
  setup(ms: number): void {
    this.setupCount++
    if (this.setups.length < MAX_SETUP_SAMPLES && Number.isFinite(ms) && ms >= 0) this.setups.push(ms)
  }

  sample(): WorkerProbe {
    const now = readSchedstat()
    const s = [...this.setups].sort((a, b) => a - b)
    // Lateness: the period's excess (an empty histogram answers 0 or NaN: no lateness seen).
    const ms = (ns: number): number => (Number.isFinite(ns) && ns > 0 ? Math.max(0, Math.round((ns / 1e6 - LOOP_RESOLUTION_MS) * 100) / 100) : 0)
    return {
      cpuRunNs: now !== null && this.base !== null ? now.runNs - this.base.runNs : null,
      cpuWaitNs: now !== null && this.base !== null ? now.waitNs - this.base.waitNs : null,
      cpuRuns: now !== null && this.base !== null && now.runs !== null && this.base.runs !== null ? now.runs - this.base.runs : null,
      loopDelayP50Ms: ms(this.loop.percentile(50)),
      loopDelayP99Ms: ms(this.loop.percentile(99)),
      loopDelayMaxMs: ms(this.loop.max),
      setups: this.setupCount,
      setupP50Ms: Math.round(quantile(s, 0.5) * 10) / 10,
      setupP95Ms: Math.round(quantile(s, 0.95) * 10) / 10,
    }
  }

  stop(): void {
    this.loop.disable()
  }
}

/** Pools the workers' probes and judges the run. */
export function judgeProbes(workers: readonly WorkerProbe[], load: { start: number; end: number; cores: number; nodes?: number; windowS?: number }): ProbeSection {
  let run = 0
  let wait = 0
  let measured = false
  let runs = 0
  let runsWait = 0
  let p99 = 0
  let max = 0
  let setups = 0
  let s50 = 0
  let s95 = 0
  for (const w of workers) {
    if (w.cpuRunNs !== null && w.cpuWaitNs !== null) {
      run += w.cpuRunNs
      wait += w.cpuWaitNs
      measured = true
      if (w.cpuRuns !== null) {
        runs += w.cpuRuns
        runsWait += w.cpuWaitNs
      }
    }
    p99 = Math.max(p99, w.loopDelayP99Ms)
    max = Math.max(max, w.loopDelayMaxMs)
    setups += w.setups
    s50 = Math.max(s50, w.setupP50Ms)
    s95 = Math.max(s95, w.setupP95Ms)
  }
  const share = measured && run + wait > 0 ? Math.round((wait / (run + wait)) * 1000) / 1000 : null
  const perRun = runs > 0 ? Math.round((runsWait / runs / 1e6) * 1000) / 1000 : null
  const perNode = measured && load.nodes !== undefined && load.nodes > 0 && load.windowS !== undefined && load.windowS > 0 ? Math.round((run / 1e6 / load.nodes / load.windowS) * 100) / 100 : null
  const because: string[] = []
  if (perRun !== null && perRun > STARVED_CPU_WAIT_PER_RUN_MS) because.push(`workers waited ${perRun} ms for a CPU each time they ran (bound ${STARVED_CPU_WAIT_PER_RUN_MS} ms${share === null ? '' : `; ${Math.round(share * 100)} % of the time they wanted one`})`)
  if (p99 > STARVED_LOOP_P99_MS) because.push(`event loop p99 ${p99} ms late (bound ${STARVED_LOOP_P99_MS} ms)`)
  const r = (x: number): number => Math.round(x * 100) / 100
  return {
    cpu_wait_share: share,
    cpu_wait_per_run_ms: perRun,
    cpu_ms_per_node_per_s: perNode,
    loop_delay_p99_ms: p99,
    loop_delay_max_ms: max,
    setups,
    setup_p50_ms: s50,
    setup_p95_ms: s95,
    load_avg_start: r(load.start),
    load_avg_end: r(load.end),
    cores: load.cores,
    starved: because.length > 0,
    starved_because: because,
  }
}
