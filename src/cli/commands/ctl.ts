// `dht-sim ctl`: the operator's control tool for a running node, over its admin HTTP API.
//
// It finds the node from --admin-socket (a Unix socket; no token needed there), else
// --admin-addr, else the environment (DHT_ADMIN_SOCKET, METRICS_ADDR), else 127.0.0.1:9909.
// The token comes from --token-file, DHT_ADMIN_TOKEN_FILE or DHT_ADMIN_TOKEN — never from a flag
// value, which any user could read in `ps`. Every failure is one line on stderr and an exit
// code (README "Exit codes"): 2 bad input, 4 node unreachable, 5 authentication refused or no
// token, 6 the node refused or could not do it (not ready, no such endpoint), 1 the action ran
// but fell short (repair below its target, status not ready with --check).
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import type { Command } from 'commander'
import { BadInputError } from '../../common/errors.js'
import { EXIT_GATE_FAILED, EXIT_NODE_REFUSED, EXIT_UNAUTHORIZED, EXIT_UNREACHABLE } from '../exit-codes.js'

export class CtlError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message)
  }
}

interface Target {
  readonly socketPath?: string
  readonly host: string
  readonly port: number
  readonly token?: string
  readonly timeoutMs: number
}

interface CtlOptions {
  adminAddr?: string
  adminSocket?: string
  tokenFile?: string
  timeoutMs?: string
}

export function targetOf(o: CtlOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const timeoutMs = o.timeoutMs === undefined ? 30_000 : Number(o.timeoutMs)
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new BadInputError(`--timeout-ms: expected a positive whole number, got "${o.timeoutMs}"`)
  const socketPath = o.adminSocket ?? (o.adminAddr === undefined ? env.DHT_ADMIN_SOCKET : undefined)
  const token = tokenOf(o, env)
  if (socketPath !== undefined && socketPath !== '') return { socketPath, host: 'localhost', port: 0, timeoutMs, ...(token !== undefined ? { token } : {}) }
  const addr = o.adminAddr ?? env.METRICS_ADDR ?? '127.0.0.1:9909'
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(addr)
  if (m === null || Number(m[2]) > 65535) throw new BadInputError(`--admin-addr: expected <host>:<port>, got "${addr}"`)
  const host = m[1]!.replace(/^\[|\]$/g, '')
  const resolved = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return { host: resolved, port: Number(m[2]), timeoutMs, ...(token !== undefined ? { token } : {}) }
}

function tokenOf(o: CtlOptions, env: NodeJS.ProcessEnv): string | undefined {
  const file = o.tokenFile ?? env.DHT_ADMIN_TOKEN_FILE
  if (file !== undefined && file !== '') {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      throw new BadInputError(`--token-file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    const t = (text.split(/\r?\n/, 1)[0] ?? '').trim()
    if (t === '') throw new BadInputError(`--token-file: ${file} is empty`)
    return t
  }
  const t = env.DHT_ADMIN_TOKEN
  return t !== undefined && t !== '' ? t : undefined
}

export interface CtlResponse {
  readonly status: number
  readonly body: Record<string, unknown>
}

function where(t: Target): string {
  return t.socketPath !== undefined ? `unix:${t.socketPath}` : `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`
}

/** One JSON request to the node; unreachable and 401 become CtlErrors. */
export function call(t: Target, method: string, path: string, body?: unknown): Promise<CtlResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      {
        method,
        path,
        ...(t.socketPath !== undefined ? { socketPath: t.socketPath } : { host: t.host, port: t.port }),
        headers: {
          ...(t.token !== undefined ? { authorization: `Bearer ${t.token}` } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: t.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: Record<string, unknown>
          try {
            parsed = JSON.parse(text) as Record<string, unknown>
          } catch {
            parsed = { text }
          }
          const status = res.statusCode ?? 0
          if (status === 401) {
            reject(new CtlError(`${where(t)}: authentication refused (401): ${t.token === undefined ? 'no token given (--token-file, DHT_ADMIN_TOKEN_FILE or DHT_ADMIN_TOKEN)' : 'wrong token'}`, EXIT_UNAUTHORIZED))
            return
          }
          resolve({ status, body: parsed })
        })
        res.on('error', (e) => reject(new CtlError(`${where(t)}: ${e.message}`, EXIT_UNREACHABLE)))
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${t.timeoutMs} ms`)))
    req.on('error', (e: NodeJS.ErrnoException) => reject(new CtlError(`${where(t)}: node unreachable (${e.code ?? e.message})`, EXIT_UNREACHABLE)))
    if (payload !== undefined) req.write(payload)
    req.end()
  })
}

/** A non-2xx answer as a CtlError: 400 is bad input (2), anything else the node's refusal (6). */
function expectOk(r: CtlResponse, what: string): Record<string, unknown> {
  if (r.status >= 200 && r.status < 300) return r.body
  const msg = typeof r.body.message === 'string' ? r.body.message : typeof r.body.text === 'string' ? r.body.text : `HTTP ${r.status}`
  if (r.status === 400) throw new BadInputError(`${what}: ${msg}`)
  if (r.status === 404 && r.body.error === 'no-route') throw new CtlError(`${what}: this node does not offer it (404 no such endpoint)`, EXIT_NODE_REFUSED)
  throw new CtlError(`${what}: the node refused (${r.status} ${String(r.body.error ?? '')}): ${msg}`, EXIT_NODE_REFUSED)
}

function print(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`)
}

function onOff(v: string | undefined, flag: string): boolean {
  if (v === 'on' || v === 'true' || v === '1') return true
  if (v === 'off' || v === 'false' || v === '0') return false
  throw new BadInputError(`${flag}: expected on or off, got "${v}"`)
}

/** Follows the event tail, writing each JSON line to stdout until the node ends it (or ^C). */
function tail(t: Target, query: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: 'GET',
        path: `/admin/events${query}`,
        ...(t.socketPath !== undefined ? { socketPath: t.socketPath } : { host: t.host, port: t.port }),
        headers: t.token !== undefined ? { authorization: `Bearer ${t.token}` } : {},
      },
      (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            let body: Record<string, unknown> = {}
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
            } catch {
              // not JSON
            }
            if (res.statusCode === 401) reject(new CtlError(`${where(t)}: authentication refused (401)`, EXIT_UNAUTHORIZED))
            else {
              try {
                expectOk({ status: res.statusCode ?? 0, body }, 'tail')
              } catch (e) {
                reject(e as Error)
              }
            }
          })
          return
        }
        res.pipe(process.stdout, { end: false })
        res.on('end', () => resolve())
        // The connection broke mid-stream (the node died, a proxy cut it): not a clean end.
        res.on('error', (e: NodeJS.ErrnoException) => reject(new CtlError(`${where(t)}: event tail broken (${e.code ?? e.message})`, EXIT_UNREACHABLE)))
      },
    )
    req.on('error', (e: NodeJS.ErrnoException) => reject(new CtlError(`${where(t)}: node unreachable (${e.code ?? e.message})`, EXIT_UNREACHABLE)))
    process.once('SIGINT', () => {
      req.destroy()
      resolve()
    })
    req.end()
  })
}

export function registerCtl(program: Command): void {
  const ctl = program
    .command('ctl')
    .description('control a running node over its admin API (see RUNBOOK.md)')
    .option('--admin-addr <host:port>', 'the node\'s HTTP address (env METRICS_ADDR; default 127.0.0.1:9909)')
    .option('--admin-socket <path>', 'the node\'s admin Unix socket (env DHT_ADMIN_SOCKET); no token needed')
    .option('--token-file <file>', 'file holding the admin token (env DHT_ADMIN_TOKEN_FILE, or DHT_ADMIN_TOKEN)')
    .option('--timeout-ms <ms>', 'give up on an answer after this long (default 30000)')
  const target = (): Target => targetOf(ctl.opts<CtlOptions>())

  ctl
    .command('status')
    .description('the node\'s identity, readiness, table, PQ state (JSON)')
    .option('--check', 'exit 1 when the node is not ready')
    .action(async (o: { check?: boolean }) => {
      const s = expectOk(await call(target(), 'GET', '/admin/status'), 'status')
      print(s)
      if (o.check === true && s.ready !== true) throw new CtlError(`not ready: ${(s.failing as string[] | undefined)?.join(', ') ?? ''}`, EXIT_GATE_FAILED)
    })

  ctl
    .command('peers')
    .description('the routing table\'s peers, with PQ status and region')
    .action(async () => print(expectOk(await call(target(), 'GET', '/admin/peers'), 'peers')))

  ctl
    .command('set-degraded')
    .description('degraded mode: client calls get 503 and /readyz fails (audited)')
    .option('--on', 'enter degraded mode')
    .option('--off', 'leave degraded mode')
    .action(async (o: { on?: boolean; off?: boolean }) => {
      if (o.on === o.off) throw new BadInputError('set-degraded: give exactly one of --on and --off')
      print(expectOk(await call(target(), 'POST', '/admin/degraded', { on: o.on === true }), 'set-degraded'))
    })

  ctl
    .command('pq')
    .description('show PQ enforcement, or switch it with --require on|off (audited; the only way to switch it off at run time)')
    .option('--require <on|off>', 'REQUIRE_PQ_ON at run time')
    .action(async (o: { require?: string }) => {
      const t = target()
      if (o.require === undefined) {
        const s = expectOk(await call(t, 'GET', '/admin/status'), 'pq')
        print({ require_pq_on: s.require_pq_on, pq_fingerprint: s.pq_fingerprint, pq_authenticated_peers: s.pq_authenticated_peers, pq_pins: s.pq_pins })
        return
      }
      print(expectOk(await call(t, 'POST', '/admin/pq', { require: onOff(o.require, '--require') }), 'pq'))
    })

  ctl
    .command('replicas')
    .description('copies of this node\'s provider record among the k closest peers (rf_observed); exit 1 when fewer than --rf')
    .requiredOption('--key <key>', 'b3:<64 hex> or a CID')
    .option('--rf <n>', 'replication target to check against (1-20)', '3')
    .action(async (o: { key: string; rf: string }) => {
      const r = expectOk(await call(target(), 'GET', `/admin/replicas/${encodeURIComponent(o.key)}?${new URLSearchParams({ rf: o.rf }).toString()}`), 'replicas')
      print(r)
      if (r.below_target === true) throw new CtlError(`below target: ${String(r.rf_observed)} of ${String(r.rf_target)} copies observed`, EXIT_GATE_FAILED)
    })

  ctl
    .command('reprovide')
    .description('re-announce now every key the node provides (after switching to the strict profile: RUNBOOK.md, "Eclipse response")')
    .action(async () => {
      print(expectOk(await call(target(), 'POST', '/admin/reprovide'), 'reprovide'))
    })

  ctl
    .command('repair')
    .description('re-provide a key until rf copies are observed; exit 1 when the network falls short')
    .requiredOption('--key <key>', 'b3:<64 hex> or a CID')
    .option('--rf <n>', 'replication factor to reach (1-20)', '3')
    .option('--prefer-region <region>', 'hand copies to peers of this region first (where known)')
    .action(async (o: { key: string; rf: string; preferRegion?: string }) => {
      const q = new URLSearchParams({ rf: o.rf, ...(o.preferRegion !== undefined ? { prefer_region: o.preferRegion } : {}) })
      const r = expectOk(await call(target(), 'POST', `/admin/repair/${encodeURIComponent(o.key)}?${q.toString()}`), 'repair')
      print(r)
      if (r.status === 'short') throw new CtlError(`repair short: ${String(r.rf_after)} of ${String(r.rf_target)} copies observed`, EXIT_GATE_FAILED)
    })

  ctl
    .command('tail')
    .description('follow the node\'s event tail (JSON lines)')
    .option('--topic <topics>', 'comma-separated topics: lookup, peer, reject, ready, config, admin, pq, security, repair')
    .option('--replay <n>', 'first print up to n recent events', '0')
    .option('--no-follow', 'print the replayed events and stop')
    .action(async (o: { topic?: string; replay: string; follow: boolean }) => {
      const q = new URLSearchParams({ replay: o.replay, ...(o.topic !== undefined ? { topic: o.topic } : {}), ...(o.follow ? {} : { follow: '0' }) })
      await tail(target(), `?${q.toString()}`)
    })

  ctl
    .command('drain')
    .description('drain the node as SIGTERM would: not ready at once, in-flight work finishes, the process exits 0')
    .action(async () => print(expectOk(await call(target(), 'POST', '/admin/drain'), 'drain')))

  ctl
    .command('chaos')
    .description('link faults through the node\'s link shaper (/admin/faults; the node needs dht_link_shaper = on): inject one, --list the active ones, --clear one or all')
    .argument('[json]', 'a scenario fault, e.g. \'{"id":"wan","kind":"latency","add_ms":100,"targets":"all","for_s":60}\', or the endpoint\'s whole body {"fault": ..., "members": [...]}')
    .option('--list', 'print the active faults')
    .option('--clear <id>', 'remove the fault with this id ("all": every fault)')
    .action(async (json: string | undefined, o: { list?: boolean; clear?: string }) => {
      const modes = [json !== undefined, o.list === true, o.clear !== undefined].filter(Boolean).length
      if (modes !== 1) throw new BadInputError('chaos: give a fault JSON, --list or --clear <id> (exactly one)')
      if (o.list === true) {
        print(expectOk(await call(target(), 'GET', '/admin/faults'), 'chaos'))
        return
      }
      if (o.clear !== undefined) {
        if (o.clear !== 'all' && !/^[a-z0-9][a-z0-9_-]{0,47}$/.test(o.clear)) throw new BadInputError(`--clear: expected a fault id ([a-z0-9_-], up to 48) or "all", got "${o.clear}"`)
        print(expectOk(await call(target(), 'DELETE', o.clear === 'all' ? '/admin/faults' : `/admin/faults/${o.clear}`), 'chaos'))
        return
      }
      let body: unknown
      try {
        body = JSON.parse(json!)
      } catch {
        throw new BadInputError('chaos: the fault must be JSON')
      }
      const wrapped = typeof body === 'object' && body !== null && 'fault' in body ? body : { fault: body }
      print(expectOk(await call(target(), 'POST', '/admin/faults', wrapped), 'chaos'))
    })
}
