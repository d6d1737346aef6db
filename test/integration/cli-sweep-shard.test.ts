// A sweep split across machines, through the real command line: a whole sweep, and the same sweep
// run as 2 and as 3 shares then joined with `sweep merge`, give the same files byte for byte
// (sweep.json, sweep.md, sweep.html and every cell's report). Shares that do not make one whole
// sweep (missing, duplicated, split another way, another seed or scenario) and a bad --shard are
// refused with exit 2 and one line, and nothing is written.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url).pathname
const BIN = join(ROOT, 'bin/dht-sim.js')
const GRID = ['--param', 'dht.disjoint_paths=1,2', '--param', 'network.peers=30,40,50', '--columns', 'lookup_p95_ms,messages_per_lookup']

let dir: string
let scenario: string

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Every file under `root`, by path relative to it, with its bytes. */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n)
      if (statSync(p).isDirectory()) walk(p)
      else out.set(relative(root, p), readFileSync(p))
    }
  }
  walk(root)
  return out
}

beforeAll(() => {
  // Build once so bin/dht-sim.js runs the current sources (and the sweep's worker threads exist).
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' })
  if (!existsSync(join(ROOT, 'dist/sim/sweep/worker.js'))) throw new Error('build failed: dist/sim/sweep/worker.js missing')
  dir = mkdtempSync(join(tmpdir(), 'dht-sweep-shard-'))
  scenario = join(dir, 'tiny.yaml')
  writeFileSync(
    scenario,
    ['name: tiny', 'seed: 5', 'duration_s: 60', 'warmup_s: 10', 'network: {peers: 40, bootstraps: 2, join_spread_s: 5}', 'workload: {find_node_per_s: 3, provide_per_s: 0, get_providers_per_s: 0}', 'gates: ["lookup_success >= 0.5", "hops_p99 <= 3"]', ''].join('\n'),
  )
  const whole = cli('sweep', scenario, ...GRID, '--out', 'whole', '--quiet')
  expect(whole.stderr).toBe('')
  for (const n of [2, 3]) {
    for (let i = 0; i < n; i++) {
      const r = cli('sweep', scenario, ...GRID, '--shard', `${i}/${n}`, '--out', `shares-${n}`, '--quiet', '--jobs', String(1 + (i % 2)))
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
    }
  }
}, 300_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('sweep --shard i/n and sweep merge', () => {
  it('2 or 3 shares joined give every file of the whole sweep, byte for byte', () => {
    const whole = tree(join(dir, 'whole'))
    expect([...whole.keys()].filter((k) => k.endsWith('report.json'))).toHaveLength(6)
    expect(whole.has('sweep.json') && whole.has('sweep.md') && whole.has('sweep.html')).toBe(true)
    for (const n of [2, 3]) {
      expect(readdirSync(join(dir, `shares-${n}`)).sort()).toEqual(Array.from({ length: n }, (_, i) => `shard-${i}-of-${n}.json`))
      const r = cli('sweep', 'merge', `shares-${n}`, '--out', `merged-${n}`, '--quiet')
      expect(r.stderr).toBe('')
      const merged = tree(join(dir, `merged-${n}`))
      expect([...merged.keys()]).toEqual([...whole.keys()])
      for (const [name, bytes] of whole) expect(merged.get(name)!.equals(bytes), `${name} (${n} shares)`).toBe(true)
    }
  })

  it('merge exits as the whole sweep does: 1 when a cell fails a gate', () => {
    const whole = JSON.parse(readFileSync(join(dir, 'whole', 'sweep.json'), 'utf8')) as { cells: { pass: boolean }[] }
    const want = whole.cells.every((c) => c.pass) ? 0 : 1
    expect(cli('sweep', 'merge', 'shares-2', '--out', 'merged-exit', '--quiet').status).toBe(want)
  })

  it('a share is dealt round robin, each round turned by one: share 1 of 3 holds cells 1 and 3', () => {
    const f = JSON.parse(readFileSync(join(dir, 'shares-3', 'shard-1-of-3.json'), 'utf8')) as { cells: { index: number }[]; cell_count: number }
    expect(f.cell_count).toBe(6)
    expect(f.cells.map((c) => c.index)).toEqual([1, 3])
  })

  it('refuses shares that do not make one whole sweep, with one line and nothing written', () => {
    const s3 = (i: number): string => join('shares-3', `shard-${i}-of-3.json`)
    cli('sweep', scenario, ...GRID, '--seed', '9', '--shard', '1/3', '--out', 'seed9', '--quiet')
    writeFileSync(join(dir, 'other.yaml'), readFileSync(scenario, 'utf8').replace('seed: 5', 'seed: 6'))
    cli('sweep', join(dir, 'other.yaml'), ...GRID, '--shard', '2/3', '--out', 'other', '--quiet')
    const cases: [string[], RegExp][] = [
      [[s3(0), s3(1)], /missing share 2\/3/],
      [[s3(0), s3(1), s3(1), s3(2)], /duplicate of share 1\/3/],
      [[s3(0), s3(1), s3(2), join('shares-2', 'shard-0-of-2.json')], /split 2 ways, but .* is split 3 ways/],
      [[s3(0), join('seed9', 'shard-1-of-3.json'), s3(2)], /not a share of the same sweep .*\(the seed differs\)/],
      [[s3(0), s3(1), join('other', 'shard-2-of-3.json')], /not a share of the same sweep .*\(the scenario file differs\)/],
      [['tiny.yaml'], /tiny\.yaml: not valid JSON/],
      [['nowhere'], /nowhere: cannot read/],
    ]
    for (const [args, msg] of cases) {
      const r = cli('sweep', 'merge', ...args, '--out', 'refused')
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(msg)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(existsSync(join(dir, 'refused'))).toBe(false)
    }
  })

  it('refuses a bad --shard before running anything', () => {
    for (const bad of ['3/3', '0/0', '-1/2', 'a/b', '1/2/3', '2']) {
      const r = cli('sweep', scenario, ...GRID, '--shard', bad, '--out', 'bad-shard')
      expect(r.status, bad).toBe(2)
      expect(r.stderr).toMatch(/^dht-sim: --shard: /)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(existsSync(join(dir, 'bad-shard'))).toBe(false)
    }
  })
})
