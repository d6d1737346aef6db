// `dht-sim run` and `dht-sim schema` through their command functions: exit codes, files written
// (and not written on bad input), the replay command.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { runCommand } from '../../src/cli/commands/run.js'
import { registerSchema } from '../../src/cli/commands/schema.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'
import { BadInputError } from '../../src/common/errors.js'

const TINY = (gate: string) => `
name: tiny
seed: 5
duration_s: 60
warmup_s: 20
network:
  peers: 30
  bootstraps: 2
  join_spread_s: 5
workload:
  find_node_per_s: 2
  provide_per_s: 0.5
  get_providers_per_s: 1
gates:
  - "${gate}"
`

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dht-sim-run-'))
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterEach(() => {
  vi.restoreAllMocks()
  rmSync(dir, { recursive: true, force: true })
})

async function codeOf(p: Promise<number>): Promise<{ code: number; message: string }> {
  try {
    return { code: await p, message: '' }
  } catch (err) {
    return { code: exitCodeFor(err), message: (err as Error).message }
  }
}

describe('dht-sim run', () => {
  it('exit 0 when the gates pass; writes report.json, report.md and report.html and nothing else', async () => {
    const file = join(dir, 'tiny.yaml')
    writeFileSync(file, TINY('lookup_success >= 0.9'))
    const out = join(dir, 'out')
    expect(await runCommand(file, { out, quiet: true })).toBe(0)
    expect(readdirSync(out).sort()).toEqual(['report.html', 'report.json', 'report.md'])
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))
    expect(report.schema_version).toBe(1)
    expect(report.replay).toBe(`dht-sim run ${file} --seed 5`)
    expect(report.gates[0]).toMatchObject({ metric: 'lookup_success', op: '>=', threshold: 0.9, pass: true })
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| PASS | `lookup_success >= 0.9` |')
  })

  it('exit 1 when a gate fails; --seed overrides the scenario seed', async () => {
    const file = join(dir, 'tiny.yaml')
    writeFileSync(file, TINY('hops_p99 < 0'))
    const out = join(dir, 'out')
    expect(await runCommand(file, { out, quiet: true, seed: 'abc' })).toBe(1)
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))
    expect(report.seed).toBe('abc')
    expect(report.scenario.resolved.seed).toBe('abc')
    expect(report.pass).toBe(false)
  })

  it('exit 2 on bad input, one line naming the field, nothing written', async () => {
    const out = join(dir, 'out')
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'network:\n  peers: 0\n')
    expect(await codeOf(runCommand(bad, { out, quiet: true }))).toEqual({ code: 2, message: `${bad}: network.peers: must be >= 2 (got 0)` })
    writeFileSync(bad, TINY('hops_p99 <= 5').replace('gates:', 'gatez:'))
    expect(await codeOf(runCommand(bad, { out, quiet: true }))).toEqual({ code: 2, message: `${bad}: gatez: unknown key` })
    const missing = await codeOf(runCommand(join(dir, 'nope.yaml'), { out, quiet: true }))
    expect(missing.code).toBe(2)
    expect(missing.message).toMatch(/nope\.yaml: cannot read \(ENOENT\)/)
    const seed = await codeOf(runCommand(bad, { out, quiet: true, seed: 'a b' }))
    expect(seed.code).toBe(2)
    expect(seed.message).toMatch(/^--seed: /)
    expect(existsSync(out)).toBe(false)
  })
})

describe('dht-sim schema', () => {
  it('prints the scenario JSON Schema; an unknown kind is bad input', async () => {
    const chunks: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      chunks.push(String(s))
      return true
    })
    const program = new Command().exitOverride()
    registerSchema(program)
    await program.parseAsync(['node', 'dht-sim', 'schema', 'scenario'])
    const schema = JSON.parse(chunks.join(''))
    expect(schema.properties.network.required).toEqual(['peers'])
    await expect(program.parseAsync(['node', 'dht-sim', 'schema', 'nope'])).rejects.toBeInstanceOf(BadInputError)
  })
})
