// The committed perf baseline (reports/baseline.json): the gate metrics of each gate scenario at
// its fixed seed, and the tolerances that say how far a run may drift before `dht-sim gate` calls
// it a regression. Theory of operation:
//   - trackedMetrics(report) picks the measured value of every gate, keyed by metric name, or
//     "metric@window" for gates over a fault window (two gates on one metric+window share a key),
//     plus the guarded quality metrics (GUARDED_METRICS) over the whole run when the report has
//     them: a change that keeps every gate but makes lookups costlier or less accurate is still
//     a regression;
//   - checkRegressions(report, baseline) compares those values with the scenario's entry, using
//     resolveTolerance() for the direction of "worse" and the allowed drift;
//   - withUpdatedEntries(baseline, reports) is what `--update-baseline` writes: entries of the
//     scenarios just run are replaced, others kept, tolerances kept (defaults written when absent).
// A missing file is an empty baseline (nothing to compare: reported, not failed); a malformed file
// is bad input.
import { existsSync, readFileSync } from 'node:fs'
import { z } from 'zod'
import { BadInputError } from '../common/errors.js'
import type { GateOp, Report } from '../sim/report-types.js'
import { canonicalJson, fingerprint } from './canonical-json.js'
import { formatNumber } from './format.js'
import {
  allowedWorsening,
  DEFAULT_TOLERANCES,
  describeTolerance,
  neverFails,
  resolveTolerance,
  worsening,
  type Tolerance,
} from './tolerances.js'
import { firstIssueLine } from './zod-line.js'

export const BASELINE_SCHEMA_VERSION = 1
/** Largest baseline file read (a limit on everything): far above any real baseline. */
const MAX_BASELINE_BYTES = 4 * 1024 * 1024

const toleranceSchema = z
  .object({
    worse: z.enum(['higher', 'lower', 'either']),
    absolute: z.number().finite().nonnegative().optional(),
    relative: z.number().finite().nonnegative().optional(),
  })
  .strict()

const entrySchema = z
  .object({
    seed: z.string(),
    scenario_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    metrics: z.record(z.string(), z.number().finite().nullable()),
  })
  .strict()

const baselineSchema = z
  .object({
    schema_version: z.literal(BASELINE_SCHEMA_VERSION),
    comment: z.string().optional(),
    tolerances: z.record(z.string(), toleranceSchema).optional(),
    scenarios: z.record(z.string(), entrySchema),
  })
  .strict()

export type BaselineEntry = z.infer<typeof entrySchema>
export type Baseline = z.infer<typeof baselineSchema>

export const BASELINE_COMMENT =
  'Gate metrics of each gate scenario at its fixed seed. `dht-sim gate` fails when a metric is worse than this ' +
  'by more than its tolerance. Edit tolerances by hand; rewrite the values deliberately with `dht-sim gate --update-baseline`.'

export function emptyBaseline(): Baseline {
  return { schema_version: BASELINE_SCHEMA_VERSION, comment: BASELINE_COMMENT, tolerances: { ...DEFAULT_TOLERANCES }, scenarios: {} }
}

/** Parses baseline text; throws BadInputError with one line naming the field on any problem. */
export function parseBaseline(text: string, source: string): Baseline {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new BadInputError(`${source}: not valid JSON (${(err as Error).message})`)
  }
  const parsed = baselineSchema.safeParse(raw)
  if (!parsed.success) throw new BadInputError(firstIssueLine(source, parsed.error))
  for (const [key, tol] of Object.entries(parsed.data.tolerances ?? {})) {
    const why = neverFails(tol)
    if (why !== null) throw new BadInputError(`${source}: tolerances.${key}: ${why}`)
  }
  return parsed.data
}

/** Reads the baseline; null when the file does not exist. */
export function loadBaseline(path: string): Baseline | null {
  if (!existsSync(path)) return null
  let text: string
  try {
    const buf = readFileSync(path)
    if (buf.length > MAX_BASELINE_BYTES) throw new BadInputError(`${path}: larger than ${MAX_BASELINE_BYTES} bytes`)
    text = buf.toString('utf8')
  } catch (err) {
    if (err instanceof BadInputError) throw err
    throw new BadInputError(`${path}: cannot read (${(err as Error).message})`)
  }
  return parseBaseline(text, path)
}

/** The bytes written to reports/baseline.json: canonical (sorted keys), two-space indent, newline. */
export function serializeBaseline(baseline: Baseline): string {
  return canonicalJson(baseline, 2) + '\n'
}

/** "lookup_p95_ms" for the whole run, "lookup_p95_ms@during:loss" for a fault window. */
export function baselineKey(metric: string, window: string): string {
  return window === 'all' ? metric : `${metric}@${window}`
}

/**
 * Whole-run metrics the baseline keeps for every scenario that reports them, gated or not: the
 * quality of a lookup (does it find the true closest live peer, do provider lookups find a
 * provider) and its cost (messages per lookup). Tolerances in tolerances.ts.
 */
export const GUARDED_METRICS = ['lookup_accuracy', 'provider_success', 'messages_per_lookup'] as const

export interface TrackedMetric {
  readonly key: string
  /** The gate's operator; undefined for a guarded metric no gate names. */
  readonly op: GateOp | undefined
  readonly measured: number | null
  /** True when a gate names it; false for a guarded metric the baseline keeps on its own. */
  readonly gated: boolean
}

/** Every distinct (metric, window) that a gate of the report measures, in gate order, then the guarded metrics the report has. */
export function trackedMetrics(report: Report): TrackedMetric[] {
  const seen = new Set<string>()
  const out: TrackedMetric[] = []
  for (const g of report.gates) {
    const key = baselineKey(g.metric, g.window)
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ key, op: g.op, measured: g.measured, gated: true })
  }
  for (const m of GUARDED_METRICS) {
    const v = report.metrics[m]
    if (seen.has(m) || v === undefined) continue
    seen.add(m)
    out.push({ key: m, op: undefined, measured: v, gated: false })
  }
  return out
}

export function entryForReport(report: Report): BaselineEntry {
  const metrics: Record<string, number | null> = {}
  for (const t of trackedMetrics(report)) metrics[t.key] = t.measured
  return { seed: report.seed, scenario_sha256: fingerprint(report.scenario.resolved), metrics }
}

/** The baseline `--update-baseline` writes after running `reports`. */
export function withUpdatedEntries(previous: Baseline | null, reports: readonly Report[]): Baseline {
  const base = previous ?? emptyBaseline()
  const scenarios: Record<string, BaselineEntry> = { ...base.scenarios }
  for (const r of reports) scenarios[r.scenario.name] = entryForReport(r)
  return {
    schema_version: BASELINE_SCHEMA_VERSION,
    comment: base.comment ?? BASELINE_COMMENT,
    tolerances: base.tolerances ?? { ...DEFAULT_TOLERANCES },
    scenarios,
  }
}

export type RegressionStatus = 'ok' | 'regressed' | 'new'

export interface RegressionResult {
  readonly scenario: string
  /** False for a guarded metric that no gate of the scenario names. */
  readonly gated: boolean
  /** Baseline key: metric or metric@window. */
  readonly key: string
  readonly baseline: number | null
  readonly measured: number | null
  readonly tolerance: Tolerance
  /** ok: within tolerance (or better); regressed: worse beyond tolerance; new: no baseline value. */
  readonly status: RegressionStatus
  /** One line for people: what was compared and why it failed. */
  readonly message: string
}

export interface RegressionCheck {
  readonly scenario: string
  /** False when the baseline has no entry for the scenario (nothing compared). */
  readonly hasBaseline: boolean
  readonly results: readonly RegressionResult[]
  /** Reasons the comparison may not be like-for-like (different seed, scenario changed). */
  readonly warnings: readonly string[]
}

// Floating-point slack so that "exactly at the tolerance" is not a regression.
const EPSILON = 1e-9

export function checkRegressions(report: Report, baseline: Baseline | null): RegressionCheck {
  const scenario = report.scenario.name
  const entry = baseline?.scenarios[scenario]
  if (entry === undefined) return { scenario, hasBaseline: false, results: [], warnings: [] }
  const warnings: string[] = []
  if (entry.seed !== report.seed) {
    warnings.push(`baseline was measured with seed ${entry.seed}, this run used seed ${report.seed}`)
  }
  if (entry.scenario_sha256 !== undefined && entry.scenario_sha256 !== fingerprint(report.scenario.resolved)) {
    warnings.push('the resolved scenario changed since the baseline was written (rerun with --update-baseline if deliberate)')
  }
  const results: RegressionResult[] = []
  for (const t of trackedMetrics(report)) {
    const tolerance = resolveTolerance(t.key, t.op, baseline?.tolerances)
    const base = entry.metrics[t.key] ?? null
    results.push({ ...compareOne(scenario, t.key, base, t.measured, tolerance), gated: t.gated })
  }
  return { scenario, hasBaseline: true, results, warnings }
}

function compareOne(scenario: string, key: string, base: number | null, measured: number | null, tolerance: Tolerance): Omit<RegressionResult, 'gated'> {
  const common = { scenario, key, baseline: base, measured, tolerance }
  const tol = describeTolerance(tolerance)
  if (base === null) {
    return { ...common, status: 'new', message: `${key}: no baseline value; measured ${formatNumber(measured)}` }
  }
  if (measured === null) {
    return { ...common, status: 'regressed', message: `${key}: baseline ${formatNumber(base)}, now not measured` }
  }
  const worse = worsening(tolerance.worse, base, measured)
  const allowed = allowedWorsening(tolerance, base)
  const regressed = worse > allowed + EPSILON
  const message = `${key}: measured ${formatNumber(measured)}, baseline ${formatNumber(base)}, tolerance ${tol}`
  return { ...common, status: regressed ? 'regressed' : 'ok', message: regressed ? `${message}: regressed` : message }
}
