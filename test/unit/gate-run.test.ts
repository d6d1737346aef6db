// `dht-sim gate` end to end on a fake simulator that returns fixture reports: scenario selection
// (gate: true, explicit list, bad input before anything is written), the files written, the
// baseline round trip (--update-baseline, then a regression), and the exit codes.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import YAML from 'yaml'
import { BadInputError } from '../../src/common/errors.js'
import { InvariantError } from '../../src/engine/errors.js'
import { gateCommand, type GateFlags } from '../../src/cli/commands/gate.js'
import { runGate, selectScenarios, type GateSim } from '../../src/report/gate-run.js'
import type { ResolvedScenario } from '../../src/sim/scenario.js'
import type { Report } from '../../src/sim/report-types.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const load = (name: string): Report => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Report

interface FakeScenario {
  readonly name: string
  readonly gate: boolean
  readonly fixture: string
  readonly p95?: number
  readonly crash?: boolean
}

/** Scenario files are tiny YAML naming a fixture report; `p95` overrides the measured p95. */
function fakeSim(runs: string[]): GateSim<FakeScenario> {
  return {
    load(path) {
      let doc: unknown
      try {
        doc = YAML.parse(readFileSync(path, 'utf8'))
      } catch (err) {
        throw new BadInputError(`${path}: ${(err as Error).message}`)
      }
      const d = doc as Partial<FakeScenario> | null
      if (d === null || typeof d.name !== 'string' || typeof d.fixture !== 'string') throw new BadInputError(`${path}: name: required`)
      return { name: d.name, gate: d.gate === true, fixture: d.fixture, crash: d.crash === true, ...(d.p95 !== undefined ? { p95: d.p95 } : {}) }
    },
    run(s) {
      runs.push(s.name)
      if (s.crash === true) throw new InvariantError(`bucket overflow (seed 3; replay: dht-sim run ${s.name}.yaml --seed 3)`)
      const r = load(s.fixture)
      const gates = r.gates.map((g) => (g.metric === 'lookup_p95_ms' && s.p95 !== undefined ? { ...g, measured: s.p95, pass: s.p95 < g.threshold } : g))
      return { ...r, scenario: { ...r.scenario, name: s.name }, gates, pass: gates.every((g) => g.pass) }
    },
    files: (r) => [
      { name: 'report.json', contents: JSON.stringify(r) },
      { name: 'report.md', contents: `# ${r.scenario.name}\n` },
    ],
  }
}

describe('dht-sim gate', () => {
  let dir: string
  let scen: string
  let out: string
  let baseline: string
  const runs: string[] = []

  const scenario = (file: string, body: Record<string, unknown>): string => {
    const p = join(scen, file)
    writeFileSync(p, YAML.stringify(body))
    return p
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dht-sim-gate-'))
    scen = join(dir, 'scenarios')
    out = join(dir, 'reports', 'gate')
    baseline = join(dir, 'reports', 'baseline.json')
    mkdirSync(scen)
    runs.length = 0
    scenario('b-nominal.yaml', { name: 'nominal', gate: true, fixture: 'baseline-pass.json' })
    scenario('a-eclipse.yml', { name: 'eclipse', gate: true, fixture: 'eclipse-variants.json' })
    scenario('c-manual.yaml', { name: 'manual', gate: false, fixture: 'drill-loss-fail.json' })
    writeFileSync(join(scen, 'README.md'), 'not a scenario')
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const opts = (extra: Partial<Parameters<typeof runGate>[1]> = {}): Parameters<typeof runGate>[1] => ({
    scenarios: [],
    scenariosDir: scen,
    outDir: out,
    baselinePath: baseline,
    updateBaseline: false,
    ...extra,
  })

  it('runs every scenario marked gate: true, in file-name order', () => {
    const r = runGate(fakeSim(runs), opts())
    expect(runs).toEqual(['eclipse', 'nominal'])
    expect(r.outcome.pass).toBe(true)
    expect(r.outcome.baselineMissing).toBe(true)
    expect(readdirSync(out).sort()).toEqual(['eclipse', 'junit.xml', 'nominal', 'summary.md'])
    expect(readdirSync(join(out, 'nominal')).sort()).toEqual(['report.html', 'report.json', 'report.md'])
    expect(readFileSync(join(out, 'nominal', 'report.html'), 'utf8')).toContain('<span class="verdict pass">PASS</span>')
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('no baseline file')
  })

  it('runs named scenarios even when not marked for the gate', () => {
    const r = runGate(fakeSim(runs), opts({ scenarios: [join(scen, 'c-manual.yaml')] }))
    expect(runs).toEqual(['manual'])
    expect(r.outcome.pass).toBe(false)
  })

  it('bad input stops everything before any run or write', () => {
    scenario('d-broken.yaml', { gate: true })
    expect(() => runGate(fakeSim(runs), opts())).toThrow(/d-broken.yaml: name: required/)
    scenario('d-broken.yaml', { name: 'nominal', gate: true, fixture: 'baseline-pass.json' })
    expect(() => runGate(fakeSim(runs), opts())).toThrow(/name: "nominal" is also the name of/)
    expect(runs).toEqual([])
    expect(existsSync(out)).toBe(false)
  })

  it('no gate scenario at all is bad input', () => {
    rmSync(scen, { recursive: true })
    mkdirSync(scen)
    expect(() => selectScenarios(fakeSim(runs), { scenarios: [], scenariosDir: scen })).toThrow(/no scenario has `gate: true`/)
    expect(() => selectScenarios(fakeSim(runs), { scenarios: [], scenariosDir: join(dir, 'nope') })).toThrow(BadInputError)
  })

  it('a malformed baseline is bad input before anything runs', () => {
    mkdirSync(join(dir, 'reports'), { recursive: true })
    writeFileSync(baseline, '{"schema_version": 1}')
    expect(() => runGate(fakeSim(runs), opts())).toThrow(/baseline.json: scenarios: /)
    expect(runs).toEqual([])
  })

  it('--update-baseline writes the baseline; a later slower run fails as a regression', () => {
    const first = runGate(fakeSim(runs), opts({ updateBaseline: true }))
    expect(first.baselineWritten).toBe(baseline)
    const written = JSON.parse(readFileSync(baseline, 'utf8')) as { scenarios: Record<string, { metrics: Record<string, number> }> }
    expect(Object.keys(written.scenarios)).toEqual(['eclipse', 'nominal'])
    expect(written.scenarios.nominal?.metrics.lookup_p95_ms).toBe(312.4)

    expect(runGate(fakeSim(runs), opts()).outcome.pass).toBe(true)

    // 20 % slower: every gate still holds (< 500 ms) but the tolerance is +10 %.
    scenario('b-nominal.yaml', { name: 'nominal', gate: true, fixture: 'baseline-pass.json', p95: 375 })
    const later = runGate(fakeSim(runs), opts())
    expect(later.outcome.scenarios.every((s) => s.gatesPass)).toBe(true)
    expect(later.outcome.regressionsTotal).toBe(1)
    expect(later.outcome.pass).toBe(false)
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('message="lookup_p95_ms: measured 375, baseline 312.4, tolerance +10 %: regressed"')
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('**REGRESSED**')
  })

  it('a crashed scenario is recorded, the others still run, and the baseline is not rewritten', () => {
    scenario('a-eclipse.yml', { name: 'eclipse', gate: true, fixture: 'eclipse-variants.json', crash: true })
    const r = runGate(fakeSim(runs), opts({ updateBaseline: true }))
    expect(runs).toEqual(['eclipse', 'nominal'])
    expect(r.outcome.crashes.map((c) => c.name)).toEqual(['eclipse'])
    expect(r.outcome.pass).toBe(false)
    expect(r.baselineWritten).toBeNull()
    expect(existsSync(baseline)).toBe(false)
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8')
    // The time is the scenarios' wall time: real, so only its form is checked.
    expect(junit).toMatch(/<testsuites name="dht-sim gate" tests="6" failures="0" errors="1" skipped="1" time="\d+(\.\d{3})?">/)
    expect(junit).toContain('<error type="invariant" message="bucket overflow (seed 3; replay: dht-sim run eclipse.yaml --seed 3)">')
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('| eclipse | (run crashed) |  |  | **CRASH** |')
  })

  describe('exit codes', () => {
    const flags = (extra: Partial<GateFlags> = {}): GateFlags => ({ out, baseline, scenariosDir: scen, quiet: true, ...extra })
    const sim = (): GateSim<ResolvedScenario> => fakeSim(runs) as unknown as GateSim<ResolvedScenario>

    it('0 when every gate holds, 1 when one fails, 1 on a regression', async () => {
      expect(await gateCommand([], flags(), sim())).toBe(0)
      expect(await gateCommand([join(scen, 'c-manual.yaml')], flags(), sim())).toBe(1)
      expect(await gateCommand([], flags({ updateBaseline: true }), sim())).toBe(0)
      scenario('b-nominal.yaml', { name: 'nominal', gate: true, fixture: 'baseline-pass.json', p95: 375 })
      expect(await gateCommand([], flags(), sim())).toBe(1)
      // Rewriting the baseline accepts the slower figure deliberately: the gates alone decide.
      expect(await gateCommand([], flags({ updateBaseline: true }), sim())).toBe(0)
      expect(await gateCommand([], flags(), sim())).toBe(0)
    })

    it('3 when a scenario broke an internal invariant', async () => {
      scenario('a-eclipse.yml', { name: 'eclipse', gate: true, fixture: 'eclipse-variants.json', crash: true })
      expect(await gateCommand([], flags(), sim())).toBe(3)
    })

    it('2 (BadInputError) on bad input', async () => {
      let err: unknown
      try {
        await gateCommand([join(scen, 'missing.yaml')], flags(), sim())
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(BadInputError)
      expect(exitCodeFor(err)).toBe(2)
    })

    it('prints one table and where the files went', async () => {
      const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
      const errWrite = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
      try {
        await gateCommand([], flags({ quiet: false }), sim())
        const text = write.mock.calls.map((c) => String(c[0])).join('')
        expect(text).toMatch(/^scenario\s+gate\s+window/)
        expect(text).toContain('PASS: 2 scenarios, 7/7 gates hold, 0 regressions')
        expect(text).toContain(`wrote ${join(out, 'summary.md')}, ${join(out, 'junit.xml')}`)
        const progress = errWrite.mock.calls.map((c) => String(c[0]))
        expect(progress).toHaveLength(4)
        expect(progress[0]).toBe(`gate: [1/2] eclipse (${join(scen, 'a-eclipse.yml')})\n`)
        expect(progress[1]).toMatch(/^gate: eclipse: gates pass \(\d+\.\d s wall\)\n$/)
        expect(progress[2]).toBe(`gate: [2/2] nominal (${join(scen, 'b-nominal.yaml')})\n`)
      } finally {
        write.mockRestore()
        errWrite.mockRestore()
      }
    })
  })
})
