// A random fault schedule for one explored seed, drawn within bounds from its own seeded stream.
// The schedule uses the scenario's own fault kinds (loss, latency, partition, cpu, load, crash,
// churn-spike) plus, optionally, a Sybil population (adversary.fraction, which lasts the whole run).
// Every drawn fault starts after the workload has begun and heals early enough that the liveness
// check (lookups succeed again within a bound of the last heal) fits inside the run.
import type { Rng } from '../../engine/rng.js'
import type { AdversarySpec, FaultSpec } from '../faults/chaos-schema.js'
import type { ResolvedScenario } from '../scenario.js'
import { FAULT_KINDS } from '../../netmodel/faults.js'

export interface ExploreBounds {
  /** Drawn faults per seed: 1..maxFaults. */
  readonly maxFaults: number
  /** Shortest and longest fault, seconds. */
  readonly minForS: number
  readonly maxForS: number
  /** Probability that a seed also gets a Sybil population. */
  readonly sybilChance: number
  readonly maxSybilFraction: number
  /** Liveness: lookups started in [heal + boundS, heal + boundS + windowS) must succeed at >= minSuccess. */
  readonly livenessBoundS: number
  readonly livenessWindowS: number
  readonly livenessMinSuccess: number
}

export const DEFAULT_BOUNDS: ExploreBounds = {
  maxFaults: 4,
  minForS: 30,
  maxForS: 600,
  sybilChance: 0.25,
  maxSybilFraction: 0.2,
  livenessBoundS: 300,
  livenessWindowS: 120,
  livenessMinSuccess: 0.99,
}

/** One seed's schedule: the faults (the scenario's own first, then the drawn ones) and the Sybils. */
export interface Schedule {
  readonly faults: readonly FaultSpec[]
  /** The adversary section to run with (the scenario's own when no Sybils were drawn). */
  readonly sybils: Pick<AdversarySpec, 'fraction' | 'behaviours'> | undefined
}

/** Load bursts: at most this long, and their rate scaled down below this many peers. */
const LOAD_MAX_FOR_S = 120
const LOAD_FULL_PEERS = 1000


function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + rng.next() * (hi - lo)
}

/** Rounded to the millisecond or the hundredth: a schedule prints and replays exactly. */
function r2(x: number): number {
  return Math.round(x * 100) / 100
}

function peerTarget(rng: Rng, s: ResolvedScenario, lo: number, hi: number, allowBootstrap: boolean): string {
  const roll = rng.next()
  if (allowBootstrap && roll < 0.2) return 'bootstrap'
  const regions = s.network.regions.filter((r) => r.weight > 0)
  if (roll < 0.35 && regions.length > 1) return `region:${regions[rng.int(regions.length)]!.name}`
  return `fraction:${r2(uniform(rng, lo, hi)).toFixed(2)}`
}

/** The window [from, to) in which drawn faults live, or undefined when the run is too short for one. */
export function drawWindow(s: ResolvedScenario, b: ExploreBounds): { fromS: number; toS: number } | undefined {
  const fromS = Math.max(s.warmup_s, s.workload.start_s) + 60
  const toS = s.duration_s - b.livenessBoundS - b.livenessWindowS
  return toS - fromS >= b.minForS ? { fromS, toS } : undefined
}

export function drawSchedule(rng: Rng, s: ResolvedScenario, b: ExploreBounds = DEFAULT_BOUNDS, peers = s.network.peers): Schedule {
  const own = s.faults ?? []
  const win = drawWindow(s, b)
  const faults: FaultSpec[] = [...own]
  if (win !== undefined) {
    const count = 1 + rng.int(b.maxFaults)
    for (let i = 0; i < count; i++) faults.push(drawFault(rng.fork(`fault/${i}`), s, b, win, `x${i + 1}`, peers))
  }
  let sybils: Schedule['sybils']
  if ((s.adversary?.fraction ?? 0) === 0 && rng.next() < b.sybilChance) {
    const r = rng.fork('sybils')
    sybils = {
      fraction: r2(uniform(r, 0.02, b.maxSybilFraction)),
      behaviours: {
        drop: r2(uniform(r, 0, 0.5)),
        misroute: r.next() < 0.7,
        providers: (['none', 'fake', 'honest'] as const)[r.int(3)]!,
        store: r.next() < 0.5,
        slow_ms: r.next() < 0.3 ? Math.round(uniform(r, 0, 500)) : 0,
      },
    }
  }
  return { faults, sybils }
}

function drawFault(rng: Rng, s: ResolvedScenario, b: ExploreBounds, win: { fromS: number; toS: number }, id: string, peers: number): FaultSpec {
  const kind = FAULT_KINDS[rng.int(FAULT_KINDS.length)]!
  // A load burst is short (as in the latency drill): a long one only makes the run slow.
  const longest = kind === 'load' ? Math.max(b.minForS, LOAD_MAX_FOR_S) : b.maxForS
  const forS = Math.round(uniform(rng, b.minForS, Math.min(longest, win.toS - win.fromS)))
  const at_s = Math.round(uniform(rng, win.fromS, win.toS - forS))
  const common = { id, at_s, for_s: forS }
  const direction = (['both', 'inbound', 'outbound'] as const)[rng.int(3)]!
  switch (kind) {
    case 'loss': {
      const targets = rng.next() < 0.2 ? 'inter-region' : peerTarget(rng, s, 0.05, 0.5, true)
      return { ...common, kind, targets, percent: Math.round(uniform(rng, 10, 100)), direction }
    }
    case 'latency': {
      const targets = rng.next() < 0.4 ? 'inter-region' : peerTarget(rng, s, 0.05, 0.5, true)
      return { ...common, kind, targets, add_ms: Math.round(uniform(rng, 20, 1000)), jitter_ms: Math.round(uniform(rng, 0, 100)), direction }
    }
    case 'partition':
      return { ...common, kind, targets: peerTarget(rng, s, 0.02, 0.3, true), direction }
    case 'cpu':
      return { ...common, kind, targets: `fraction:${r2(uniform(rng, 0.01, 0.1)).toFixed(2)}`, service_ms: Math.round(uniform(rng, 5, 500)), queue_max: 1 + rng.int(32) }
    case 'load':
      return { ...common, kind, targets: `fraction:${r2(uniform(rng, 0.01, 0.05)).toFixed(2)}`, lookups_per_s: Math.max(1, Math.round(uniform(rng, 10, 400) * Math.min(1, peers / LOAD_FULL_PEERS))) }
    case 'crash':
      return { ...common, kind, targets: peerTarget(rng, s, 0.01, 0.3, true) }
    case 'churn-spike':
      return { ...common, kind, targets: rng.next() < 0.3 ? 'all' : peerTarget(rng, s, 0.05, 0.5, false), turnover_per_hour: r2(uniform(rng, 0.5, 10)), downtime_mean_s: Math.round(uniform(rng, 10, 300)) }
  }
}

/** The heal time: when the last fault ends (0 when there is none). */
export function lastHealS(faults: readonly FaultSpec[]): number {
  let t = 0
  for (const f of faults) t = Math.max(t, f.at_s + f.for_s)
  return t
}
