// Calibration verdicts: pairs within their tolerance pass, outside fail, unmeasured ones count.
import { describe, expect, it } from 'vitest'
import { compareRuns, DEFAULT_TOLERANCES, histogramMean, renderCalibrationHtml, renderCalibrationMarkdown, tolerancesOf } from '../../src/testbed/calibrate.js'
import type { Report } from '../../src/sim/report-types.js'

function report(metrics: Record<string, number | null>, hops: number[], alerts: Report['alerts'] = []): Report {
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
    hops_histogram: hops,
    latency_cdf: [
      { ms: 10, fraction: 0.5 },
      { ms: 100, fraction: 1 },
    ],
    faults: [],
    alerts,
    variants: [],
  }
}

describe('calibration', () => {
  it('takes the mean of a hops histogram', () => {
    expect(histogramMean([0, 2, 2])).toBe(1.5)
    expect(histogramMean([])).toBeNull()
  })

  it('passes pairs within tolerance and fails the rest, with ratios', () => {
    const sim = report({ lookup_p95_ms: 400, lookup_success: 1, messages_per_lookup: 10 }, [0, 0, 10, 10])
    const near = compareRuns(sim, report({ lookup_p95_ms: 450, lookup_success: 0.99, messages_per_lookup: 11 }, [0, 0, 8, 12]), 50)
    const p95 = near.rows.find((r) => r.metric === 'lookup_p95_ms')!
    expect(p95).toMatchObject({ sim: 400, testbed: 450, ratio: 1.125, tolerance: '±15 %', verdict: 'pass' })
    expect(near.rows.find((r) => r.metric === 'hops_mean')).toMatchObject({ sim: 2.5, testbed: 2.6, verdict: 'pass' })
    expect(near.pass).toBe(true)
    const far = compareRuns(sim, report({ lookup_p95_ms: 470, lookup_success: 0.99, messages_per_lookup: 11 }, [0, 0, 0, 10, 10]), 50)
    expect(far.rows.find((r) => r.metric === 'lookup_p95_ms')!.verdict).toBe('fail')
    expect(far.rows.find((r) => r.metric === 'hops_mean')!.verdict).toBe('fail')
    expect(far.pass).toBe(false)
    expect(renderCalibrationMarkdown(far)).toMatch(/lookup_p95_ms, hops_mean: outside the tolerance/)
    expect(renderCalibrationHtml(far)).toContain('<path d="M')
  })

  it('says how many lookups each side\'s p95 rests on', () => {
    const c = compareRuns(report({ lookups: 216, lookup_p95_ms: 400 }, [0, 1]), report({ lookups: 860, lookup_p95_ms: 420 }, [0, 1]), 200)
    expect(c.rows.find((r) => r.metric === 'lookups')).toMatchObject({ sim: 216, testbed: 860, verdict: 'info' })
    expect(renderCalibrationMarkdown(c)).toContain('about its 11th slowest lookup of 216 (simulator) and 43rd of 860 (testbed)')
    expect(renderCalibrationMarkdown(compareRuns(report({ lookup_p95_ms: 400 }, [0, 1]), report({ lookup_p95_ms: 420 }, [0, 1]), 200))).not.toContain('slowest lookup')
  })

  it('says how busy the testbed\'s workers were, and nothing when no probe ran', () => {
    const c = compareRuns(report({ lookup_p95_ms: 400 }, [0, 1]), report({ lookup_p95_ms: 420 }, [0, 1]), 200)
    expect(renderCalibrationMarkdown(c)).not.toContain('workers in the window')
    const probe = { cpu_wait_share: 0.24, cpu_wait_per_run_ms: 0.222, cpu_ms_per_node_per_s: 2.85, loop_delay_p99_ms: 25.13, loop_delay_max_ms: 1022.85, setups: 3256, setup_p50_ms: 8, setup_p95_ms: 71, load_avg_start: 0.94, load_avg_end: 1.02, cores: 2, starved: false, starved_because: [] }
    expect(renderCalibrationMarkdown({ ...c, probe })).toContain(
      "The testbed's workers in the window: 2.85 ms of CPU per node per second, event loops 25.13 ms late at p99 (max 1022.85; starved past 50), 0.222 ms waiting for a core each time they ran (bound 1).",
    )
    expect(renderCalibrationMarkdown({ ...c, probe: { ...probe, cpu_ms_per_node_per_s: null, cpu_wait_per_run_ms: null } })).toContain('workers in the window: CPU not measured, event loops 25.13 ms late at p99 (max 1022.85; starved past 50).')
  })

  it('shows the connections each side opened, unjudged', () => {
    const sim = { ...report({ lookup_p95_ms: 400, lookup_success: 1, messages_per_lookup: 10 }, [0, 1]), connections: { opened: 1440 } }
    const tb = { ...report({ lookup_p95_ms: 400, lookup_success: 1, messages_per_lookup: 10 }, [0, 1]), connections: { opened: 1684 } }
    expect(compareRuns(sim, tb, 200).rows.find((r) => r.metric === 'connections_opened')).toMatchObject({ sim: 1440, testbed: 1684, ratio: 1.169, verdict: 'info' })
    expect(compareRuns(report({}, []), tb, 200).rows.find((r) => r.metric === 'connections_opened')!.verdict).toBe('missing')
  })

  it('compares the readiness of every start, the initial joins included, unjudged', () => {
    const withReady = (p50: number, p99: number) => ({ ...report({}, []), readiness: { starts: 200, time_to_ready_p50_s: p50, time_to_ready_p99_s: p99 } })
    const rows = compareRuns(withReady(1.2, 4), withReady(1.5, 5), 200).rows
    expect(rows.find((r) => r.metric === 'all_starts_ready_p50_s')).toMatchObject({ sim: 1.2, testbed: 1.5, ratio: 1.25, verdict: 'info' })
    expect(rows.find((r) => r.metric === 'all_starts_ready_p99_s')).toMatchObject({ sim: 4, testbed: 5, verdict: 'info' })
  })

  it("shows the scenario's gates side by side, a fault's window named, unjudged", () => {
    const gate = (measured: number | null) => ({ metric: 'outside_lookup_p95_ms', op: '<' as const, threshold: 700, measured, pass: measured !== null && measured < 700, window: 'during:replica-cut' })
    const sim = { ...report({}, []), gates: [gate(660)] }
    const tb = { ...report({}, []), gates: [gate(2693)] }
    const r = compareRuns(sim, tb, 200).rows.find((x) => x.metric === 'gate outside_lookup_p95_ms (during:replica-cut)')
    expect(r).toMatchObject({ sim: 660, testbed: 2693, verdict: 'info' })
    expect(compareRuns(sim, report({}, []), 200).rows.find((x) => x.metric.startsWith('gate '))!.verdict).toBe('missing')
  })

  it('fails a toleranced pair the testbed did not measure', () => {
    const c = compareRuns(report({ lookup_p95_ms: 400, lookup_success: 1, messages_per_lookup: 10 }, [0, 1]), report({ lookup_p95_ms: null, lookup_success: 1, messages_per_lookup: 10 }, [0, 1]), 10)
    expect(c.rows.find((r) => r.metric === 'lookup_p95_ms')!.verdict).toBe('missing')
    expect(c.pass).toBe(false)
  })

  it('compares alert fire and clear times rule by rule, within one scrape + evaluation interval', () => {
    const m = { lookup_p95_ms: 400, lookup_success: 1, messages_per_lookup: 10 }
    const sim = report(m, [0, 1], [{ name: 'DhtNotReady', fired_s: 615, cleared_s: 1215 }])
    const tb = report(m, [0, 1], [
      { name: 'DhtNotReady', fired_s: 640, cleared_s: 1250 },
      { name: 'DhtBootstrapPeersZero', fired_s: 700, cleared_s: null },
    ])
    const c = compareRuns(sim, tb, 10)
    expect(c.rows.find((r) => r.metric === 'alert DhtNotReady fired_s')).toMatchObject({ sim: 615, testbed: 640, verdict: 'pass' })
    expect(c.rows.find((r) => r.metric === 'alert DhtNotReady cleared_s')).toMatchObject({ verdict: 'fail' })
    // Fired on one side only: a miss, not a pass.
    expect(c.rows.find((r) => r.metric === 'alert DhtBootstrapPeersZero fired_s')).toMatchObject({ sim: null, testbed: 700, verdict: 'fail' })
    expect(c.pass).toBe(false)
    expect(compareRuns(sim, report(m, [0, 1], [{ name: 'DhtNotReady', fired_s: 600, cleared_s: 1240 }]), 10).pass).toBe(true)
  })

  it('pairs a rule\'s episodes by time: one the other run did not raise fails on its own, and does not hide the pair after it', () => {
    const m = { lookup_p95_ms: 400, lookup_success: 1, messages_per_lookup: 10 }
    // The testbed raised the alert during the join (one node slow to be ready), then at the partition as the simulator did.
    const sim = report(m, [0, 1], [{ name: 'DhtNotReady', fired_s: 240, cleared_s: 345 }])
    const tb = report(m, [0, 1], [
      { name: 'DhtNotReady', fired_s: 242.7, cleared_s: 347.8 },
      { name: 'DhtNotReady', fired_s: 137.7, cleared_s: 152.7 },
    ])
    const c = compareRuns(sim, tb, 10)
    const alerts = c.rows.filter((r) => r.metric.startsWith('alert '))
    expect(alerts.map((r) => [r.metric, r.sim, r.testbed, r.verdict])).toEqual([
      ['alert DhtNotReady fired_s', null, 137.7, 'fail'],
      ['alert DhtNotReady (2) fired_s', 240, 242.7, 'pass'],
      ['alert DhtNotReady (2) cleared_s', 345, 347.8, 'pass'],
    ])
    expect(c.pass).toBe(false)
    // Two episodes on each side, each pair within the tolerance: every row passes.
    const both = [
      { name: 'DhtNotReady', fired_s: 100, cleared_s: 130 },
      { name: 'DhtNotReady', fired_s: 240, cleared_s: 345 },
    ]
    const shifted = both.map((a) => ({ ...a, fired_s: a.fired_s + 20, cleared_s: a.cleared_s + 20 }))
    expect(compareRuns(report(m, [0, 1], both), report(m, [0, 1], shifted), 10).pass).toBe(true)
  })

  it('takes tolerances from the scenario, defaults for what it leaves out', () => {
    expect(tolerancesOf({})).toEqual(DEFAULT_TOLERANCES)
    expect(tolerancesOf({ calibration: { latency_pct: 20, alert_s: 45 } })).toMatchObject({ latency_pct: 20, alert_s: 45, mean_hops: 0.5 })
  })
})
