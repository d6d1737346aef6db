// reports/gate/junit.xml: one <testsuite> per scenario, one <testcase> per gate and one per
// baseline metric ("regression: <key>"). A failed gate or a regression is a <failure> whose
// message carries measured vs threshold (or vs baseline and tolerance); an unchecked regression
// (no baseline, or the baseline being rewritten) is <skipped>. Each <testsuite> carries the wall
// time its scenario took to simulate (CI shows where the gate's minutes go), so unlike the reports
// junit.xml is not byte-identical from run to run; without times (tests) it is. A <testcase> is a
// check made after the run and has time="0".
import { escapeXml } from './escape.js'
import { formatGate, gateFailureMessage } from './format.js'
import type { GateOutcome, ScenarioOutcome } from './gate.js'

interface Case {
  readonly name: string
  readonly failure?: { readonly type: string; readonly message: string; readonly detail: string }
  /** An <error>: the run itself broke (an internal invariant), not a gate. */
  readonly error?: { readonly message: string }
  readonly skipped?: string
}

function casesOf(s: ScenarioOutcome, outcome: GateOutcome): Case[] {
  const cases: Case[] = []
  if (s.gates.length === 0) {
    cases.push({ name: 'gates', failure: { type: 'gate', message: 'the scenario declares no gates', detail: '' } })
  }
  for (const g of s.gates) {
    const name = `${formatGate(g.gate)} [${g.gate.window}]`
    if (g.pass) {
      cases.push({ name })
    } else {
      const message = gateFailureMessage(g.gate)
      const detail = [message, g.inconsistency ?? '', `seed ${s.report.seed}`, `replay: ${s.report.replay}`].filter((x) => x !== '').join('\n')
      cases.push({ name, failure: { type: 'gate', message, detail } })
    }
  }
  if (outcome.baselineUpdated) {
    cases.push({ name: 'regression', skipped: 'baseline rewritten by --update-baseline' })
  } else if (!s.regression.hasBaseline) {
    cases.push({ name: 'regression', skipped: 'no baseline entry for this scenario' })
  } else {
    for (const r of s.regression.results) {
      const name = `regression: ${r.key}`
      if (r.status === 'regressed') {
        const detail = [r.message, ...s.regression.warnings].join('\n')
        cases.push({ name, failure: { type: 'regression', message: r.message, detail } })
      } else if (r.status === 'new') {
        cases.push({ name, skipped: r.message })
      } else {
        cases.push({ name })
      }
    }
  }
  return cases
}

function renderCase(c: Case, classname: string): string {
  const open = `    <testcase classname="${escapeXml(classname)}" name="${escapeXml(c.name)}" time="0"`
  if (c.failure !== undefined) {
    return `${open}>\n      <failure type="${escapeXml(c.failure.type)}" message="${escapeXml(c.failure.message)}">${escapeXml(c.failure.detail)}</failure>\n    </testcase>`
  }
  if (c.error !== undefined) {
    return `${open}>\n      <error type="invariant" message="${escapeXml(c.error.message)}">${escapeXml(c.error.message)}</error>\n    </testcase>`
  }
  if (c.skipped !== undefined) return `${open}>\n      <skipped message="${escapeXml(c.skipped)}"/>\n    </testcase>`
  return `${open}/>`
}

/** Seconds with millisecond precision, as JUnit readers expect. */
function seconds(s: number | undefined): string {
  return s === undefined || !Number.isFinite(s) || s < 0 ? '0' : s.toFixed(3)
}

/** junit.xml; `wallS` gives each scenario's wall time in seconds (by scenario name). */
export function renderJunit(outcome: GateOutcome, wallS: Readonly<Record<string, number>> = {}): string {
  const suites: string[] = []
  let tests = 0
  let failures = 0
  let errors = 0
  let skipped = 0
  let total = 0
  const suite = (name: string, cases: readonly Case[], properties: string): void => {
    const time = wallS[name]
    if (time !== undefined && Number.isFinite(time) && time > 0) total += time
    const f = cases.filter((c) => c.failure !== undefined).length
    const e = cases.filter((c) => c.error !== undefined).length
    const k = cases.filter((c) => c.skipped !== undefined).length
    tests += cases.length
    failures += f
    errors += e
    skipped += k
    const classname = `dht-sim.gate.${name}`
    suites.push(
      `  <testsuite name="${escapeXml(name)}" tests="${cases.length}" failures="${f}" errors="${e}" skipped="${k}" time="${seconds(time)}">\n` +
        properties +
        cases.map((c) => renderCase(c, classname)).join('\n') +
        '\n  </testsuite>',
    )
  }
  const props = (seed: string, replay: string): string =>
    `    <properties>\n      <property name="seed" value="${escapeXml(seed)}"/>\n      <property name="replay" value="${escapeXml(replay)}"/>\n    </properties>\n`
  for (const s of outcome.scenarios) suite(s.name, casesOf(s, outcome), props(s.report.seed, s.report.replay))
  for (const c of outcome.crashes) suite(c.name, [{ name: 'run', error: { message: c.message } }], '')
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="dht-sim gate" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(total)}">\n` +
    suites.join('\n') +
    (suites.length > 0 ? '\n' : '') +
    '</testsuites>\n'
  )
}
