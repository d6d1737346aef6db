// Real Prometheus in the testbed's loop: Debian's `prometheus` server scrapes every node's
// /metrics, evaluates deploy/prometheus/alerts.yml (the rules production runs), and the testbed
// records when each alert fired and cleared from Prometheus' own HTTP API.
//
// Theory of operation: the server runs in a temporary directory (its config, its TSDB, a file_sd
// target list) on a free loopback port, with the production intervals (scrape and evaluation
// every 15 s). The testbed rewrites the target list as nodes start and stop (renamed into place,
// so Prometheus never reads half a file); each target carries instance="n<index>". Once a second
// the testbed asks /api/v1/alerts which alerts are firing: an alert's episode opens at the first
// poll that sees one of its instances firing and closes at the first poll that sees none (poll
// granularity 1 s, far below the 15 s evaluation interval). The server is stopped by its process
// id (SIGTERM, then SIGKILL) and its directory removed, whatever happened.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { BadInputError } from '../common/errors.js'
import type { AlertRecord } from '../sim/report-types.js'

/** The production intervals (deploy/prometheus/alerts.yml evaluates every 15 s). */
export const SCRAPE_INTERVAL_S = 15
export const EVALUATION_INTERVAL_S = 15
const READY_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 10_000

/** The prometheus binary on PATH, or a BadInputError naming the Debian package. */
export function findPrometheus(pathEnv = process.env.PATH ?? ''): string {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === '') continue
    const f = join(dir, 'prometheus')
    try {
      accessSync(f, constants.X_OK)
      return f
    } catch {
      // not here
    }
  }
  throw new BadInputError('prometheus: not found on PATH; install the Debian package `prometheus` (apt-get install prometheus), or pass --no-prometheus')
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

interface Episode {
  fired_s: number
  cleared_s: number | null
  instances: Set<string>
}

export class PrometheusServer {
  readonly pid: number
  private readonly episodes: { name: string; e: Episode }[] = []
  private readonly open = new Map<string, Episode>()
  private exited = false
  private lastError = ''

  private constructor(
    private readonly proc: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {
    this.pid = proc.pid ?? -1
    proc.once('exit', () => (this.exited = true))
    process.once('exit', this.onOwnerExit)
    proc.stderr?.on('data', (b: Buffer) => {
      const s = b.toString()
      if (/level=(error|fatal)|err=/.test(s)) this.lastError = s.trim().split('\n').at(-1) ?? ''
    })
  }

  /** Starts the server with `rulesFile` and waits until it is ready (intervals: the production ones unless given). */
  static async start(binary: string, rulesFile: string, intervals: { scrapeS?: number; evaluationS?: number } = {}): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'dht-testbed-prom-'))
    const port = await freePort()
    const targets = join(dir, 'targets.json')
    writeFileSync(targets, '[]\n')
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        `  scrape_interval: ${intervals.scrapeS ?? SCRAPE_INTERVAL_S}s`,
        `  evaluation_interval: ${intervals.evaluationS ?? EVALUATION_INTERVAL_S}s`,
        'rule_files:',
        `  - ${JSON.stringify(rulesFile)}`,
        'scrape_configs:',
        '  - job_name: dht-testbed',
        '    file_sd_configs:',
        `      - files: [${JSON.stringify(targets)}]`,
        '        refresh_interval: 5s',
        '',
      ].join('\n'),
    )
    const proc = spawn(
      binary,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    const p = new PrometheusServer(proc, dir, port)
    const deadline = performance.now() + READY_TIMEOUT_MS
    for (;;) {
      if (p.exited) {
        p.cleanup()
        throw new Error(`prometheus exited during start-up${p.lastError !== '' ? `: ${p.lastError}` : ''}`)
      }
      try {
        const r = await fetch(`http://127.0.0.1:${port}/-/ready`)
        await r.arrayBuffer()
        if (r.ok) return p
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) {
        await p.stop()
        throw new Error(`prometheus not ready after ${READY_TIMEOUT_MS / 1000} s`)
      }
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  /** The scrape targets now: node index -> its HTTP port. */
  setTargets(targets: readonly { readonly idx: number; readonly port: number }[]): void {
    const groups = targets.map((t) => ({ targets: [`127.0.0.1:${t.port}`], labels: { instance: `n${t.idx}` } }))
    const tmp = join(this.dir, 'targets.json.tmp')
    writeFileSync(tmp, `${JSON.stringify(groups)}\n`)
    renameSync(tmp, join(this.dir, 'targets.json'))
  }

  /** One look at the firing alerts, at `nowS` seconds into the run. */
  async poll(nowS: number): Promise<void> {
    if (this.exited) return
    let firing: { name: string; instance: string }[]
    try {
      const r = await fetch(`http://127.0.0.1:${this.port}/api/v1/alerts`)
      const body = (await r.json()) as { data?: { alerts?: { labels?: Record<string, string>; state?: string }[] } }
      firing = (body.data?.alerts ?? []).filter((a) => a.state === 'firing').map((a) => ({ name: a.labels?.alertname ?? '?', instance: a.labels?.instance ?? '' }))
    } catch {
      return // a missed poll: the next one sees the same state
    }
    const now = Math.round(nowS * 10) / 10
    const names = new Set(firing.map((f) => f.name))
    for (const f of firing) {
      let e = this.open.get(f.name)
      if (e === undefined) {
        e = { fired_s: now, cleared_s: null, instances: new Set() }
        this.open.set(f.name, e)
        this.episodes.push({ name: f.name, e })
      }
      e.instances.add(f.instance)
    }
    for (const [name, e] of this.open) {
      if (names.has(name)) continue
      e.cleared_s = now
      this.open.delete(name)
    }
  }

  /** The episodes so far, in the order they fired (open ones with cleared_s null). */
  alerts(): AlertRecord[] {
    return this.episodes.map(({ name, e }) => ({ name, fired_s: e.fired_s, cleared_s: e.cleared_s, instances: e.instances.size }))
  }

  /** Stops the server by its process id (SIGTERM, SIGKILL after a grace) and removes its directory. */
  async stop(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((r) => this.proc.once('exit', () => r()))
      this.proc.kill('SIGTERM')
      const t = setTimeout(() => {
        if (!this.exited) this.proc.kill('SIGKILL')
      }, STOP_GRACE_MS)
      await gone
      clearTimeout(t)
    }
    this.cleanup()
  }

  /**
   * Our process is ending without stop(): an uncaught error, or a write to a closed pipe (`dht-sim
   * testbed ... | head`). The server must not outlive it; an exit handler cannot wait, so SIGKILL.
   */
  private readonly onOwnerExit = (): void => {
    if (!this.exited) this.proc.kill('SIGKILL')
    this.cleanup()
  }

  private cleanup(): void {
    process.removeListener('exit', this.onOwnerExit)
    rmSync(this.dir, { recursive: true, force: true })
  }
}
