// RUNBOOK.md cannot rot: every ```sh block in it runs, in order, with bash against a small local
// network of real `dht-sim serve` processes (three nodes on 127.0.0.1). The blocks see what an
// operator's shell on node A would: `dht-sim` on PATH, METRICS_ADDR, RON_CONFIG,
// DHT_ADMIN_TOKEN_FILE, ADMIN_SOCKET, DHT_PID (node A's process), NODE_B_ADDR, NODE_C_ADDR,
// STATE_DIR and KEY. A block whose first line is `# expect exit N` must exit with N; every other
// block must exit 0. ```console blocks (systemctl, kubectl) are not run here: the files they
// use are checked by test/unit/deploy-files.test.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from './helpers.js'

const ROOT = new URL('../../', import.meta.url).pathname
const BIN = join(ROOT, 'bin/dht-sim.js')
const TOKEN = 'runbook-admin-token-0123456789abcdef'

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

export interface Block {
  readonly line: number
  readonly code: string
  readonly expectExit: number
}

/** The ```sh blocks of a Markdown text, with their expected exit codes. */
export function shellBlocks(md: string): Block[] {
  const out: Block[] = []
  const lines = md.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```sh') continue
    const start = i + 1
    const body: string[] = []
    for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!)
    const m = /^# expect exit (\d+)$/.exec(body[0]?.trim() ?? '')
    out.push({ line: start, code: body.join('\n'), expectExit: m ? Number(m[1]) : 0 })
  }
  return out
}

describe('RUNBOOK.md', () => {
  const procs: ChildProcess[] = []
  let dir: string
  let env: Record<string, string>
  const blocks = shellBlocks(readFileSync(join(ROOT, 'RUNBOOK.md'), 'utf8'))

  async function startNode(name: string, extra: string): Promise<{ child: ChildProcess; http: string }> {
    const port = await freePort()
    const nd = join(dir, name)
    mkdirSync(nd, { recursive: true })
    const cfg = join(nd, 'dht.toml')
    writeFileSync(
      cfg,
      [
        'dht_addr = "127.0.0.1:0"',
        `metrics_addr = "127.0.0.1:${port}"`,
        `dht_data_dir = "${join(nd, 'state')}"`,
        `dht_admin_token_file = "${join(dir, 'admin.token')}"`,
        `dht_admin_socket = "${join(nd, 'admin.sock')}"`,
        'policy_profile = "default"',
        'require_pq_on = false',
        'dht_log_level = "warn"',
        extra,
      ].join('\n') + '\n',
    )
    const child = spawn(process.execPath, [BIN, 'serve', '--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] })
    procs.push(child)
    const http = `127.0.0.1:${port}`
    await eventually(`${name} answers /healthz`, async () => ((await fetch(`http://${http}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined), 30_000)
    return { child, http }
  }

  beforeAll(async () => {
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' })
    if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build failed: dist/cli/main.js missing')
    dir = mkdtempSync(join(tmpdir(), 'runbook-'))
    writeFileSync(join(dir, 'admin.token'), `${TOKEN}\n`, { mode: 0o600 })
    mkdirSync(join(dir, 'bin'))
    writeFileSync(join(dir, 'bin', 'dht-sim'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    chmodSync(join(dir, 'bin', 'dht-sim'), 0o755)
    const a = await startNode('a', 'dht_region = "r1"')
    const self = (await (await fetch(`http://${a.http}/v1/self`)).json()) as { addrs: string[] }
    const boot = self.addrs.find((x) => x.startsWith('/ip4/127.0.0.1/'))!
    const b = await startNode('b', `dht_region = "r2"\ndht_bootstrap = ["${boot}"]`)
    // C runs the link shaper: the runbook's chaos drill injects and clears faults on it.
    const c = await startNode('c', `dht_region = "r2"\ndht_bootstrap = ["${boot}"]\ndht_link_shaper = true`)
    for (const n of [a, b, c]) {
      await eventually('ready', async () => ((await fetch(`http://${n.http}/readyz`)).status === 200 ? true : undefined), 60_000)
    }
    env = {
      PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: dir,
      METRICS_ADDR: a.http,
      RON_CONFIG: join(dir, 'a', 'dht.toml'),
      DHT_ADMIN_TOKEN_FILE: join(dir, 'admin.token'),
      ADMIN_SOCKET: join(dir, 'a', 'admin.sock'),
      DHT_PID: String(a.child.pid),
      NODE_B_ADDR: b.http,
      NODE_C_ADDR: c.http,
      STATE_DIR: join(dir, 'a', 'state'),
      KEY: `b3:${'ab'.repeat(32)}`,
    }
  }, 180_000)

  afterAll(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
  })

  it('has command blocks to run', () => {
    expect(blocks.length).toBeGreaterThan(15)
  })

  it('every command block runs as documented, in order', () => {
    for (const b of blocks) {
      const r = spawnSync('bash', ['-o', 'pipefail', '-ec', b.code], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 })
      const detail = `RUNBOOK.md line ${b.line}:\n${b.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
      expect(r.status, detail).toBe(b.expectExit)
    }
  }, 600_000)
})
