// The regression baseline guards what no latency or success gate sees: the cost of a lookup
// (messages_per_lookup) and its quality (lookup_accuracy, provider_success). A change that doubles
// the messages every lookup sends, while every declared gate still holds, fails `dht-sim gate`
// (the CLI's own command function, on the real simulator, at toy size).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gateCommand } from '../../src/cli/commands/gate.js'
import { EXIT_GATE_FAILED, EXIT_OK } from '../../src/cli/exit-codes.js'
import { loadBaseline } from '../../src/report/baseline.js'
import { loadReport } from '../../src/report/load-report.js'

const micro = (dht: string): string => `
name: micro
seed: 5
gate: true
duration_s: 150
warmup_s: 30
network:
  peers: 80
  bootstraps: 2
  join_spread_s: 15
dht: {${dht}}
workload:
  find_node_per_s: 5
  provide_per_s: 0.5
  get_providers_per_s: 2
gates:
  - "lookup_success >= 0.99"
  - "lookup_p95_ms < 2000"
`

describe('the gate guards the cost and quality of lookups', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dht-sim-gate-quality-'))
    mkdirSync(join(dir, 'scenarios'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('doubling the messages per lookup fails the gate although every declared gate holds', async () => {
    const flags = { out: join(dir, 'gate'), baseline: join(dir, 'baseline.json'), scenariosDir: join(dir, 'scenarios'), quiet: true }
    const scenario = join(dir, 'scenarios', 'micro.yaml')
    writeFileSync(scenario, micro(''))
    expect(await gateCommand([], { ...flags, updateBaseline: true })).toBe(EXIT_OK)
    const entry = loadBaseline(flags.baseline)!.scenarios.micro!
    // The guarded metrics are in the baseline though no gate names them.
    expect(Object.keys(entry.metrics).sort()).toEqual(['lookup_accuracy', 'lookup_p95_ms', 'lookup_success', 'messages_per_lookup', 'provider_success'])
    const before = entry.metrics.messages_per_lookup!
    expect(await gateCommand([], flags)).toBe(EXIT_OK)

    // Two disjoint lookup paths instead of one: each lookup queries about twice the peers.
    writeFileSync(scenario, micro('disjoint_paths: 2'))
    expect(await gateCommand([], flags)).toBe(EXIT_GATE_FAILED)
    const report = loadReport(join(flags.out, 'micro', 'report.json'))
    expect(report.pass).toBe(true) // every declared gate holds
    const after = report.metrics.messages_per_lookup!
    expect(after, `messages_per_lookup: ${before} -> ${after}`).toBeGreaterThan(before * 1.5)
    const summary = readFileSync(join(flags.out, 'summary.md'), 'utf8')
    expect(summary).toMatch(/regression: messages_per_lookup: measured [\d.]+, baseline [\d.]+, tolerance \+10 %: regressed/)
    expect(readFileSync(join(flags.out, 'junit.xml'), 'utf8')).toContain('regression: messages_per_lookup')
  })
})
