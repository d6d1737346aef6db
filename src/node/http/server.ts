// HTTP on METRICS_ADDR: /metrics, /healthz, /readyz, the client API and admin actions.
//
// Theory of operation: one node:http server, a table of routes, no framework. Every answer is
// JSON (except /metrics) and every error has the shape {"error": code, "message": text} with no
// stack trace or secret in it. The client API is bounded: at most `maxInflight` client calls
// run at once (the rest get 429), bodies are capped (413), and while the node is not ready,
// draining or in degraded mode, client calls get 503. Admin routes need
// `Authorization: Bearer <token>`; anything else gets 401 and is counted in
// rejected_total{reason="unauthenticated"}. The same routes can also be served on a Unix domain
// socket (created mode 0600): there the file's permissions are the authority and admin routes
// need no token — no network listener carries admin power the operator did not give it.
// Routes beyond the built-in ones (admin.ts) are passed in; a `stream` route writes its own
// answer (the event tail).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { chmod, unlink } from 'node:fs/promises'
import { timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { LookupOp, LookupResult } from '../../engine/index.js'
import { wireKeyFromString, wireKeyToString, peerIdBytesFromString } from '../../wire/keys.js'
import { newCorrId, type NodeLogger } from '../log.js'
import type { NodeMetrics } from './metrics.js'
import { BindError } from '../host/libp2p-node.js'

/** Largest request body accepted (admin and provide bodies are tiny JSON). */
export const MAX_BODY_BYTES = 4096
/** Longest URL accepted. */
const MAX_URL_LENGTH = 1024

export interface ReadinessReport {
  readonly ready: boolean
  readonly conditions: Readonly<Record<string, boolean>>
  readonly failing: readonly string[]
  readonly reason: string
}

/** What the HTTP layer needs from the node. */
export interface NodeApi {
  readiness(): ReadinessReport
  lookup(op: LookupOp, key: Uint8Array, corrId: string): Promise<LookupResult>
  degraded: boolean
  /** Peers an ADD_PROVIDER goes to (the engine's replication factor). */
  replication(): number
  /** Copies of our record for `key` seen among the k closest peers (asked, not assumed). */
  replicasOf?(key: Uint8Array, target: number): Promise<number>
}

export interface HttpOptions {
  readonly host: string
  readonly port: number
  readonly api: NodeApi
  readonly metrics: NodeMetrics
  readonly log: NodeLogger
  readonly adminToken?: string
  readonly maxInflight: number
  /** More routes (admin.ts); matched after the built-in ones. */
  readonly routes?: readonly RouteSpec[]
  /** Also serve on this Unix domain socket path (mode 0600; admin without a token). */
  readonly unixSocket?: string
  /** Open connections at most; more are closed at accept (default 256). */
  readonly maxConnections?: number
  /** Keep-alive idle time, and time a new connection has to send its request headers (default 5 s). */
  readonly idleTimeoutMs?: number
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export type Handler = (req: IncomingMessage & { body?: string }, params: string[], corrId: string) => Promise<[number, unknown]>
/** Writes the whole answer itself (long-lived streams); errors thrown before writing become JSON. */
export type StreamHandler = (req: IncomingMessage, res: ServerResponse, params: string[], corrId: string) => Promise<void>

export interface RouteSpec {
  readonly method: string
  readonly re: RegExp
  readonly op: string
  readonly client: boolean
  readonly admin: boolean
  readonly handler?: Handler
  readonly stream?: StreamHandler
  /** Checks the path parameters before readiness and limits: a malformed key is 400, ready or not. */
  readonly validate?: (params: string[]) => void
}

export class HttpServer {
  private readonly server: Server
  private unixServer: Server | undefined
  private inflight = 0
  private adminToken: string | undefined
  private readonly routes: RouteSpec[]

  constructor(private readonly opts: HttpOptions) {
    this.adminToken = opts.adminToken
    this.routes = [
      { method: 'GET', re: /^\/v1\/providers\/([^/]+)$/, op: 'api_find_providers', client: true, admin: false, handler: (_r, p, c) => this.findProviders(p[0]!, c), validate: (p) => void parseKey(p[0]!) },
      { method: 'POST', re: /^\/v1\/providers\/([^/]+)$/, op: 'api_provide', client: true, admin: false, handler: (r, p, c) => this.provide(p[0]!, c, /[?&]verify=(1|true)\b/.test(r.url ?? '')), validate: (p) => void parseKey(p[0]!) },
      { method: 'GET', re: /^\/v1\/peers\/([^/]+)$/, op: 'api_find_peer', client: true, admin: false, handler: (_r, p, c) => this.findPeer(p[0]!, c), validate: (p) => validPeer(p[0]!) },
      ...(opts.routes ?? []),
    ]
    const idle = opts.idleTimeoutMs ?? 5_000
    // Node enforces the header and request timeouts on a periodic sweep (30 s by default): sweep
    // every second, so a socket that sends nothing is gone within idle + 1 s.
    this.server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => void this.handle(req, res))
    this.server.maxConnections = opts.maxConnections ?? 256
    this.server.keepAliveTimeout = idle
    this.server.headersTimeout = idle
    this.server.requestTimeout = 30_000
    // No byte either way for this long, even mid-request: the socket is closed.
    this.server.timeout = 60_000
    this.server.on('drop', () => this.opts.metrics.rejected('http-connections'))
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        if (e.code === 'EADDRINUSE') reject(new BindError(`Bind: ${this.opts.host}:${this.opts.port} already in use`))
        else if (e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES') reject(new BindError(`Bind: ${this.opts.host}:${this.opts.port} ${e.code === 'EACCES' ? 'permission denied' : 'address not available'}`))
        else reject(e)
      }
      this.server.once('error', onError)
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', onError)
        resolve()
      })
    })
    if (this.opts.unixSocket !== undefined) await this.listenUnix(this.opts.unixSocket)
    return this.server.address() as AddressInfo
  }

  private async listenUnix(path: string): Promise<void> {
    // A socket file left by a killed run would make listen fail with EADDRINUSE.
    await unlink(path).catch(() => undefined)
    const server = createServer((req, res) => void this.handle(req, res, true))
    server.headersTimeout = 10_000
    server.requestTimeout = 0 // the event tail is long-lived
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new BindError(`Bind: admin socket ${path}: ${e.code ?? e.message}`)))
      // Created 0600 whatever the umask (bind happens inside listen, synchronously): nobody but
      // the node's user may connect, not even between bind and a later chmod.
      const umask = process.umask(0o177)
      try {
        server.listen(path, () => resolve())
      } finally {
        process.umask(umask)
      }
    })
    await chmod(path, 0o600)
    this.unixServer = server
  }

  /** SIGHUP: a new token takes effect for the next request; undefined disables admin. */
  setAdminToken(token: string | undefined): void {
    this.adminToken = token
  }

  get listening(): boolean {
    return this.server.listening
  }

  get clientInflight(): number {
    return this.inflight
  }

  async close(): Promise<void> {
    this.server.closeIdleConnections()
    const u = this.unixServer
    if (u !== undefined) {
      u.closeAllConnections()
      await new Promise<void>((resolve) => u.close(() => resolve()))
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Stops accepting keep-alive reuse; open sockets end after their current request. */
  closeAll(): void {
    this.server.closeAllConnections()
  }

  private async handle(req: IncomingMessage, res: ServerResponse, local = false): Promise<void> {
    const url = req.url ?? '/'
    const method = req.method ?? 'GET'
    const path = url.split('?', 1)[0]!
    try {
      if (url.length > MAX_URL_LENGTH) throw new HttpError(414, 'uri-too-long', `URL longer than ${MAX_URL_LENGTH} characters`)
      if (method === 'GET' && path === '/metrics') {
        const body = await this.opts.metrics.text()
        res.writeHead(200, { 'content-type': this.opts.metrics.contentType })
        res.end(body)
        return
      }
      if (method === 'GET' && path === '/healthz') return send(res, 200, { status: 'alive' })
      if (method === 'GET' && path === '/readyz') {
        const r = this.opts.api.readiness()
        return send(res, r.ready ? 200 : 503, { ready: r.ready, conditions: r.conditions, failing: r.failing, reason: r.reason })
      }
      let pathMatched = false
      for (const route of this.routes) {
        const m = route.re.exec(path)
        if (m === null) continue
        pathMatched = true
        if (method === route.method) return await this.run(route, req, res, m.slice(1), local)
      }
      if (pathMatched) throw new HttpError(405, 'method-not-allowed', `${method} not allowed here`)
      throw new HttpError(404, 'no-route', 'no such endpoint')
    } catch (e) {
      this.fail(res, e, 'http')
    }
  }

  private async run(route: RouteSpec, req: IncomingMessage, res: ServerResponse, params: string[], local: boolean): Promise<void> {
    const corrId = newCorrId()
    const t0 = performance.now()
    let status = 500
    try {
      if (route.admin && !local) this.authenticate(req)
      if (route.stream !== undefined) {
        status = 200
        await route.stream(req, res, params, corrId)
        return
      }
      const body = await readBody(req)
      ;(req as IncomingMessage & { body?: string }).body = body
      route.validate?.(params)
      if (route.client) {
        if (this.opts.api.degraded) throw new HttpError(503, 'degraded', 'the node is in degraded mode')
        const r = this.opts.api.readiness()
        if (!r.ready) throw new HttpError(503, 'not-ready', `not ready: ${r.failing.join(', ')}`)
        if (this.inflight >= this.opts.maxInflight) throw new HttpError(429, 'rate-limited', 'too many requests in flight; retry later')
      }
      this.inflight += route.client ? 1 : 0
      try {
        const [s, payload] = await route.handler!(req, params, corrId)
        status = s
        send(res, s, payload)
      } finally {
        this.inflight -= route.client ? 1 : 0
      }
    } catch (e) {
      status = this.fail(res, e, route.op, corrId)
    } finally {
      const ms = performance.now() - t0
      this.opts.metrics.served(route.op, String(status), ms / 1000)
      this.opts.log.info({ corr_id: corrId, op: route.op, status, ms: Math.round(ms * 10) / 10 }, 'http request')
    }
  }

  private authenticate(req: IncomingMessage): void {
    const token = this.adminToken
    const h = req.headers.authorization ?? ''
    const given = h.startsWith('Bearer ') ? h.slice(7) : ''
    // Compared as bytes: a header of the same length in characters may differ in bytes.
    const a = Buffer.from(given)
    const b = Buffer.from(token ?? '')
    const ok = b.length > 0 && a.length === b.length && timingSafeEqual(a, b)
    if (!ok) {
      this.opts.metrics.rejected('unauthenticated')
      throw new HttpError(401, 'unauthenticated', 'admin actions need Authorization: Bearer <token>')
    }
  }

  private fail(res: ServerResponse, e: unknown, op: string, corrId?: string): number {
    if (e instanceof HttpError && e.status === 413) {
      // The body is not read: answer, then close the connection instead of draining the upload.
      this.opts.metrics.rejected('http-body-too-large')
      if (!res.headersSent) res.setHeader('connection', 'close')
      res.once('finish', () => res.socket?.destroy())
    }
    if (e instanceof HttpError) {
      if (!res.headersSent) send(res, e.status, { error: e.code, message: e.message, ...(corrId ? { corr_id: corrId } : {}) })
      return e.status
    }
    this.opts.log.error({ corr_id: corrId, op, err: String((e as Error)?.message ?? e) }, 'internal error')
    if (!res.headersSent) send(res, 500, { error: 'internal', message: 'internal error', ...(corrId ? { corr_id: corrId } : {}) })
    return 500
  }

  // ------------------------------------------------------------------ client API

  private async findProviders(rawKey: string, corrId: string): Promise<[number, unknown]> {
    const key = parseKey(rawKey)
    const r = await this.lookup('GET_PROVIDERS', key.bytes, corrId)
    if (!r.success || r.providers.length === 0) throw new HttpError(404, 'not-found', 'no providers found for this key')
    return [200, { key: wireKeyToString(key.bytes), providers: r.providers.map((p) => ({ peer: p.peer, addrs: withPeer(p.addrs, p.peer) })), hops: r.hops, ms: Math.round(r.endMs - r.startMs) }]
  }

  /**
   * ADD_PROVIDER has no acknowledgement: `sent_to` counts the peers the record was sent to.
   * With ?verify=1 the k closest are then asked, and `replicated` is the copies seen.
   */
  private async provide(rawKey: string, corrId: string, verify: boolean): Promise<[number, unknown]> {
    const key = parseKey(rawKey)
    const r = await this.lookup('PROVIDE', key.bytes, corrId)
    if (!r.success) throw new HttpError(503, 'no-peers', 'no peer found to store the record')
    const sentTo = Math.min(this.opts.api.replication(), r.closest.length)
    const out: Record<string, unknown> = { key: wireKeyToString(key.bytes), sent_to: sentTo, hops: r.hops, ms: Math.round(r.endMs - r.startMs) }
    if (verify && this.opts.api.replicasOf !== undefined) out.replicated = await this.opts.api.replicasOf(key.bytes, sentTo)
    return [200, out]
  }

  private async findPeer(rawPeer: string, corrId: string): Promise<[number, unknown]> {
    const peer = safeDecode(rawPeer)
    const idBytes = peerIdBytesFromString(peer)
    if (!idBytes.ok) throw new HttpError(400, 'bad-key', idBytes.error)
    const r = await this.lookup('FIND_NODE', idBytes.value, corrId)
    const hit = r.closest.find((c) => c.peer === peer)
    if (hit === undefined) throw new HttpError(404, 'not-found', 'peer not found')
    return [200, { peer: hit.peer, addrs: withPeer(hit.addrs, hit.peer), hops: r.hops, ms: Math.round(r.endMs - r.startMs) }]
  }

  private async lookup(op: LookupOp, key: Uint8Array, corrId: string): Promise<LookupResult> {
    const r = await this.opts.api.lookup(op, key, corrId)
    if (r.error === 'busy') throw new HttpError(429, 'rate-limited', 'lookup queue full; retry later')
    if (r.error === 'stopped') throw new HttpError(503, 'not-ready', 'the node is shutting down')
    return r
  }

  // ------------------------------------------------------------------ admin


}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    throw new HttpError(400, 'bad-key', 'bad percent-encoding')
  }
}

/** Addresses a client can dial as they are: each ends in /p2p/<peer id>. */
function withPeer(addrs: readonly string[], peer: string): string[] {
  return addrs.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${peer}`))
}

function validPeer(raw: string): void {
  const r = peerIdBytesFromString(safeDecode(raw))
  if (!r.ok) throw new HttpError(400, 'bad-key', r.error)
}

export function parseKey(raw: string): { bytes: Uint8Array } {
  const r = wireKeyFromString(safeDecode(raw))
  if (!r.ok) throw new HttpError(400, 'bad-key', r.error)
  return r.value
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    throw new HttpError(413, 'too-large', `body larger than ${MAX_BODY_BYTES} bytes`)
  }
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of req) {
    const b = c as Buffer
    n += b.length
    if (n > MAX_BODY_BYTES) {
      throw new HttpError(413, 'too-large', `body larger than ${MAX_BODY_BYTES} bytes`)
    }
    chunks.push(b)
  }
  return Buffer.concat(chunks).toString('utf8')
}
