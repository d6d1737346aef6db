// Gate evaluation over a set of scenario reports: which gates hold, which metrics regressed
// against the committed baseline, and the single verdict `dht-sim gate` exits with.
// Theory of operation: each report's gates are re-checked from (op, threshold, measured) — a gate
// passes only when the report says so AND the numbers agree, so a writer bug cannot turn a failure
// into a pass — then checkRegressions() compares the gate metrics with the baseline. The outcome
// is plain data rendered by summary.ts (console table, summary.md) and junit.ts.
import type { GateOp, GateResult, Report } from '../sim/report-types.js'
import { checkRegressions, type Baseline, type RegressionCheck } from './baseline.js'
import { compare } from '../sim/gates.js'

export interface CheckedGate {
  readonly gate: GateResult
  /** The verdict used: report's pass flag and the re-computed comparison both hold. */
  readonly pass: boolean
  /** Set when the report's pass flag disagrees with its own numbers. */
  readonly inconsistency: string | null
}

export interface ScenarioOutcome {
  readonly name: string
  readonly report: Report
  readonly gates: readonly CheckedGate[]
  readonly gatesPass: boolean
  readonly regression: RegressionCheck
  /** Number of metrics worse than the baseline beyond tolerance (0 when not compared). */
  readonly regressions: number
}

/** A scenario whose run broke an internal invariant (a bug): no report, exit code 3. */
export interface ScenarioCrash {
  readonly name: string
  readonly path: string
  /** The InvariantError's message: carries the seed and the replay command. */
  readonly message: string
}

export interface GateOutcome {
  readonly scenarios: readonly ScenarioOutcome[]
  readonly crashes: readonly ScenarioCrash[]
  /** True when regressions were not checked because the baseline is being rewritten. */
  readonly baselineUpdated: boolean
  /** True when there was no baseline file at all. */
  readonly baselineMissing: boolean
  readonly gatesTotal: number
  readonly gatesFailed: number
  readonly regressionsTotal: number
  readonly pass: boolean
}

/**
 * Does `measured op threshold` hold? An unmeasured metric holds only when the scenario said so
 * and the system did not miss what the gate times (same rule as the simulator's).
 */
export function holds(op: GateOp, measured: number | null, threshold: number, ifNotReached: 'pass' | 'fail' = 'fail', missed = false): boolean {
  if (measured === null || Number.isNaN(measured)) return ifNotReached === 'pass' && !missed
  return compare(measured, op, threshold)
}

export function checkGate(gate: GateResult): CheckedGate {
  const computed = holds(gate.op, gate.measured, gate.threshold, gate.if_not_reached, gate.missed === true)
  const inconsistency =
    computed === gate.pass ? null : `report says ${gate.pass ? 'PASS' : 'FAIL'} but ${String(gate.measured)} ${gate.op} ${gate.threshold} is ${computed}`
  return { gate, pass: computed && gate.pass, inconsistency }
}

export interface EvaluateOptions {
  /** Skip the regression check (the baseline is about to be rewritten from these reports). */
  readonly updateBaseline?: boolean
  /** Scenarios that crashed instead of producing a report. */
  readonly crashes?: readonly ScenarioCrash[]
}

export function evaluateScenario(report: Report, baseline: Baseline | null, opts: EvaluateOptions = {}): ScenarioOutcome {
  const gates = report.gates.map(checkGate)
  const regression: RegressionCheck = opts.updateBaseline
    ? { scenario: report.scenario.name, hasBaseline: false, results: [], warnings: [] }
    : checkRegressions(report, baseline)
  const regressions = regression.results.filter((r) => r.status === 'regressed').length
  // A report with no gates at all is a scenario that checks nothing: not a pass.
  const gatesPass = gates.length > 0 && gates.every((g) => g.pass)
  return { name: report.scenario.name, report, gates, gatesPass, regression, regressions }
}

export function evaluateGate(reports: readonly Report[], baseline: Baseline | null, opts: EvaluateOptions = {}): GateOutcome {
  const scenarios = reports.map((r) => evaluateScenario(r, baseline, opts))
  const gatesTotal = scenarios.reduce((n, s) => n + s.gates.length, 0)
  const gatesFailed = scenarios.reduce((n, s) => n + s.gates.filter((g) => !g.pass).length, 0)
  const regressionsTotal = scenarios.reduce((n, s) => n + s.regressions, 0)
  const crashes = opts.crashes ?? []
  const pass = scenarios.length > 0 && crashes.length === 0 && scenarios.every((s) => s.gatesPass) && regressionsTotal === 0
  return {
    scenarios,
    crashes,
    baselineUpdated: opts.updateBaseline === true,
    baselineMissing: baseline === null,
    gatesTotal,
    gatesFailed,
    regressionsTotal,
    pass,
  }
}
