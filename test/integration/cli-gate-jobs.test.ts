// `dht-sim gate --jobs N` through the real command line: three small gate scenarios (one failing
// a gate) run on the gate's own thread (--jobs 1) and in 2 and 3 worker threads write the same
// files byte for byte (junit.xml's wall times aside), exit the same way, and a bad --jobs is
// refused before anything runs.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url).pathname
const BIN = join(ROOT, 'bin/dht-sim.js')

let dir: string

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Every file under `root` by relative path; junit.xml with its wall times blanked (they are real). */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n)
      if (statSync(p).isDirectory()) walk(p)
      else {
        const text = readFileSync(p, 'utf8')
        out.set(relative(root, p), n === 'junit.xml' ? text.replace(/ time="[0-9.]+"/g, ' time=""') : text)
      }
    }
  }
  walk(root)
  return out
}

const scenario = (name: string, peers: number, gates: string): string =>
  [`name: ${name}`, 'seed: 4', 'gate: true', 'duration_s: 90', 'warmup_s: 20', `network: {peers: ${peers}, bootstraps: 2, join_spread_s: 5}`, 'workload: {find_node_per_s: 4, provide_per_s: 0.2, get_providers_per_s: 1}', `gates: ${gates}`, ''].join('\n')

beforeAll(() => {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' })
  if (!existsSync(join(ROOT, 'dist/cli/commands/gate-worker.js'))) throw new Error('build failed: dist/cli/commands/gate-worker.js missing')
  dir = mkdtempSync(join(tmpdir(), 'dht-gate-jobs-'))
  mkdirSync(join(dir, 'scenarios'))
  writeFileSync(join(dir, 'scenarios', 'a-small.yaml'), scenario('small', 40, '["lookup_success >= 0.5", "hops_p99 <= 6"]'))
  writeFileSync(join(dir, 'scenarios', 'b-larger.yaml'), scenario('larger', 80, '["lookup_success >= 0.5"]'))
  writeFileSync(join(dir, 'scenarios', 'c-failing.yaml'), scenario('failing', 30, '["hops_p99 <= 0"]'))
}, 180_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('gate --jobs N', () => {
  it('writes the same files whatever N, and exits the same way', () => {
    const runs = [1, 2, 3].map((n) => {
      // Each run checks against its own baseline file, written by --update-baseline with the same N.
      const common = ['gate', '--scenarios-dir', 'scenarios', '--out', `gate-${n}`, '--baseline', `baseline-${n}.json`, '--jobs', String(n), '--quiet']
      const update = cli(...common, '--update-baseline')
      expect(update.stderr).toBe('')
      const check = cli(...common)
      expect(check.stderr).toBe('')
      return { n, update: update.status, check: check.status, files: tree(join(dir, `gate-${n}`)), baseline: readFileSync(join(dir, `baseline-${n}.json`), 'utf8') }
    })
    const [one] = runs as [(typeof runs)[0]]
    // A failing gate: exit 1, both when rewriting the baseline and when checking it.
    expect(one.update).toBe(1)
    expect(one.check).toBe(1)
    expect([...one.files.keys()]).toEqual(expect.arrayContaining(['junit.xml', 'summary.md', 'small/report.json', 'larger/report.html', 'failing/report.md']))
    for (const r of runs.slice(1)) {
      expect([r.update, r.check], `--jobs ${r.n}`).toEqual([one.update, one.check])
      expect([...r.files.keys()]).toEqual([...one.files.keys()])
      for (const [name, text] of one.files) expect(r.files.get(name) === text, `${name} with --jobs ${r.n}`).toBe(true)
      expect(r.baseline).toBe(one.baseline)
    }
  })

  it('refuses a bad --jobs before running anything', () => {
    for (const bad of ['0', '-1', '1.5', 'two', '65']) {
      const r = cli('gate', '--scenarios-dir', 'scenarios', '--out', 'gate-bad', '--baseline', 'baseline-bad.json', '--jobs', bad)
      expect(r.status, bad).toBe(2)
      expect(r.stderr).toMatch(/^dht-sim: --jobs: must be an integer from 1 to 64/)
      expect(existsSync(join(dir, 'gate-bad'))).toBe(false)
    }
  })
})
