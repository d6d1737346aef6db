// The real `dht-sim serve` process: graceful drain exits 0, a bad configuration or a port in
// use exits 2 with one line, SIGHUP with an invalid file is refused and the node keeps serving,
// SIGHUP may switch REQUIRE_PQ_ON on but never off,
// and RON_AMNESIA decides whether anything is written to disk.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from './helpers.js'

const ROOT = new URL('../../', import.meta.url).pathname
const BIN = join(ROOT, 'bin/dht-sim.js')

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

interface Run {
  readonly child: ChildProcess
  readonly exited: Promise<{ code: number | null; stdout: string; stderr: string }>
  /** What the process has written to stdout so far. */
  stdoutSoFar(): string
}

function start(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  )
  return { child, exited, stdoutSoFar: () => stdout }
}

async function httpStatus(port: number, path: string): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`)).status
  } catch {
    return undefined
  }
}

describe('dht-sim serve (the real process)', () => {
  const running: ChildProcess[] = []
  let dir: string

  beforeAll(() => {
    // Build once so bin/dht-sim.js runs the current sources (type errors elsewhere still emit).
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' })
    if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build failed: dist/cli/main.js missing')
    dir = mkdtempSync(join(tmpdir(), 'dht-serve-'))
  }, 180_000)

  afterEach(() => {
    for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  })

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('drains on SIGTERM and exits 0, saving the routing-table cache (amnesia off)', async () => {
    const http = await freePort()
    const data = join(dir, 'data')
    const run = start(['--dht-addr', '127.0.0.1:0', '--metrics-addr', `127.0.0.1:${http}`, '--dht-data-dir', data, '--dht-identity-file', join(dir, 'id.key')])
    running.push(run.child)
    await eventually('healthz 200', () => httpStatus(http, '/healthz').then((s) => (s === 200 ? s : undefined)), 60_000)
    run.child.kill('SIGTERM')
    const r = await run.exited
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('"msg":"draining"')
    expect(r.stdout).toContain('"msg":"stopped"')
    expect(existsSync(join(data, 'routing-table.json'))).toBe(true)
    expect(existsSync(join(dir, 'id.key'))).toBe(true)
    for (const line of r.stdout.trim().split('\n')) {
      const j = JSON.parse(line) as Record<string, unknown>
      expect(typeof j.ts).toBe('string')
      expect(typeof j.level).toBe('string')
      expect(typeof j.msg).toBe('string')
    }
  })

  it('writes nothing to disk with RON_AMNESIA=on', async () => {
    const http = await freePort()
    const data = join(dir, 'amnesia-data')
    const run = start(['--dht-addr', '127.0.0.1:0', '--metrics-addr', `127.0.0.1:${http}`, '--dht-data-dir', data, '--dht-identity-file', join(dir, 'amnesia.key')], { RON_AMNESIA: 'on' })
    running.push(run.child)
    await eventually('healthz 200', () => httpStatus(http, '/healthz').then((s) => (s === 200 ? s : undefined)), 60_000)
    run.child.kill('SIGINT')
    expect((await run.exited).code).toBe(0)
    expect(existsSync(data)).toBe(false)
    expect(existsSync(join(dir, 'amnesia.key'))).toBe(false)
  })

  it('exits 2 with one line naming the key for a bad value', async () => {
    const r = await start(['--dht-alpha', '99']).exited
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('ConfigInvalid(key=--dht-alpha)')
  })

  it('exits 2 naming an unknown key in the file', async () => {
    const file = join(dir, 'bad.toml')
    writeFileSync(file, 'dht_alpha = 3\nbogus_key = 1\n')
    const r = await start(['--config', file]).exited
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('ConfigInvalid(key=bogus_key)')
  })

  it('exits 2 with a Bind line when the port is taken', async () => {
    const srv = createServer()
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()))
    const port = (srv.address() as { port: number }).port
    try {
      const r = await start(['--dht-addr', `127.0.0.1:${port}`, '--metrics-addr', '127.0.0.1:0', '--ron-amnesia', 'on']).exited
      expect(r.code).toBe(2)
      expect(r.stderr.trim()).toBe(`dht-sim: Bind: 127.0.0.1:${port} already in use`)
    } finally {
      srv.close()
    }
  })

  it('refuses an invalid config on SIGHUP, counts it and keeps serving', async () => {
    const http = await freePort()
    const file = join(dir, 'node.toml')
    writeFileSync(file, `dht_addr = "127.0.0.1:0"\nmetrics_addr = "127.0.0.1:${http}"\nron_amnesia = true\n`)
    const run = start(['--config', file])
    running.push(run.child)
    await eventually('healthz 200', () => httpStatus(http, '/healthz').then((s) => (s === 200 ? s : undefined)), 60_000)
    writeFileSync(file, `dht_addr = "127.0.0.1:0"\nmetrics_addr = "127.0.0.1:${http}"\nron_amnesia = true\ndht_alpha = "many"\n`)
    run.child.kill('SIGHUP')
    const text = await eventually('refusal counted', async () => {
      const t = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text()
      return /ron_dht_config_reload_failed_total 1/.test(t) ? t : undefined
    })
    expect(text).toContain('build_info')
    expect(await httpStatus(http, '/healthz')).toBe(200)
    run.child.kill('SIGTERM')
    const r = await run.exited
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('config reload refused')
    expect(readFileSync(file, 'utf8')).toContain('many')
  })

  it('echoes its config with the file\'s keys and logs a reload, and what needs a restart, at warn', async () => {
    const http = await freePort()
    const file = join(dir, 'reload.toml')
    const base = `dht_addr = "127.0.0.1:0"\nmetrics_addr = "127.0.0.1:${http}"\nron_amnesia = true\n`
    writeFileSync(file, base)
    const run = start(['--config', file])
    running.push(run.child)
    await eventually('healthz 200', () => httpStatus(http, '/healthz').then((s) => (s === 200 ? s : undefined)), 60_000)
    // A reloadable change, one that needs a restart, and a log level that hides info lines.
    writeFileSync(file, `${base}dht_timeout_ms = 900\ndht_region = "r9"\ndht_log_level = "warn"\n`)
    run.child.kill('SIGHUP')
    // The reload is logged after the signal is handled: wait for its line, then stop.
    const lines = (): Array<Record<string, unknown>> =>
      run.stdoutSoFar()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    const reloaded = await eventually('reload logged', () => lines().find((l) => String(l.msg).startsWith('config reloaded')))
    run.child.kill('SIGTERM')
    expect((await run.exited).code).toBe(0)
    expect(reloaded.level).toBe('warn')
    expect(reloaded.changed).toEqual(expect.arrayContaining(['dht_timeout_ms', 'dht_log_level']))
    expect(reloaded.restart_required).toEqual(['dht_region'])
    expect(reloaded.msg).toBe('config reloaded; restart needed for dht_region')
    const serving = lines().find((l) => l.msg === 'serving')!
    const keys = Object.keys(serving.config as object)
    expect(keys).toContain('dht_timeout_ms')
    expect(keys).toContain('metrics_addr')
    expect(keys.filter((k) => /[A-Z]/.test(k))).toEqual([])
  })

  it('config check loads the file and the environment as serve does (exit 2 for a bad DHT_ALPHA)', () => {
    const cfg = join(ROOT, 'configs/dht.toml')
    const ok = spawnSync(process.execPath, [BIN, 'config', 'check', cfg], { encoding: 'utf8', env: { ...process.env, DHT_ALPHA: '4' } })
    expect([ok.status, ok.stdout.trim()]).toEqual([0, 'ok'])
    const bad = spawnSync(process.execPath, [BIN, 'config', 'check', cfg], { encoding: 'utf8', env: { ...process.env, DHT_ALPHA: 'abc' } })
    expect(bad.status).toBe(2)
    expect(bad.stderr.trim()).toBe('dht-sim: ConfigInvalid(key=DHT_ALPHA): expected an integer from 1 to 16, got "abc"')
    const viaEnv = spawnSync(process.execPath, [BIN, 'config', 'check'], { encoding: 'utf8', env: { ...process.env, RON_CONFIG: cfg, DHT_ALPHA: 'abc' } })
    expect(viaEnv.status).toBe(2)
    const missing = spawnSync(process.execPath, [BIN, 'config', 'check'], { encoding: 'utf8', env: { ...process.env, RON_CONFIG: join(dir, 'nope.toml') } })
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('nope.toml')
  })

  it('switches PQ enforcement on at a SIGHUP that sets require_pq_on, and never off', async () => {
    const http = await freePort()
    const file = join(dir, 'pq.toml')
    const base = `dht_addr = "127.0.0.1:0"\nmetrics_addr = "127.0.0.1:${http}"\nron_amnesia = true\n`
    writeFileSync(file, base)
    const run = start(['--config', file])
    running.push(run.child)
    await eventually('healthz 200', () => httpStatus(http, '/healthz').then((s) => (s === 200 ? s : undefined)), 60_000)
    const pqGauge = async (): Promise<string | undefined> => /^ron_dht_pq_required (\d)/m.exec(await (await fetch(`http://127.0.0.1:${http}/metrics`)).text())?.[1]
    expect(await pqGauge()).toBe('0')
    writeFileSync(file, base + 'require_pq_on = true\n')
    run.child.kill('SIGHUP')
    await eventually('enforcement on', async () => ((await pqGauge()) === '1' ? true : undefined))
    let out = ''
    run.child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    writeFileSync(file, base)
    run.child.kill('SIGHUP')
    await eventually('off ignored', async () => (out.includes('require_pq_on=off ignored') ? true : undefined))
    expect(await pqGauge()).toBe('1')
    run.child.kill('SIGTERM')
    const r = await run.exited
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/REQUIRE_PQ_ON switched on/)
  })
})
