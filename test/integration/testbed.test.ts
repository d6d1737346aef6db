// `dht-sim testbed` end to end: a small scenario on real nodes in worker processes, the report
// in the simulator's schema, bad input refused before anything starts, SIGINT handled, and no
// process left behind.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { METRIC_NAMES } from '../../src/sim/metrics.js'
import type { TestbedReport } from '../../src/testbed/testbed.js'

const ROOT = new URL('../..', import.meta.url).pathname
const BIN = join(ROOT, 'bin/dht-sim.js')
const SMALL = join(ROOT, 'test/fixtures/scenarios/testbed-small.yaml')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(args: string[], onStderr?: (text: string, kill: (sig: NodeJS.Signals) => void) => void, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      onStderr?.(stderr, (sig) => child.kill(sig))
    })
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('dht-sim testbed', () => {
  let dir: string

  beforeAll(() => {
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' })
    if (!existsSync(join(ROOT, 'dist/testbed/worker.js'))) throw new Error('build failed: dist/testbed/worker.js missing')
    dir = mkdtempSync(join(tmpdir(), 'dht-testbed-'))
  }, 180_000)

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('refuses what it cannot run faithfully with exit 2 and one line naming the field', async () => {
    const tooMany = await run(['testbed', SMALL, '--nodes', '100000', '--out', join(dir, 'x')])
    expect(tooMany.code).toBe(2)
    expect(tooMany.stderr.trim().split('\n')).toHaveLength(1)
    expect(tooMany.stderr).toMatch(/--nodes: 100000 is more than this machine holds/)
    const cpu = await run(['testbed', join(ROOT, 'scenarios/cpu-saturation.yaml'), '--nodes', '20', '--out', join(dir, 'y')])
    expect(cpu.code).toBe(2)
    expect(cpu.stderr).toMatch(/faults\[0\]\.kind: the testbed's link shaper applies partition, loss, latency, not cpu/)
    const noProm = await run(['testbed', SMALL, '--out', join(dir, 'z')], undefined, { ...process.env, PATH: '/nonexistent' })
    expect(noProm.code).toBe(2)
    expect(noProm.stderr).toMatch(/prometheus: not found on PATH; install the Debian package `prometheus`/)
    expect(existsSync(join(dir, 'x'))).toBe(false)
    expect(existsSync(join(dir, 'y'))).toBe(false)
    expect(existsSync(join(dir, 'z'))).toBe(false)
  })

  it('runs a small scenario on real nodes and writes the simulator report with the same metric names', async () => {
    const out = join(dir, 'small')
    const r = await run(['testbed', SMALL, '--out', out, '--quiet'])
    expect([0, 1]).toContain(r.code)
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as TestbedReport
    expect(report.schema_version).toBe(1)
    expect(Object.keys(report.metrics)).toEqual([...METRIC_NAMES])
    expect(report.testbed.nodes).toBe(12)
    expect(report.testbed.workers).toBeGreaterThanOrEqual(2)
    expect(report.testbed.partial).toBe(false)
    expect(report.testbed.start_failures).toBe(0)
    // Lookups were issued by ready nodes and timed; readiness came from /readyz.
    expect(report.metrics.lookups).toBeGreaterThan(0)
    expect(report.metrics.restarts).toBeGreaterThan(0)
    // Every node's first start is in the run's readiness, beside the window's restarts.
    expect(report.readiness!.starts).toBeGreaterThanOrEqual(12)
    expect(report.readiness!.time_to_ready_p50_s).toBeGreaterThan(0)
    // The nodes' tables at the end, against the ideal tables of the nodes then online.
    expect(report.metrics.table_fill).toBeGreaterThan(0)
    expect(report.metrics.table_fill).toBeLessThanOrEqual(1)
    expect(report.faults.map((f) => f.id)).toEqual(['boot-cut'])
    // /readyz is watched after the first 200: cut off from their bootstrap, the nodes turn not
    // ready (and stop issuing lookups) during the cut, and ready again after it.
    const points = report.series.points
    const during = points.filter((p) => p.t_s > 8 && p.t_s <= 16)
    const low = Math.min(...during.map((p) => p.ready_nodes))
    expect(low).toBeLessThanOrEqual(during[0]!.online_nodes / 2)
    expect(points.at(-1)!.ready_nodes).toBeGreaterThan(low)
    expect(report.gates.map((g) => g.metric)).toEqual(['lookup_success'])
    expect(existsSync(join(out, 'report.md'))).toBe(true)
    for (const pid of report.testbed.worker_pids) expect(alive(pid)).toBe(false)
    // The starvation probe measured the workers: connection set-ups, the event loop, a verdict.
    const probe = report.testbed.probe
    expect(probe.setups).toBeGreaterThan(0)
    // Each connection counted once (by its dialer), as the simulator's stack model counts them.
    expect(report.connections?.opened).toBe(probe.setups)
    // The nodes timed their answered requests of the window, split by first contact.
    const rpc = report.rpc!
    expect(rpc.all.requests).toBeGreaterThan(0)
    expect(rpc.all.requests).toBe(rpc.first_contact.requests + rpc.open_connection.requests)
    expect(rpc.all.p50_ms).toBeGreaterThan(0)
    expect(probe.setup_p50_ms).toBeGreaterThan(0)
    expect(probe.loop_delay_max_ms).toBeGreaterThanOrEqual(probe.loop_delay_p99_ms)
    expect(typeof probe.starved).toBe('boolean')
    expect(probe.starved).toBe(probe.starved_because.length > 0)
    // Prometheus scraped the nodes and was stopped by its pid.
    expect(report.testbed.prometheus_pid).toBeGreaterThan(0)
    expect(alive(report.testbed.prometheus_pid!)).toBe(false)
  })

  it('on SIGINT stops every worker and writes what it measured, marked partial (exit 130)', async () => {
    const out = join(dir, 'interrupted')
    let sent = false
    const r = await run(['testbed', SMALL, '--out', out], (text, kill) => {
      if (!sent && /testbed 5\/20 s/.test(text)) {
        sent = true
        kill('SIGINT')
      }
    })
    expect(sent).toBe(true)
    expect(r.code).toBe(130)
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as TestbedReport
    expect(report.testbed.partial).toBe(true)
    expect(report.pass).toBe(false)
    expect(report.virtual_duration_s).toBeLessThan(20)
    for (const pid of report.testbed.worker_pids) expect(alive(pid)).toBe(false)
    expect(alive(report.testbed.prometheus_pid!)).toBe(false)
  })

  it('leaves no process behind when it dies without stopping (its output pipe closed: `dht-sim testbed ... | head`)', async () => {
    const child = spawn(process.execPath, [BIN, 'testbed', SMALL, '--out', join(dir, 'piped')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    let started: number[] = []
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    child.stdout.resume()
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString()
      if (started.length === 0 && /testbed 5\/20 s/.test(text)) {
        // Its workers and Prometheus, by parent pid, while they run; then the reader goes away.
        started = childrenOf(child.pid!)
        child.stdout.destroy()
        child.stderr.destroy()
      }
    })
    const code = await exited
    expect(started.length).toBeGreaterThanOrEqual(3) // two workers at least, and Prometheus
    expect(code).not.toBe(0)
    // The workers see their parent gone and stop; Prometheus is killed by the parent's exit hook.
    for (let i = 0; i < 50 && started.some(running); i++) await new Promise((r) => setTimeout(r, 100))
    expect(started.filter(running).map((p) => `${p}: ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 80)}`)).toEqual([])
  })
})

/** The fields of /proc/<pid>/stat after the command name (state first, then the parent pid); undefined once gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** Alive and not a zombie (a killed child whose new parent has not reaped it yet). */
function running(pid: number): boolean {
  const f = statFields(pid)
  return f !== undefined && f[0] !== 'Z'
}

/** The pids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(statFields(e)?.[1]) === pid)
    .map(Number)
}
