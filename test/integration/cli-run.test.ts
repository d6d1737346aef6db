// The real `dht-sim run` process as a person meets it: a bad --out is refused at once (exit 2, one
// line, nothing simulated); Ctrl-C on a terminal (a real pseudo-terminal, python3's pty module)
// leaves the cursor shown and line wrap on, prints "interrupted", exits 130 and writes no report;
// `--version` and `--help` load no libp2p, the top-level help lists each command as the
// command itself describes it, `run --help` names the files it writes, and the README's quick
// start says the run's length as `run` prints it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src/cli/command-list.js'
import { summary } from '../../src/cli/commands/run.js'
import { loadScenario } from '../../src/sim/scenario.js'
import type { Report } from '../../src/sim/report-types.js'

const ROOT = new URL('../../', import.meta.url).pathname
const BIN = join(ROOT, 'bin/dht-sim.js')
const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0
if (!hasPython) console.warn('test/integration/cli-run.test.ts: the Ctrl-C test is SKIPPED: python3 with its pty module not found')

let dir: string
let scenario: string

beforeAll(() => {
  // Build once so bin/dht-sim.js runs the current sources.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' })
  if (!existsSync(join(ROOT, 'dist/cli/commands/run-worker.js'))) throw new Error('build failed: dist/cli/commands/run-worker.js missing')
  dir = mkdtempSync(join(tmpdir(), 'dht-cli-run-'))
  // Long enough in virtual time that it is still running when Ctrl-C comes.
  scenario = join(dir, 'long.yaml')
  writeFileSync(
    scenario,
    ['name: long', 'seed: 1', 'duration_s: 36000', 'warmup_s: 60', 'network: { peers: 300, bootstraps: 4, join_spread_s: 30 }', 'workload: { find_node_per_s: 20 }', 'gates: ["hops_p99 <= 5"]', ''].join('\n'),
  )
}, 180_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  // The timeout is a safety net (a refused --out used to loop forever), not a speed assertion.
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('dht-sim run --out is checked before simulating', () => {
  it.each([
    ['an existing file', (): string => join(dir, 'long.yaml'), /exists and is not a directory/],
    ['a path under /dev/null', (): string => '/dev/null/x', /\/dev\/null/],
    ['a path /proc refuses', (): string => '/proc/nope', /cannot create \/proc\/nope/],
  ])('%s: exit 2, one line naming --out, nothing on stdout', (_what, out, why) => {
    const r = run(['run', scenario, '--out', out()])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^dht-sim: --out: /)
    expect(lines[0]).toMatch(why)
  })
})

/**
 * Runs argv on a pseudo-terminal, types Ctrl-C once `trigger` appears in its output, and returns
 * everything the terminal received and the exit status. All bounded: 90 s at most.
 */
const PTY_HELPER = String.raw`
import fcntl, json, os, pty, select, struct, sys, termios, time
argv, trigger = json.loads(sys.argv[1]), sys.argv[2].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 120, 0, 0))
out, sent, deadline = b'', False, time.time() + 90
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and trigger in out:
        time.sleep(0.3)
        os.write(fd, b'\x03')
        sent = True
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
print(json.dumps({'code': code, 'sent': sent, 'out': out.decode('latin-1')}))
`

describe.skipIf(!hasPython)(`Ctrl-C during dht-sim run on a terminal${hasPython ? '' : ' (skipped: python3 with its pty module not found)'}`, () => {
  it('restores the cursor and line wrap, prints "interrupted", exits 130 and writes no report', () => {
    const out = join(dir, 'interrupted')
    const r = spawnSync('python3', ['-c', PTY_HELPER, JSON.stringify([process.execPath, BIN, 'run', scenario, '--out', out]), 'virtual '], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    })
    const res = JSON.parse(r.stdout) as { code: number; sent: boolean; out: string }
    expect(res.sent, `no progress bar seen: ${res.out.slice(0, 400)}`).toBe(true)
    expect(res.code).toBe(130)
    expect(res.out).toContain('dht-sim: interrupted')
    // The bar hid the cursor and turned line wrap off; the last word on each must be "on" again.
    const last = (on: string, off: string): string => (res.out.lastIndexOf(on) > res.out.lastIndexOf(off) ? 'on' : 'off')
    expect(res.out).toContain('\x1b[?25l')
    expect(last('\x1b[?25h', '\x1b[?25l')).toBe('on')
    expect(last('\x1b[?7h', '\x1b[?7l')).toBe('on')
    // No report, no temp file: the output directory the run created is gone again.
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([])
  }, 150_000)
})

describe('--version and --help load no libp2p', () => {
  // A module hook that writes every resolved libp2p module to a file.
  function libp2pModulesLoaded(args: string[]): string[] {
    const trace = join(dir, `trace-${args.join('_').replace(/\W/g, '')}.txt`)
    writeFileSync(trace, '')
    const hooks = join(dir, 'hooks.mjs')
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs'\nexport async function resolve(s, c, next) { const r = await next(s, c); if (/libp2p/.test(r.url)) appendFileSync(${JSON.stringify(trace)}, r.url + '\\n'); return r }\n`,
    )
    const reg = join(dir, 'register.mjs')
    writeFileSync(reg, `import { register } from 'node:module'\nregister(${JSON.stringify('file://' + hooks)})\n`)
    const r = spawnSync(process.execPath, ['--import', reg, BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
    expect(r.status, r.stderr).toBe(0)
    return readFileSync(trace, 'utf8').split('\n').filter((l) => l !== '')
  }

  it('--version, --help and run --help load none; serve --help does (the probe works)', () => {
    expect(libp2pModulesLoaded(['--version'])).toEqual([])
    expect(libp2pModulesLoaded(['--help'])).toEqual([])
    expect(libp2pModulesLoaded(['run', '--help'])).toEqual([])
    expect(libp2pModulesLoaded(['serve', '--help']).length).toBeGreaterThan(0)
  })

  it('top-level help lists every command as the command describes itself', async () => {
    for (const c of COMMANDS) {
      const program = new Command()
      ;(await c.load())(program)
      const cmd = program.commands.find((x) => x.name() === c.name)
      expect(cmd?.description(), c.name).toBe(c.description)
      const stub = new Command().command(c.args === '' ? c.name : `${c.name} ${c.args}`)
      const shape = (x: Command | undefined): string[] => (x?.registeredArguments ?? []).map((a) => `${a.required ? '<' : '['}${a.name()}${a.variadic ? '...' : ''}`)
      expect(shape(stub), c.name).toEqual(shape(cmd))
    }
    const help = run(['--help'])
    for (const c of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${c.name}( ${c.args.replace(/[[\]().]/g, '\\$&')})? `, 'm'))
  })

  it('every error line has the one prefix, commander\'s own included', () => {
    const r = run(['nope'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^dht-sim: unknown command 'nope'/)
    const o = run(['run', '--nope'])
    expect(o.code).toBe(2)
    expect(o.stderr).toMatch(/^dht-sim: unknown option '--nope'/)
  })
})

describe('what run says about itself', () => {
  it('run --help names the three files it writes', () => {
    const r = run(['run', '--help'])
    expect(r.code).toBe(0)
    for (const f of ['report.json', 'report.md', 'report.html']) expect(r.stdout).toContain(f)
  })

  it("the README's quick start gives the baseline's length as run prints it", () => {
    const resolved = loadScenario(join(ROOT, 'scenarios/baseline.yaml'))
    const report = { scenario: { name: resolved.name, resolved }, seed: resolved.seed, virtual_duration_s: resolved.duration_s, metrics: {}, gates: [], pass: true, replay: '' } as unknown as Report
    const first = summary(report, 'out').split('\n')[0]!
    expect(first).toBe('scenario baseline, seed 1, 65 min virtual (5 min warm-up, 1 h measured)')
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const quick = readme.split('\n').find((l) => l.startsWith('npx dht-sim run scenarios/baseline.yaml'))
    expect(quick).toContain(first.slice(first.indexOf('seed 1, ') + 'seed 1, '.length))
  })
})
