// Operator routes beyond the client API: status, the PQ switch, the event tail, repair, reprovide, peers,
// and the node's own identity. All /admin/* routes need the admin token (or the Unix socket);
// every state change is logged at warn with `audit` and emitted on the event tail.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseTopics, type EventBus, type NodeEvent, type Subscriber } from '../events.js'
import type { NodeLogger } from '../log.js'
import { HttpError, parseKey, type RouteSpec } from './server.js'
import { DEFAULT_RF_TARGET } from '../repair/rf-tracker.js'

/** Bytes an event-tail reader may leave unread before it is dropped. */
export const TAIL_MAX_BUFFERED_BYTES = 256 * 1024
/** Events replayed from the ring at most. */
export const TAIL_MAX_REPLAY = 1024

export interface RepairRequest {
  readonly key: Uint8Array
  readonly rf: number
  readonly preferRegion?: string
  readonly corrId: string
}

export interface AdminApi {
  status(): Record<string, unknown>
  self(): Record<string, unknown>
  peers(): Array<Record<string, unknown>>
  setRequirePq(on: boolean, by: string): { changed: boolean; require_pq_on: boolean }
  repair(r: RepairRequest): Promise<Record<string, unknown>>
  replicas(key: Uint8Array, rfTarget: number): Promise<Record<string, unknown>>
  /** Re-announces now every key the node provides; the number of keys. Audited. */
  reprovide(by: string): { keys: number }
  /** Starts a drain as SIGTERM would (the process exits when it ends). */
  requestDrain(by: string): void
  degraded: boolean
  readonly events: EventBus
}

export function adminRoutes(api: AdminApi, log: NodeLogger): RouteSpec[] {
  return [
    { method: 'GET', re: /^\/v1\/self$/, op: 'api_self', client: false, admin: false, handler: async () => [200, api.self()] },
    { method: 'GET', re: /^\/admin\/status$/, op: 'admin_status', client: false, admin: true, handler: async () => [200, api.status()] },
    { method: 'GET', re: /^\/admin\/peers$/, op: 'admin_peers', client: false, admin: true, handler: async () => [200, { peers: api.peers() }] },
    {
      method: 'POST',
      re: /^\/admin\/degraded$/,
      op: 'admin_degraded',
      client: false,
      admin: true,
      handler: async (req) => {
        const on = boolField(req, 'on')
        const was = api.degraded
        api.degraded = on
        log.warn({ audit: 'degraded', degraded: on, by: by(req) }, 'degraded mode changed')
        if (was !== on) api.events.emit('admin', { event: 'degraded_changed', degraded: on, by: by(req) })
        return [200, { degraded: on }]
      },
    },
    {
      method: 'POST',
      re: /^\/admin\/pq$/,
      op: 'admin_pq',
      client: false,
      admin: true,
      handler: async (req) => [200, api.setRequirePq(boolField(req, 'require'), by(req))],
    },
    {
      method: 'POST',
      re: /^\/admin\/repair\/([^/]+)$/,
      op: 'admin_repair',
      client: false,
      admin: true,
      handler: async (req, p, corrId) => {
        const key = parseKey(p[0]!)
        const q = query(req)
        const rf = rfOf(q)
        const region = q.get('prefer_region') ?? undefined
        if (region !== undefined && !/^[A-Za-z0-9._-]{1,32}$/.test(region)) throw new HttpError(400, 'bad-request', 'prefer_region must be 1-32 characters [A-Za-z0-9._-]')
        return [200, await api.repair({ key: key.bytes, rf, ...(region !== undefined ? { preferRegion: region } : {}), corrId })]
      },
    },
    {
      method: 'GET',
      re: /^\/admin\/replicas\/([^/]+)$/,
      op: 'admin_replicas',
      client: false,
      admin: true,
      handler: async (req, p) => {
        const key = parseKey(p[0]!)
        return [200, await api.replicas(key.bytes, rfOf(query(req)))]
      },
    },
    {
      method: 'POST',
      re: /^\/admin\/reprovide$/,
      op: 'admin_reprovide',
      client: false,
      admin: true,
      handler: async (req) => [202, api.reprovide(by(req))],
    },
    {
      method: 'POST',
      re: /^\/admin\/drain$/,
      op: 'admin_drain',
      client: false,
      admin: true,
      handler: async (req) => {
        api.requestDrain(by(req))
        return [202, { draining: true }]
      },
    },
    { method: 'GET', re: /^\/admin\/events$/, op: 'admin_events', client: false, admin: true, stream: (req, res) => tail(api.events, req, res) },
  ]
}

function by(req: IncomingMessage): string {
  return req.socket.remoteAddress !== undefined ? `http:${req.socket.remoteAddress}` : 'unix-socket'
}

/** ?rf=<1..20>, the replication target (default DEFAULT_RF_TARGET). */
function rfOf(q: URLSearchParams): number {
  const text = q.get('rf')
  if (text === null) return DEFAULT_RF_TARGET
  const rf = Number(text)
  if (!(Number.isInteger(rf) && rf >= 1 && rf <= 20)) throw new HttpError(400, 'bad-request', 'rf must be an integer from 1 to 20')
  return rf
}

function query(req: IncomingMessage): URLSearchParams {
  return new URLSearchParams((req.url ?? '').split('?')[1] ?? '')
}

/** A boolean from ?name=1|0|true|false|on|off or a JSON body {"name": bool}. */
function boolField(req: IncomingMessage & { body?: string }, name: string): boolean {
  const qs = query(req).get(name)
  if (qs !== null) {
    if (['1', 'true', 'on'].includes(qs)) return true
    if (['0', 'false', 'off'].includes(qs)) return false
  } else if ((req.body ?? '').length > 0) {
    try {
      const j = JSON.parse(req.body!) as Record<string, unknown>
      if (typeof j[name] === 'boolean') return j[name]
    } catch {
      // fall through to the error below
    }
  }
  throw new HttpError(400, 'bad-request', `send {"${name}": true|false} or ?${name}=1|0`)
}

/**
 * The event tail as newline-delimited JSON (application/x-ndjson), one event per line:
 * ?topic=a,b filters, ?replay=N first sends up to N recent events from the ring, ?follow=0 ends
 * after the replay. A reader that leaves more than TAIL_MAX_BUFFERED_BYTES unread is dropped
 * with a last line {"topic":"tail","event":"dropped",...}.
 */
async function tail(bus: EventBus, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const q = query(req)
  let topics: Set<string>
  try {
    topics = parseTopics(q.get('topic'))
  } catch (e) {
    throw new HttpError(400, 'bad-topic', (e as Error).message)
  }
  const replayText = q.get('replay') ?? '0'
  const replay = Number(replayText)
  if (!Number.isInteger(replay) || replay < 0) throw new HttpError(400, 'bad-request', 'replay must be a whole number')
  const follow = q.get('follow') !== '0'
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', 'x-accel-buffering': 'no' })
  for (const e of bus.recent(Math.min(replay, TAIL_MAX_REPLAY), topics)) res.write(`${JSON.stringify(e)}\n`)
  if (!follow) {
    res.end()
    return
  }
  // A quiet tail is not an idle socket: the server's 60 s inactivity timeout would cut it.
  res.setTimeout(0)
  // Headers out at once so a client sees the stream open before the first event.
  res.write(`${JSON.stringify({ topic: 'tail', event: 'subscribed', topics: [...topics] })}\n`)
  await new Promise<void>((resolve) => {
    let unsubscribe: () => void = () => undefined
    const sub: Subscriber = {
      topics,
      push(e: NodeEvent): boolean {
        if (res.writableLength > TAIL_MAX_BUFFERED_BYTES) return false
        res.write(`${JSON.stringify(e)}\n`)
        return true
      },
      dropped(reason: string): void {
        res.end(`${JSON.stringify({ topic: 'tail', event: 'dropped', reason })}\n`)
        // A reader that stopped reading would never take the FIN: the socket goes too.
        if (reason.startsWith('slow')) res.socket?.destroy()
        resolve()
      },
    }
    unsubscribe = bus.subscribe(sub)
    res.on('close', () => {
      unsubscribe()
      resolve()
    })
  })
}
