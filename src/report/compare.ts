// `dht-sim compare a/report.json b/report.json`: what changed from run A to run B. For every
// metric in either report: both values, the absolute and relative delta, and whether B is better
// or worse (direction from the tolerance table: the same notion of "worse" as the perf gate, and
// "beyond tolerance" when the gate would call it a regression). Then every gate whose status
// differs. Pure: takes two parsed reports, returns data and text.
import type { GateOp, Report } from '../sim/report-types.js'
import { formatDelta, formatGate, formatNumber, formatPercent, gateKey, textTable } from './format.js'
import { checkGate } from './gate.js'
import { allowedWorsening, resolveTolerance, worsening } from './tolerances.js'

export type Verdict = 'same' | 'better' | 'worse' | 'worse beyond tolerance' | 'changed' | 'n/a'

export interface MetricDelta {
  readonly metric: string
  readonly a: number | null
  readonly b: number | null
  readonly delta: number | null
  /** delta / |a|; null when a is 0 or either value is missing. */
  readonly relative: number | null
  readonly verdict: Verdict
}

export interface GateChange {
  readonly gate: string
  readonly window: string
  readonly a: 'PASS' | 'FAIL' | 'absent'
  readonly b: 'PASS' | 'FAIL' | 'absent'
  readonly measuredA: number | null
  readonly measuredB: number | null
}

export interface Comparison {
  readonly a: { readonly scenario: string; readonly seed: string; readonly pass: boolean }
  readonly b: { readonly scenario: string; readonly seed: string; readonly pass: boolean }
  readonly metrics: readonly MetricDelta[]
  /** Only gates whose status differs between A and B. */
  readonly gateChanges: readonly GateChange[]
  readonly notes: readonly string[]
}

function verdictOf(metric: string, op: GateOp | undefined, a: number | null, b: number | null): Verdict {
  if (a === null || b === null) return a === b ? 'same' : 'n/a'
  if (a === b) return 'same'
  const tol = resolveTolerance(metric, op, undefined)
  if (tol.worse === 'either') return 'changed'
  const w = worsening(tol.worse, a, b)
  if (w <= 0) return 'better'
  return w > allowedWorsening(tol, a) + 1e-9 ? 'worse beyond tolerance' : 'worse'
}

export function compareReports(a: Report, b: Report): Comparison {
  const opOf = new Map<string, GateOp>()
  for (const g of [...a.gates, ...b.gates]) if (!opOf.has(g.metric)) opOf.set(g.metric, g.op)
  const names = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort()
  const metrics: MetricDelta[] = names.map((metric) => {
    const va = a.metrics[metric] ?? null
    const vb = b.metrics[metric] ?? null
    const delta = va === null || vb === null ? null : vb - va
    const relative = delta === null || va === null || va === 0 ? null : delta / Math.abs(va)
    return { metric, a: va, b: vb, delta, relative, verdict: verdictOf(metric, opOf.get(metric), va, vb) }
  })

  const gatesA = new Map(a.gates.map((g) => [gateKey(g), checkGate(g)]))
  const gatesB = new Map(b.gates.map((g) => [gateKey(g), checkGate(g)]))
  const keys = [...new Set([...gatesA.keys(), ...gatesB.keys()])].sort()
  const gateChanges: GateChange[] = []
  for (const k of keys) {
    const ga = gatesA.get(k)
    const gb = gatesB.get(k)
    const sa = ga === undefined ? 'absent' : ga.pass ? 'PASS' : 'FAIL'
    const sb = gb === undefined ? 'absent' : gb.pass ? 'PASS' : 'FAIL'
    if (sa === sb) continue
    const g = (ga ?? gb)!.gate
    gateChanges.push({ gate: formatGate(g), window: g.window, a: sa, b: sb, measuredA: ga?.gate.measured ?? null, measuredB: gb?.gate.measured ?? null })
  }

  const notes: string[] = []
  if (a.scenario.name !== b.scenario.name) notes.push(`different scenarios: ${a.scenario.name} vs ${b.scenario.name}`)
  if (a.seed !== b.seed) notes.push(`different seeds: ${a.seed} vs ${b.seed} (deltas include seed noise)`)
  return {
    a: { scenario: a.scenario.name, seed: a.seed, pass: a.pass },
    b: { scenario: b.scenario.name, seed: b.seed, pass: b.pass },
    metrics,
    gateChanges,
    notes,
  }
}

export function renderComparison(c: Comparison, labelA = 'A', labelB = 'B'): string {
  let text = `${labelA}: ${c.a.scenario} seed ${c.a.seed} ${c.a.pass ? 'PASS' : 'FAIL'}\n`
  text += `${labelB}: ${c.b.scenario} seed ${c.b.seed} ${c.b.pass ? 'PASS' : 'FAIL'}\n\n`
  text += textTable(
    ['metric', 'A', 'B', 'delta', 'relative', 'verdict'],
    c.metrics.map((m) => [m.metric, formatNumber(m.a), formatNumber(m.b), formatDelta(m.delta), formatPercent(m.relative), m.verdict]),
  )
  text += '\n'
  if (c.gateChanges.length === 0) {
    text += 'gate status: unchanged\n'
  } else {
    text += textTable(
      ['gate', 'window', 'A', 'B', 'measured A', 'measured B'],
      c.gateChanges.map((g) => [g.gate, g.window, g.a, g.b, formatNumber(g.measuredA), formatNumber(g.measuredB)]),
    )
  }
  for (const n of c.notes) text += `note: ${n}\n`
  return text
}
