// The testbed's starvation probe: the kernel's run-queue accounting and the event loop's lateness,
// pooled over the workers and judged against the bounds; a starved calibration is not judged.
import { describe, expect, it } from 'vitest'
import { judgeProbes, parseSchedstat, Probe, quantile, STARVED_CPU_WAIT_PER_RUN_MS, STARVED_LOOP_P99_MS, type WorkerProbe } from '../../src/testbed/probe.js'
import { compareRuns, renderCalibrationMarkdown } from '../../src/testbed/calibrate.js'
import type { Report } from '../../src/sim/report-types.js'
import { defaultWorkers } from '../../src/testbed/testbed.js'

const LOAD = { start: 1, end: 1.5, cores: 2 }
const worker = (o: Partial<WorkerProbe> = {}): WorkerProbe => ({
  cpuRunNs: 8e9,
  cpuWaitNs: 1e9,
  cpuRuns: 10_000,
  loopDelayP50Ms: 10,
  loopDelayP99Ms: 20,
  loopDelayMaxMs: 40,
  setups: 10,
  setupP50Ms: 5,
  setupP95Ms: 9,
  ...o,
})

describe('starvation probe', () => {
  it('reads /proc/<pid>/schedstat: ns on CPU, ns waiting', () => {
    expect(parseSchedstat('123456 7890 12\n')).toEqual({ runNs: 123456, waitNs: 7890, runs: 12 })
    expect(parseSchedstat('123456 7890\n')).toEqual({ runNs: 123456, waitNs: 7890, runs: null })
    expect(parseSchedstat('garbage')).toBeNull()
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2)
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(4)
    expect(quantile([], 0.5)).toBe(0)
  })

  it('pools the workers: wait share over all of them, the worst loop and set-up figures', () => {
    const p = judgeProbes([worker(), worker({ cpuRunNs: 2e9, cpuWaitNs: 1e9, loopDelayP99Ms: 30, setupP95Ms: 12 })], LOAD)
    expect(p.cpu_wait_share).toBeCloseTo(2 / 12, 3)
    // 2e9 ns of waiting over 20,000 runs: 0.1 ms a run.
    expect(p.cpu_wait_per_run_ms).toBeCloseTo(0.1, 6)
    expect(p.loop_delay_p99_ms).toBe(30)
    expect(p.setups).toBe(20)
    expect(p.setup_p95_ms).toBe(12)
    expect(p.starved).toBe(false)
    expect(p.starved_because).toEqual([])
    expect(p.load_avg_end).toBe(1.5)
    // Without the window's length and node count, no CPU per node.
    expect(p.cpu_ms_per_node_per_s).toBeNull()
  })

  it('gives the main threads\' CPU in the window per node and second', () => {
    // 8e9 + 2e9 ns = 10,000 ms of CPU, 50 nodes, 100 s: 2 ms per node per second.
    const p = judgeProbes([worker(), worker({ cpuRunNs: 2e9 })], { ...LOAD, nodes: 50, windowS: 100 })
    expect(p.cpu_ms_per_node_per_s).toBe(2)
    expect(judgeProbes([worker({ cpuRunNs: null, cpuWaitNs: null })], { ...LOAD, nodes: 50, windowS: 100 }).cpu_ms_per_node_per_s).toBeNull()
  })

  it('judges a run starved when the workers wait for a CPU, or the event loop runs late, past the bounds', () => {
    // 3 s of waiting over 1,000 runs: 3 ms a run.
    const waiting = judgeProbes([worker({ cpuRunNs: 1e9, cpuWaitNs: 3e9, cpuRuns: 1_000 })], LOAD)
    expect(waiting.starved).toBe(true)
    expect(waiting.starved_because[0]).toMatch(/waited 3 ms for a CPU each time they ran \(bound 1 ms; 75 % of the time/)
    const late = judgeProbes([worker({ loopDelayP99Ms: STARVED_LOOP_P99_MS + 1 })], LOAD)
    expect(late.starved).toBe(true)
    expect(late.starved_because[0]).toMatch(/event loop p99/)
    const edge = judgeProbes([worker({ cpuRunNs: 1e9, cpuWaitNs: 1e6 * STARVED_CPU_WAIT_PER_RUN_MS * 1_000, cpuRuns: 1_000 })], LOAD)
    expect(edge.starved).toBe(false)
    // Short runs with the idle machine's wake-up latency: a large share of waiting, not starved.
    const idle = judgeProbes([worker({ cpuRunNs: 2.6e9, cpuWaitNs: 1e9, cpuRuns: 10_000 })], LOAD)
    expect(idle.cpu_wait_share).toBeGreaterThan(0.25)
    expect(idle.starved).toBe(false)
    // Without /proc the share is not measured, and not held against the run.
    expect(judgeProbes([worker({ cpuRunNs: null, cpuWaitNs: null })], LOAD).cpu_wait_share).toBeNull()
  })

  it('measures this process: CPU time advances, the loop delay is a figure', async () => {
    const p = new Probe()
    p.reset()
    // The histogram measures from its first tick after a reset: let it tick, then hold the loop.
    await new Promise((r) => setTimeout(r, 35))
    // Busy until this process has run 25 ms of CPU (not 25 ms of wall time: on a loaded machine
    // the thread waits for a CPU part of that time, which is what the probe measures).
    const cpu0 = process.cpuUsage()
    while (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system < 25_000) {
      // busy: the main thread runs
    }
    await new Promise((r) => setTimeout(r, 30))
    p.setup(7)
    const s = p.sample()
    p.stop()
    if (s.cpuRunNs !== null) expect(s.cpuRunNs).toBeGreaterThan(10e6)
    // The busy 25 ms (at least) held the loop: its timer ran at least ~15 ms late.
    expect(s.loopDelayMaxMs).toBeGreaterThan(10)
    expect(s.setups).toBe(1)
    expect(s.setupP50Ms).toBe(7)
  })
})

function report(metrics: Record<string, number | null>): Report {
  return {
    schema_version: 1,
    tool: { name: 'dht-sim', version: 't' },
    scenario: { name: 's', resolved: {} },
    seed: '1',
    replay: '',
    virtual_duration_s: 1,
    metrics,
    gates: [],
    pass: true,
    series: { window_s: 1, points: [] },
    hops_histogram: [0, 4, 4],
    latency_cdf: [{ ms: 10, fraction: 1 }],
    faults: [],
    alerts: [],
    variants: [],
  }
}

describe('a starved calibration', () => {
  it('is reported, not judged: verdict starved, whatever the pairs say', () => {
    const m = { lookup_p95_ms: 300, lookup_success: 1, messages_per_lookup: 10 }
    const starved = judgeProbes([worker({ cpuRunNs: 1e9, cpuWaitNs: 3e9, cpuRuns: 1_000 })], LOAD)
    const c = compareRuns(report(m), report({ ...m, lookup_p95_ms: 9000 }), 50, undefined, starved)
    expect(c.pass).toBe(false)
    expect(c.starved).toBe(true)
    expect(c.verdict).toBe('starved')
    expect(renderCalibrationMarkdown(c)).toMatch(/STARVED, not judged: the testbed was short of CPU \(workers waited 3 ms for a CPU each time they ran/)
    const fine = compareRuns(report(m), report({ ...m, lookup_p95_ms: 9000 }), 50, undefined, judgeProbes([worker()], LOAD))
    expect(fine.verdict).toBe('fail')
    expect(renderCalibrationMarkdown(fine)).not.toMatch(/STARVED/)
  })
})

describe('worker processes by default', () => {
  it('one per 50 nodes, never more than the cores (a starved probe is what more workers than cores buy), at least two', () => {
    expect(defaultWorkers(200, 2)).toBe(2)
    expect(defaultWorkers(500, 2)).toBe(2)
    expect(defaultWorkers(200, 8)).toBe(4)
    expect(defaultWorkers(30, 8)).toBe(2)
    expect(defaultWorkers(30, 1)).toBe(2)
    expect(defaultWorkers(1000, 16)).toBe(16)
  })
})
