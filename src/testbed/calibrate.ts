// Calibration: the simulator and the testbed on the same scenario, seed and N, metric by
// metric, each pair with its ratio and a verdict against a declared tolerance.
//
// The simulator runs the scenario exactly as the testbed does (testbedScenario: N peers, the
// workload scaled to N), so the two differ only in what runs the engine: the modelled network
// or real sockets through the link shaper. Tolerances come from the scenario's `calibration`
// section when it has one, else the defaults below (p95 within 15 %, mean hops within 0.5).
// A testbed the starvation probe judged starved (probe.ts) is not judged: its pairs are shown,
// but what they compare is the machine's CPU queue with the model, not the nodes with the model.
// The testbed runs its nodes tens to a process on a few cores; with the stack model on, the
// simulator is told so (`network.stack.hosts`: the testbed's worker processes and this machine's
// cores), so that it queues the same work behind the same neighbours (sim/host-cpu.ts).
import type { Report } from '../sim/report-types.js'
import type { ResolvedScenario } from '../sim/scenario.js'
import { hostsSchema, type StackSpec } from '../netmodel/stack.js'
import { STARVED_CPU_WAIT_PER_RUN_MS, STARVED_LOOP_P99_MS, type ProbeSection } from './probe.js'

/**
 * CPU a testbed node's process spends per node per second besides its kad requests and set-ups
 * (libp2p's timers and bookkeeping, metrics, garbage collection), ms, when the testbed run did not
 * measure it (measuredBackgroundMs): the probe's 2.88 ms per node per second in the window of a
 * 200-node baseline on 2 workers, less the ~1.3 ms its requests and set-ups cost at the stack
 * model's figures (BENCHMARKS.md, "The simulator on the testbed's processes").
 */
export const TESTBED_BACKGROUND_CPU_MS = 1.5

/**
 * The background a testbed run measured, ms per node per second: its probe's CPU per node per
 * second in the measured window, less what the window's connection set-ups and answered requests
 * cost at the stack model's figures (the part the simulator charges them for). It moves with the
 * machine (the same 200-node baseline gave 2.0 on one day's runs, where 1.5 was measured the day
 * before), so calibrate measures it in the run it compares with. Null without the stack model or
 * without the figures.
 */
export function measuredBackgroundMs(tb: Pick<Report, 'connections' | 'rpc' | 'virtual_duration_s'> & { readonly testbed: { readonly nodes: number; readonly probe: Pick<ProbeSection, 'cpu_ms_per_node_per_s'> } }, warmupS: number, stack: StackSpec | undefined): number | null {
  const cpu = tb.testbed.probe.cpu_ms_per_node_per_s
  const windowS = tb.virtual_duration_s - warmupS
  if (stack === undefined || cpu === null || tb.connections === undefined || tb.rpc === undefined || !(windowS > 0) || tb.testbed.nodes <= 0) return null
  const work = (tb.connections.opened * stack.setup_cpu_ms + tb.rpc.all.requests * stack.rpc_cpu_ms) / (windowS * tb.testbed.nodes)
  return Math.max(0, Math.round((cpu - work) * 100) / 100)
}

/**
 * The scenario the simulator runs beside a testbed of `processes` worker processes on `cores`
 * cores: its stack model's peers share processes as the testbed's nodes do, with the testbed's
 * background work (`backgroundMs`, as measured; a scenario that declares `hosts` keeps its own
 * `background_cpu_ms`). Without the stack model, nothing changes: the model has no CPU.
 */
export function withTestbedHosts(s: ResolvedScenario, processes: number, cores: number, backgroundMs = TESTBED_BACKGROUND_CPU_MS): ResolvedScenario {
  const stack = s.network.stack
  if (stack === undefined) return s
  const hosts = hostsSchema.parse({ background_cpu_ms: backgroundMs, ...(stack.hosts ?? {}), processes, cores })
  return { ...s, network: { ...s.network, stack: { ...stack, hosts } } }
}

export interface Tolerances {
  /** Relative difference allowed on latency quantiles, percent. */
  readonly latency_pct: number
  /** Absolute difference allowed on mean hops. */
  readonly mean_hops: number
  /** Absolute difference allowed on success ratios. */
  readonly success_abs: number
  /** Relative difference allowed on messages per lookup, percent. */
  readonly messages_pct: number
  /** Seconds allowed between alert fire (and clear) times: one scrape + one evaluation interval. */
  readonly alert_s: number
}

export const DEFAULT_TOLERANCES: Tolerances = { latency_pct: 15, mean_hops: 0.5, success_abs: 0.02, messages_pct: 25, alert_s: 30 }

/** The scenario's `calibration` section, else the defaults. */
export function tolerancesOf(s: { readonly calibration?: Partial<Tolerances> | undefined }): Tolerances {
  return { ...DEFAULT_TOLERANCES, ...(s.calibration ?? {}) }
}

export interface CalibrationRow {
  readonly metric: string
  readonly sim: number | null
  readonly testbed: number | null
  /** testbed / sim; null when either is missing or sim is 0. */
  readonly ratio: number | null
  /** The tolerance as written ("±15 %", "±0.5"), or "" when the pair is only shown. */
  readonly tolerance: string
  /** pass / fail against the tolerance; "info" when none is declared; "missing" without both values. */
  readonly verdict: 'pass' | 'fail' | 'info' | 'missing'
}

export interface Calibration {
  readonly scenario: string
  readonly seed: string
  readonly nodes: number
  readonly tolerances: Tolerances
  readonly rows: readonly CalibrationRow[]
  /** Every pair with a tolerance is within it (whether or not the testbed was starved). */
  readonly pass: boolean
  /** The testbed was starved of CPU (probe.ts): the pairs are shown, not judged. */
  readonly starved: boolean
  readonly starved_because: readonly string[]
  /** pass / fail, or starved (not judged). */
  readonly verdict: 'pass' | 'fail' | 'starved'
  readonly latency_cdf: { readonly sim: Report['latency_cdf']; readonly testbed: Report['latency_cdf'] }
  readonly hops_histogram: { readonly sim: readonly number[]; readonly testbed: readonly number[] }
  /** The simulator's `network.stack.hosts.background_cpu_ms` (null: no stack model), and whether the testbed run measured it. */
  readonly background_cpu_ms?: number | null
  readonly background_measured?: boolean
  /** The testbed's starvation probe (probe.ts): how busy its workers were in the window. */
  readonly probe?: ProbeSection
}

/** Mean of a histogram (index = value); null when empty. */
export function histogramMean(h: readonly number[]): number | null {
  let n = 0
  let sum = 0
  h.forEach((c, i) => {
    n += c
    sum += c * i
  })
  return n === 0 ? null : Math.round((sum / n) * 1000) / 1000
}

function row(metric: string, sim: number | null | undefined, tb: number | null | undefined, tol?: { kind: 'pct' | 'abs'; value: number }): CalibrationRow {
  const s = sim ?? null
  const t = tb ?? null
  const ratio = s !== null && t !== null && s !== 0 ? Math.round((t / s) * 1000) / 1000 : null
  if (tol === undefined) return { metric, sim: s, testbed: t, ratio, tolerance: '', verdict: s === null || t === null ? 'missing' : 'info' }
  const tolerance = tol.kind === 'pct' ? `±${tol.value} %` : `±${tol.value}`
  if (s === null || t === null) return { metric, sim: s, testbed: t, ratio, tolerance, verdict: 'missing' }
  const ok = tol.kind === 'pct' ? Math.abs(t - s) <= (Math.abs(s) * tol.value) / 100 : Math.abs(t - s) <= tol.value
  return { metric, sim: s, testbed: t, ratio, tolerance, verdict: ok ? 'pass' : 'fail' }
}

/** Compares two reports of the same scenario, seed and N. */
export function compareRuns(sim: Report, tb: Report, nodes: number, tol: Tolerances = DEFAULT_TOLERANCES, probe?: Pick<ProbeSection, 'starved' | 'starved_because'>): Calibration {
  const m = (r: Report, k: string): number | null => r.metrics[k] ?? null
  const pct = (value: number) => ({ kind: 'pct' as const, value })
  const abs = (value: number) => ({ kind: 'abs' as const, value })
  const rows: CalibrationRow[] = [
    // How many lookups the quantiles below rest on (a p95 of 216 is their 11th slowest).
    row('lookups', m(sim, 'lookups'), m(tb, 'lookups')),
    row('lookup_p50_ms', m(sim, 'lookup_p50_ms'), m(tb, 'lookup_p50_ms')),
    row('lookup_p95_ms', m(sim, 'lookup_p95_ms'), m(tb, 'lookup_p95_ms'), pct(tol.latency_pct)),
    row('lookup_p99_ms', m(sim, 'lookup_p99_ms'), m(tb, 'lookup_p99_ms')),
    row('hops_mean', histogramMean(sim.hops_histogram), histogramMean(tb.hops_histogram), abs(tol.mean_hops)),
    row('hops_p99', m(sim, 'hops_p99'), m(tb, 'hops_p99')),
    row('lookup_success', m(sim, 'lookup_success'), m(tb, 'lookup_success'), abs(tol.success_abs)),
    row('provider_success', m(sim, 'provider_success'), m(tb, 'provider_success')),
    row('messages_per_lookup', m(sim, 'messages_per_lookup'), m(tb, 'messages_per_lookup'), pct(tol.messages_pct)),
    // The routing tables at the end against the ideal ones: a hops gap starts here.
    row('table_fill', m(sim, 'table_fill'), m(tb, 'table_fill')),
    row('table_fill_far', m(sim, 'table_fill_far'), m(tb, 'table_fill_far')),
    row('connections_opened', sim.connections?.opened, tb.connections?.opened),
    // Each request's round trip (send to answer): a lookup gap that these share is in the
    // requests; one they do not is in how many a lookup waits for.
    row('rpc_p50_ms', sim.rpc?.all.p50_ms, tb.rpc?.all.p50_ms),
    row('rpc_p95_ms', sim.rpc?.all.p95_ms, tb.rpc?.all.p95_ms),
    row('rpc_open_connection_p50_ms', sim.rpc?.open_connection.p50_ms, tb.rpc?.open_connection.p50_ms),
    row('rpc_first_contact_p50_ms', sim.rpc?.first_contact.p50_ms, tb.rpc?.first_contact.p50_ms),
    row('time_to_ready_p50_s', m(sim, 'time_to_ready_p50_s'), m(tb, 'time_to_ready_p50_s')),
    row('time_to_ready_p99_s', m(sim, 'time_to_ready_p99_s'), m(tb, 'time_to_ready_p99_s')),
    // Every start of the run, the initial joins included: the windowed figures above are often
    // missing in a few minutes of real time (few restarts), these never are.
    row('all_starts_ready_p50_s', sim.readiness?.time_to_ready_p50_s, tb.readiness?.time_to_ready_p50_s),
    row('all_starts_ready_p99_s', sim.readiness?.time_to_ready_p99_s, tb.readiness?.time_to_ready_p99_s),
    // The scenario's gates on a fault's window (the nodes outside a partition, for one), shown.
    ...sim.gates
      .filter((g) => g.window !== 'all')
      .map((g) => row(`gate ${g.metric} (${g.window})`, g.measured, tb.gates.find((x) => x.metric === g.metric && x.window === g.window)?.measured)),
    ...alertRows(sim, tb, tol.alert_s),
  ]
  const pass = rows.every((r) => r.verdict !== 'fail' && !(r.tolerance !== '' && r.verdict === 'missing'))
  const starved = probe?.starved === true
  return {
    scenario: sim.scenario.name,
    seed: sim.seed,
    nodes,
    tolerances: tol,
    rows,
    pass,
    starved,
    starved_because: probe?.starved_because ?? [],
    verdict: starved ? 'starved' : pass ? 'pass' : 'fail',
    latency_cdf: { sim: sim.latency_cdf, testbed: tb.latency_cdf },
    hops_histogram: { sim: sim.hops_histogram, testbed: tb.hops_histogram },
  }
}

/**
 * Alert timings, rule by rule and episode by episode: each run's episodes of a rule (fire and
 * clear, seconds from the start) in time order, an episode paired with the other run's next one
 * when they fired within twice `alertS` of each other (else the earlier stands alone), and a
 * pair's fire and clear times within `alertS`. An episode with no counterpart is a fail (its
 * other side missing): an alert one run raised and the other did not. Rules that fired in
 * neither run are not listed. The first episode of a rule is `alert <rule> fired_s`, later ones
 * `alert <rule> (2) fired_s` and so on.
 */
function alertRows(sim: Report, tb: Report, alertS: number): CalibrationRow[] {
  const names = [...new Set([...sim.alerts.map((a) => a.name), ...tb.alerts.map((a) => a.name)])].sort()
  const out: CalibrationRow[] = []
  const episodes = (r: Report, name: string) => r.alerts.filter((a) => a.name === name).sort((a, b) => a.fired_s - b.fired_s)
  const tol = { kind: 'abs' as const, value: alertS }
  for (const name of names) {
    const ss = episodes(sim, name)
    const ts = episodes(tb, name)
    let i = 0
    let j = 0
    for (let n = 1; i < ss.length || j < ts.length; n++) {
      let s = ss[i]
      let t = ts[j]
      if (s !== undefined && t !== undefined && Math.abs(s.fired_s - t.fired_s) > 2 * alertS) {
        if (s.fired_s < t.fired_s) t = undefined
        else s = undefined
      }
      if (s !== undefined) i++
      if (t !== undefined) j++
      const label = n === 1 ? `alert ${name}` : `alert ${name} (${n})`
      const fired = row(`${label} fired_s`, s?.fired_s, t?.fired_s, tol)
      out.push(s === undefined || t === undefined ? { ...fired, verdict: 'fail' } : fired)
      if (s !== undefined && t !== undefined && (s.cleared_s !== null || t.cleared_s !== null)) out.push(row(`${label} cleared_s`, s.cleared_s, t.cleared_s, tol))
    }
  }
  return out
}

/** What each side's p95 rests on: the how-many-th slowest of how many lookups. */
function sampleNote(c: Calibration): string[] {
  const n = c.rows.find((r) => r.metric === 'lookups')
  if (n === undefined || n.sim === null || n.testbed === null) return []
  const ordinal = (x: number): string => {
    const k = Math.ceil(0.05 * x)
    const suffix = k % 100 >= 11 && k % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th')
    return `${k}${suffix}`
  }
  return [`Each side's lookup_p95_ms is about its ${ordinal(n.sim)} slowest lookup of ${n.sim} (simulator) and ${ordinal(n.testbed)} of ${n.testbed} (testbed): a few lookups more or less in the tail move it.`, '']
}

/**
 * How busy the testbed's workers were in the window. The testbed's tail follows its event loops'
 * lateness (BENCHMARKS.md: at 200 nodes the p95 pair moved from +4 % to +105 % as the loops'
 * p99 went from 25 to 50 ms), so a verdict is read with it.
 */
function loadNote(p: ProbeSection | undefined): string[] {
  if (p === undefined) return []
  const cpu = p.cpu_ms_per_node_per_s === null ? 'CPU not measured' : `${p.cpu_ms_per_node_per_s} ms of CPU per node per second`
  const wait = p.cpu_wait_per_run_ms === null ? '' : `, ${p.cpu_wait_per_run_ms} ms waiting for a core each time they ran (bound ${STARVED_CPU_WAIT_PER_RUN_MS})`
  return [`The testbed's workers in the window: ${cpu}, event loops ${p.loop_delay_p99_ms} ms late at p99 (max ${p.loop_delay_max_ms}; starved past ${STARVED_LOOP_P99_MS})${wait}.`, '']
}

export function renderCalibrationMarkdown(c: Calibration): string {
  const v = (x: number | null): string => (x === null ? 'n/a' : String(x))
  const lines = [
    `# Calibration: ${c.scenario} (seed ${c.seed}, ${c.nodes} nodes)`,
    '',
    'The simulator and the testbed (real nodes on 127.0.0.1) on the same scenario, seed and node count.',
    '',
    '| metric | simulator | testbed | ratio | tolerance | verdict |',
    '|---|---|---|---|---|---|',
    ...c.rows.map((r) => `| ${r.metric} | ${v(r.sim)} | ${v(r.testbed)} | ${v(r.ratio)} | ${r.tolerance} | ${r.verdict.toUpperCase()} |`),
    '',
    ...sampleNote(c),
    c.pass ? 'Every pair with a tolerance is within it.' : `${c.rows.filter((r) => r.verdict === 'fail' || (r.tolerance !== '' && r.verdict === 'missing')).map((r) => r.metric).join(', ')}: outside the tolerance (or not measured).`,
    '',
    ...(c.background_cpu_ms !== undefined ? [`The simulator's processes: ${c.background_cpu_ms === null ? 'no' : `${c.background_cpu_ms} ms per node per second of`} background work${c.background_measured === true ? ', as the testbed measured it (its probe\'s CPU less its set-ups and requests at the model\'s figures)' : ''}.`, ''] : []),
    ...loadNote(c.probe),
    ...(c.starved ? [`STARVED, not judged: the testbed was short of CPU (${c.starved_because.join('; ')}); its latencies include the machine's queue.`, ''] : []),
  ]
  return lines.join('\n')
}

/** A small self-contained HTML page: the table and both latency CDFs on one SVG chart. */
export function renderCalibrationHtml(c: Calibration): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  const W = 640
  const H = 320
  const all = [...c.latency_cdf.sim, ...c.latency_cdf.testbed].map((p) => p.ms)
  const maxMs = Math.max(1, ...all)
  const path = (pts: Report['latency_cdf']): string =>
    pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${((p.ms / maxMs) * (W - 60) + 50).toFixed(1)},${(H - 30 - p.fraction * (H - 50)).toFixed(1)}`).join(' ')
  const rows = c.rows
    .map((r) => `<tr><td>${esc(r.metric)}</td><td>${r.sim ?? 'n/a'}</td><td>${r.testbed ?? 'n/a'}</td><td>${r.ratio ?? 'n/a'}</td><td>${esc(r.tolerance)}</td><td>${r.verdict}</td></tr>`)
    .join('\n')
  return `<!doctype html><html><head><meta charset="utf-8"><title>calibration ${esc(c.scenario)}</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style></head><body>
<h1>Calibration: ${esc(c.scenario)} (seed ${esc(c.seed)}, ${c.nodes} nodes)</h1>
<p>Verdict: <strong>${c.verdict.toUpperCase()}</strong>${c.starved ? ` (not judged: ${esc(c.starved_because.join('; '))})` : ''}</p>
<table><tr><th>metric</th><th>simulator</th><th>testbed</th><th>ratio</th><th>tolerance</th><th>verdict</th></tr>
${rows}</table>
<h2>Lookup latency CDF</h2>
<svg width="${W}" height="${H}" role="img" aria-label="latency CDF, simulator and testbed">
<line x1="50" y1="${H - 30}" x2="${W - 10}" y2="${H - 30}" stroke="#888"/><line x1="50" y1="20" x2="50" y2="${H - 30}" stroke="#888"/>
<text x="50" y="${H - 10}" font-size="11">0 ms</text><text x="${W - 70}" y="${H - 10}" font-size="11">${Math.round(maxMs)} ms</text>
<path d="${path(c.latency_cdf.sim)}" fill="none" stroke="#1f77b4" stroke-width="2"/><path d="${path(c.latency_cdf.testbed)}" fill="none" stroke="#d62728" stroke-width="2"/>
<text x="60" y="30" fill="#1f77b4" font-size="12">simulator</text><text x="60" y="46" fill="#d62728" font-size="12">testbed</text>
</svg></body></html>
`
}
