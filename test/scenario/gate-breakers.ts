// Every gate in scenarios/ can fail: for each gate scenario, a reduced copy of the file (its own
// gates kept) that passes them all, and "breakers": the same copy with the property a gate
// checks broken in the product or its network (fewer routing entries, slower links, unreachable
// bootstraps, defences off, alert rules that wait too long, ...), run through the same gate
// evaluation as `dht-sim run` / `dht-sim gate`, where the named gates must fail.
// The table is checked for coverage: a gate added to a scenario without a breaker fails the test.
// cpu-saturation.yaml is left out here: its gates are being redone with the admission work.
import { readFileSync } from 'node:fs'
import YAML from 'yaml'
import { SeededRng } from '../../src/engine/rng.js'
import { parseScenarioText, type ResolvedScenario } from '../../src/sim/scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { Simulation } from '../../src/sim/simulation.js'
import { ChaosRun } from '../../src/sim/chaos/chaos-run.js'
import { chaosOf } from '../../src/sim/faults/chaos-schema.js'
import { checkGates } from '../../src/sim/gates.js'
import { loadAlertThresholds, type AlertThresholds } from '../../src/sim/alerts/thresholds.js'
import type { GateResult } from '../../src/sim/report-types.js'
import { gateKey } from '../../src/report/format.js'

// Test code edits arbitrary nested YAML: a loose type on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RawYaml = Record<string, any>

export interface Breaker {
  readonly label: string
  readonly patch?: (raw: RawYaml) => void
  /** Alert rules as a broken deployment would have them (the same file production reads, edited). */
  readonly thresholds?: (t: AlertThresholds) => AlertThresholds
  /** Gate keys (`metric op threshold [window]`) that must fail. */
  readonly breaks: readonly string[]
}

export interface GateCase {
  readonly file: string
  /** Makes the scenario small enough for the suite; its gates are kept. */
  readonly reduce: (raw: RawYaml) => void
  readonly breakers: readonly Breaker[]
}

/** Files whose gates another piece of work owns (see the header). */
export const NOT_COVERED_HERE = ['cpu-saturation.yaml']

export function scenarioRaw(file: string): RawYaml {
  return YAML.parse(readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), 'utf8')) as RawYaml
}

/** The gate keys a scenario file declares. */
export function declaredGateKeys(file: string): string[] {
  const s = parseScenarioText(readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), 'utf8'), file)
  return s.gates.map((g) => gateKey(g))
}

export function reducedScenario(c: GateCase, b?: Breaker): ResolvedScenario {
  const raw = scenarioRaw(c.file)
  delete raw.gate
  delete raw.variants // a variant re-runs the whole scenario; the breakers say what they break
  c.reduce(raw)
  b?.patch?.(raw)
  return parseScenarioText(YAML.stringify(raw), c.file)
}

/** Runs a case (intact, or with a breaker) and returns its gate results, as the report has them. */
export function runGates(c: GateCase, b?: Breaker): GateResult[] {
  const scenario = reducedScenario(c, b)
  if (b?.thresholds === undefined) return [...runScenario(scenario).gates]
  // Same wiring as runScenario, with the alert rules edited.
  const chaos = new ChaosRun(scenario, chaosOf(scenario), new SeededRng(scenario.seed), b.thresholds(structuredClone(loadAlertThresholds())))
  const sim = new Simulation(scenario, chaos.simulationOptions(scenario.seed))
  chaos.setup(sim)
  sim.run()
  chaos.finish()
  return checkGates(
    scenario.gates,
    (w) => chaos.gateMetrics(w),
    (w) => chaos.nullReasons(w),
    (w) => chaos.missedMeasures(w),
  )
}

export const byKey = (gates: readonly GateResult[]): Map<string, GateResult> => new Map(gates.map((g) => [gateKey(g), g]))

/** The nominal network, reduced: 150 peers, 10 min, churn fast enough that restarts are measured. */
export function reduceNominal(r: RawYaml): void {
  r.network.peers = 150
  r.network.join_spread_s = 30
  r.duration_s = 600
  r.warmup_s = 120
  r.workload = { ...r.workload, find_node_per_s: 3, provide_per_s: 0.3, get_providers_per_s: 1.5 }
  r.churn = { ...r.churn, turnover_per_hour: 1, downtime_mean_s: 30 }
}

/** A drill, reduced: 150 peers, `faults` moved to the shorter timeline. */
export function reduceDrill(durationS: number, faults: Readonly<Record<string, { at_s: number; for_s: number }>>): (r: RawYaml) => void {
  return (r) => {
    r.network.peers = 150
    r.network.join_spread_s = 20
    r.duration_s = durationS
    r.warmup_s = 60
    r.workload = { ...r.workload, find_node_per_s: 2, provide_per_s: 0.2, get_providers_per_s: 0.5 }
    for (const f of r.faults as RawYaml[]) {
      const t = faults[f.id as string]
      if (t === undefined) throw new Error(`no reduced timing for fault ${String(f.id)}`)
      f.at_s = t.at_s
      f.for_s = t.for_s
    }
  }
}

/** After `fromS`, every link stays slow to the end: the network never gets back inside the nominal gates. */
export const neverRecovers = (fromS: number, untilS: number): Breaker['patch'] => (r) => {
  r.faults.push({ id: 'never-heals', at_s: fromS, for_s: untilS - fromS, kind: 'latency', add_ms: 2000, targets: 'all' })
}

/**
 * The eclipse defence's price gates, each broken (messages and p95 judged over `window`): every
 * lookup pays for the defence (many disjoint paths, wide hedging) attacked or not; links slow from
 * slowFromS to the run's end (endS); and a page left firing at the end, no bootstrap answering from
 * cutAtS on.
 */
function priceBreakers(window: string, slowFromS: number, endS: number, cutAtS: number): Breaker[] {
  return [
    { label: 'every lookup widened', patch: (r) => (r.dht = { ...r.dht, disjoint_paths: 8, beta: 8 }), breaks: [`messages_per_lookup <= 41.8 [${window}]`] },
    {
      label: 'links slow to the end',
      patch: (r) => {
        r.faults ??= []
        neverRecovers(slowFromS, endS)!(r)
      },
      breaks: [`lookup_p95_ms < 500 [${window}]`],
    },
    {
      label: 'bootstraps unreachable to the end',
      patch: (r) => (r.faults = [{ id: 'boot-cut', at_s: cutAtS, for_s: endS - cutAtS, kind: 'loss', percent: 100, targets: 'bootstrap' }]),
      breaks: ['pages_firing_at_end == 0 [all]'],
    },
  ]
}

export const CASES: readonly GateCase[] = [
  {
    file: 'baseline.yaml',
    reduce: reduceNominal,
    breakers: [
      // One contact per bucket and one query at a time: lookups need more hops.
      { label: 'k = 1, alpha = 1', patch: (r) => (r.dht = { ...r.dht, k: 1, alpha: 1, replication: 1, warm_table_size: 2 }), breaks: ['hops_p99 <= 5 [all]'] },
      { label: 'access links 50x slower', patch: (r) => (r.network.access_latency_ms = { median: 100, sigma: 0.5 }), breaks: ['lookup_p95_ms < 500 [all]'] },
      {
        label: 'bootstraps unreachable while peers restart',
        patch: (r) => (r.faults = [{ id: 'boot-cut', at_s: 100, for_s: 500, kind: 'loss', percent: 95, targets: 'bootstrap' }]),
        breaks: ['time_to_ready_p99_s <= 10 [all]'],
      },
      // A lookup that stops after 3 queries: results come back, often without the closest peer.
      { label: 'lookups stop after 3 queries', patch: (r) => (r.dht = { ...r.dht, max_queries_per_lookup: 3 }), breaks: ['lookup_success >= 0.999 [all]', 'lookup_accuracy >= 0.99 [all]'] },
    ],
  },
  {
    file: 'churn.yaml',
    reduce: reduceNominal,
    breakers: [
      // The same gates as baseline.yaml (each broken alone there): here broken together, once.
      {
        label: 'k = 1, slow access links, bootstraps unreachable',
        patch: (r) => {
          r.dht = { ...r.dht, k: 1, alpha: 1, replication: 1, warm_table_size: 2 }
          r.network.access_latency_ms = { median: 100, sigma: 0.5 }
          r.faults = [{ id: 'boot-cut', at_s: 100, for_s: 500, kind: 'loss', percent: 95, targets: 'bootstrap' }]
        },
        breaks: ['hops_p99 <= 5 [all]', 'lookup_p95_ms < 500 [all]', 'time_to_ready_p99_s <= 10 [all]', 'lookup_success >= 0.999 [all]', 'lookup_accuracy >= 0.99 [all]'],
      },
    ],
  },
  {
    file: 'latency-inter-region.yaml',
    // The fault's window is 10 min, as the file's is long (15 min): in its first two minutes the
    // network has not yet settled to the slow links (p95 about 950 ms a minute there, about 500-700
    // ms from the third minute on), and a 3-min window measured mostly that (p95 750-920 ms across
    // seeds, the same on either join fill), where the file's measures mostly the settled network.
    // The burst as the file has it (400 lookups/s, 60 s), well inside the settled part.
    reduce: (r) => {
      reduceDrill(840, { 'wan-latency': { at_s: 120, for_s: 600 }, burst: { at_s: 400, for_s: 60 } })(r)
      r.workload.find_node_per_s = 3
    },
    breakers: [
      // Not "inter-region links +1500 ms": p95 settles within minutes however slow the far links
      // are (680 ms over the 10-min window at +1500), as long as near peers stay fast.
      { label: 'the +300 ms on every link, intra-region too', patch: (r) => (r.faults[0].targets = 'all'), breaks: ['lookup_p95_ms < 800 [during:wan-latency]'] },
      {
        label: 'every link also loses 80 % of its packets',
        patch: (r) => r.faults.push({ id: 'wan-loss', at_s: 120, for_s: 600, kind: 'loss', percent: 80, targets: 'all' }),
        breaks: ['unshed_success >= 0.999 [during:wan-latency]'],
      },
      // No admission bound worth the name: the burst queues instead of being shed.
      { label: 'lookup queue unbounded', patch: (r) => (r.dht = { ...r.dht, max_inflight_lookups: 4096, max_queued_lookups: 1_000_000 }), breaks: ['load_shed > 0 [during:burst]'] },
    ],
  },
  {
    file: 'loss-bootstrap.yaml',
    reduce: reduceDrill(1000, { 'boot-loss': { at_s: 120, for_s: 600 } }),
    breakers: [
      // Lookups collapse and readiness, deaf to its bootstraps for a day, never flips: the lead is
      // "missed", which fails although the drill accepts a lead "not reached" (no collapse).
      {
        label: 'readiness blind to bootstraps while every link loses 70 %',
        patch: (r) => {
          r.dht = { ...r.dht, bootstrap_live_window_s: 86_400 }
          r.faults.push({ id: 'wide-loss', at_s: 300, for_s: 300, kind: 'loss', percent: 70, targets: 'all' })
        },
        breaks: ['readiness_lead_s > 0 [during:boot-loss]'],
      },
      {
        // One contact per bucket, one query at a time, in a network big enough to need the hops.
        label: 'k = 1, alpha = 1, 1,000 peers',
        patch: (r) => {
          r.dht = { ...r.dht, k: 1, alpha: 1, replication: 1, warm_table_size: 2 }
          r.network.peers = 1000
          r.duration_s = 400
          r.faults[0].for_s = 200
        },
        breaks: ['hops_p99 <= 7 [during:boot-loss]'],
      },
      { label: 'the network never heals after the fault', patch: neverRecovers(720, 1000), breaks: ['mttr_s < 300 [after:boot-loss]'] },
    ],
  },
  {
    file: 'loss-bootstrap-collapse.yaml',
    // 500 peers and the file's workload: at 150 peers the 4 bootstraps are among the closest peers
    // of a large share of keys, so their loss alone failed over 1 % of the lookups in the fault's
    // first minute (a collapse, before readiness flips at 30 s), and with 2.7 lookups/s a minute
    // held ~160 lookups, two failures enough (lead -30 s at three of five seeds, on either join
    // fill). The file's network collapses only when the wide loss comes (seeds 1, 101-103).
    reduce: (r) => {
      reduceDrill(1100, { 'boot-loss': { at_s: 300, for_s: 500 }, 'wide-loss': { at_s: 480, for_s: 300 } })(r)
      r.network.peers = 500
      r.workload = { find_node_per_s: 10, provide_per_s: 1, get_providers_per_s: 5 }
    },
    breakers: [
      { label: 'readiness blind to bootstraps', patch: (r) => (r.dht = { ...r.dht, bootstrap_live_window_s: 86_400 }), breaks: ['readiness_lead_s > 0 [during:boot-loss]'] },
      { label: 'the network never heals after the fault', patch: neverRecovers(800, 1100), breaks: ['mttr_s < 300 [after:boot-loss]'] },
    ],
  },
  {
    file: 'partition-replica.yaml',
    reduce: reduceDrill(900, { 'replica-cut': { at_s: 120, for_s: 480 } }),
    breakers: [
      { label: 'access links 50x slower', patch: (r) => (r.network.access_latency_ms = { median: 100, sigma: 0.5 }), breaks: ['outside_lookup_p95_ms < 700 [during:replica-cut]'] },
      // Readiness turns only when no bootstrap answered for the live window: at 5 min, the
      // not-ready alert comes too late for the runbook's 2 minutes (src/engine/constants.ts).
      { label: 'bootstrap live window 5 min', patch: (r) => (r.dht = { ...r.dht, bootstrap_live_window_s: 300 }), breaks: ['time_to_alert_s < 120 [during:replica-cut]'] },
      {
        label: 'every alert rule waits 10 min',
        thresholds: (t) => ({ ...t, alerts: t.alerts.map((a) => ({ ...a, forS: 600 })) }),
        breaks: ['time_to_alert_s < 120 [during:replica-cut]'],
      },
    ],
  },
  {
    file: 'eclipse.yaml',
    reduce: reduceEclipse,
    breakers: [
      // The scenario's own variant: the same attack with the defences of the strict profile off.
      { label: 'defences off', patch: (r) => (r.dht = { ...r.dht, policy: 'default' }), breaks: ['honest_provider_success >= 0.99 [all]'] },
      ...priceBreakers('all', 150, 260, 100),
    ],
  },
  // The published attacks (eclipse-active, -censorship, -grinding): reduced as eclipse.yaml is
  // (eclipse-active in time only, below), the cluster as the file has it; with the defences off
  // the Sybils hold the key (0.00-0.80).
  ...['eclipse-active.yaml', 'eclipse-censorship.yaml', 'eclipse-grinding.yaml'].map(
    (file): GateCase => ({
      file,
      reduce: file === 'eclipse-active.yaml' ? reduceEclipseActive : reduceEclipse,
      breakers: [{ label: 'defences off', patch: (r) => (r.dht = { ...r.dht, policy: 'default' }), breaks: ['honest_provider_success >= 0.99 [all]'] }],
    }),
  ),
  {
    // The runbook's response to the eclipse: the switch to strict and a reprovide, in the reduced
    // timeline after the probe has started failing.
    file: 'eclipse-response.yaml',
    reduce: (r) => {
      reduceEclipse(r)
      r.duration_s = 420
      r.response = [{ ...r.response[0], at_s: 180 }]
    },
    breakers: [
      // A reload that keeps the default profile: the reprovide stores the records on the Sybils again.
      { label: 'reload without the strict profile', patch: (r) => (r.response = [{ ...r.response[0], policy: 'default' }]), breaks: ['honest_provider_success >= 0.99 [during:strict-on]'] },
      ...priceBreakers('during:strict-on', 200, 420, 240),
    ],
  },
  {
    file: 'records-days.yaml',
    reduce: reduceRecordsDays,
    breakers: [
      // Restarts come back with nothing on disk: providers never re-announce, holders lose their records.
      { label: 'amnesia', patch: (r) => (r.churn = { ...r.churn, amnesia: true }), breaks: ['provider_success_by_age_min >= 0.999 [all]'] },
    ],
  },
  {
    file: 'eclipse-victim.yaml',
    reduce: reduceEclipseVictim,
    breakers: [
      // The scenario's own variant: the same attack with the strict profile's table defences off.
      { label: 'defences off', patch: (r) => (r.dht = { ...r.dht, policy: 'default' }), breaks: ['victim_found >= 0.99 [all]'] },
    ],
  },
]

/**
 * eclipse-victim.yaml, reduced: 300 peers, 300 s, the probe only, a cluster of 40 (one /16 each,
 * as the file has it). At this size the strict profile held the victim before the table's
 * victim defences too; what fails without them is the 300-peer single-region case of
 * adversary-eclipse-victim.test.ts and the full scenario.
 */
function reduceEclipseVictim(r: RawYaml): void {
  r.seed = 3
  r.network.peers = 300
  r.network.bootstraps = 3
  r.network.join_spread_s = 60
  r.duration_s = 300
  r.warmup_s = 60
  r.workload = { find_node_per_s: 0.5, provide_per_s: 0, get_providers_per_s: 0 }
  r.adversary.eclipse = { ...r.adversary.eclipse, cluster: 40 }
  r.probe = { ...r.probe, start_s: 150, get_per_s: 2 }
}

/**
 * records-days.yaml, reduced: 60 peers for 50 virtual hours (records still pass the 22 h
 * republish and the 48 h expiry), fewer lookups, Zipf popularity so that the oldest keys (the
 * only ones past 48 h) are asked for most and every age band has lookups.
 */
export function reduceRecordsDays(r: RawYaml): void {
  r.network.peers = 60
  r.duration_s = 180_000
  r.workload = { ...r.workload, find_node_per_s: 0.01, get_providers_per_s: 0.05, zipf_s: 1 }
}

/** eclipse.yaml, reduced: 150 peers, 260 s, the probe only (the attack as the file has it). */
function reduceEclipse(r: RawYaml): void {
  r.seed = 3
  r.network.peers = 150
  r.network.bootstraps = 3
  r.network.join_spread_s = 30
  r.duration_s = 260
  r.warmup_s = 60
  r.workload = { find_node_per_s: 0.5, provide_per_s: 0, get_providers_per_s: 0 }
  r.probe = { ...r.probe, provide_at_s: 90, start_s: 110, get_per_s: 2 }
}

/**
 * eclipse-active.yaml, reduced in time only: its 60 Sybils at 3x the honest density are a
 * small share of 1,000 peers, but 40 % of a 150-peer network, a far stronger attack than the
 * file's (at 150 peers the defences held 0.94-1.00 across seeds 1-8; at 1,000 peers, 420 s,
 * 0.991-1.000, and 0.00-0.80 with them off).
 */
function reduceEclipseActive(r: RawYaml): void {
  reduceEclipse(r)
  r.network.peers = 1000
  r.network.bootstraps = 4
  r.network.join_spread_s = 120
  r.warmup_s = 120
  r.duration_s = 420
  r.probe = { ...r.probe, provide_at_s: 200, start_s: 220 }
}

/** The case's tests: the reduced scenario passes every gate it declares; each breaker fails the gates it names. */
export function caseTests(c: GateCase, it: (name: string, fn: () => void) => void, expect: (v: unknown) => { toBe: (x: unknown) => void; toEqual: (x: unknown) => void }): void {
  it(`${c.file}, reduced: every gate holds`, () => {
    const gates = runGates(c)
    expect(gates.map((g) => gateKey(g))).toEqual(declaredGateKeys(c.file))
    expect(gates.filter((g) => !g.pass).map((g) => `${gateKey(g)}: ${String(g.measured)} ${g.not_reached ?? ''}`)).toEqual([])
  })
  for (const b of c.breakers) {
    it(`${c.file}, ${b.label}: ${b.breaks.join(', ')} fail`, () => {
      const gates = byKey(runGates(c, b))
      for (const k of b.breaks) {
        const g = gates.get(k)
        expect(g === undefined ? `${k}: no such gate` : `${k}: ${g.pass ? 'PASS' : 'FAIL'}`).toBe(`${k}: FAIL`)
      }
    })
  }
}
