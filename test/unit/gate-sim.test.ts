// The gate on the real simulator, at toy size (40 peers, 1 min virtual): the adapter the CLI uses
// runs a scenario file, the report it gets back passes report.json validation as written, the HTML
// renders from it, and a second run at the same seed is no regression against the first.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { simulatorGateSim } from '../../src/cli/commands/gate.js'
import { runGate } from '../../src/report/gate-run.js'
import { loadReport } from '../../src/report/load-report.js'
import { compareReports } from '../../src/report/compare.js'

const MICRO = `
name: micro
seed: 3
gate: true
duration_s: 60
warmup_s: 15
network:
  peers: 40
  bootstraps: 2
  join_spread_s: 10
workload:
  find_node_per_s: 5
  provide_per_s: 0.5
  get_providers_per_s: 1
gates:
  - "hops_p99 <= 5"
  - "lookup_success >= 0.9"
`

describe('gate on the real simulator', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dht-sim-gate-sim-'))
    mkdirSync(join(dir, 'scenarios'))
    writeFileSync(join(dir, 'scenarios', 'micro.yaml'), MICRO)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('runs, writes loadable reports, and a rerun at the same seed is no regression', () => {
    const opts = { scenarios: [], scenariosDir: join(dir, 'scenarios'), outDir: join(dir, 'gate'), baselinePath: join(dir, 'baseline.json') }
    const first = runGate(simulatorGateSim, { ...opts, updateBaseline: true })
    expect(first.outcome.crashes).toEqual([])
    expect(first.baselineWritten).not.toBeNull()
    const reportPath = join(dir, 'gate', 'micro', 'report.json')
    const a = loadReport(reportPath)
    expect(a.scenario.name).toBe('micro')
    expect(a.seed).toBe('3')
    expect(a.gates.map((g) => g.metric)).toEqual(['hops_p99', 'lookup_success'])
    expect(readFileSync(join(dir, 'gate', 'micro', 'report.html'), 'utf8')).toContain('<pre><code id="replay">dht-sim run ')

    const second = runGate(simulatorGateSim, { ...opts, updateBaseline: false })
    expect(second.outcome.regressionsTotal).toBe(0)
    expect(second.outcome.scenarios[0]?.regression.hasBaseline).toBe(true)
    expect(second.outcome.scenarios[0]?.regression.warnings).toEqual([])
    const b = loadReport(reportPath)
    expect(compareReports(a, b).metrics.every((m) => m.verdict === 'same')).toBe(true)
  })
})
