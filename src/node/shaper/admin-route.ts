// Admin routes of the link shaper: inject, list and clear link faults at run time, so an
// operator can run the runbook's chaos drill on a staging node (`dht_link_shaper = on`).
//   POST   /admin/faults        {"fault": {id, kind, percent|add_ms, targets, ...}, "members"?: [peer ids]}
//   GET    /admin/faults        the active faults
//   DELETE /admin/faults/<id>   removes one;  DELETE /admin/faults  removes all
// The fault is a scenario fault (netmodel/faults.ts) with at_s meaning "now" and for_s
// defaulting to the longest a scenario allows; it is removed when for_s has passed. Token-gated
// like every admin route; with the shaper off every route answers 409 naming the config key.
import * as z from 'zod'
import { faultSchema } from '../../netmodel/faults.js'
import { HttpError, type RouteSpec } from '../http/server.js'
import { ShaperInputError, type UserSpaceShaper } from './link-shaper.js'
import type { NodeLogger } from '../log.js'

const MAX_FOR_S = 30 * 86_400

const injectBody = z.strictObject({
  fault: z.record(z.string(), z.unknown()),
  members: z.array(z.string().min(1).max(128)).max(1000).optional(),
})

function issueLine(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.')
  return `${path === '' ? 'body' : path}: ${issue.message}`
}

export function shaperRoutes(shaper: () => UserSpaceShaper | undefined, log: NodeLogger): RouteSpec[] {
  const on = (): UserSpaceShaper => {
    const s = shaper()
    if (s === undefined) throw new HttpError(409, 'shaper-off', 'the link shaper is off (set dht_link_shaper = on and restart)')
    return s
  }
  return [
    {
      method: 'POST',
      re: /^\/admin\/faults$/,
      op: 'admin_fault_inject',
      client: false,
      admin: true,
      handler: async (req) => {
        const body = req.body ?? ''
        const s = on()
        let json: unknown
        try {
          json = JSON.parse(body)
        } catch {
          throw new HttpError(400, 'bad-request', 'body: not JSON')
        }
        const b = injectBody.safeParse(json)
        if (!b.success) throw new HttpError(400, 'bad-request', issueLine(b.error.issues[0]!))
        const f = faultSchema.safeParse({ at_s: 0, for_s: MAX_FOR_S, ...b.data.fault })
        if (!f.success) throw new HttpError(400, 'bad-request', `fault.${issueLine(f.error.issues[0]!)}`)
        try {
          const r = s.inject(f.data, b.data.members)
          log.warn({ fault: f.data.id, kind: f.data.kind, targets: f.data.targets, members: r.members }, 'fault injected')
          return [200, { injected: r.id, kind: f.data.kind, members: r.members, for_s: f.data.for_s }]
        } catch (e) {
          if (e instanceof ShaperInputError) throw new HttpError(400, 'bad-request', `fault.${e.message}`)
          throw e
        }
      },
    },
    { method: 'GET', re: /^\/admin\/faults$/, op: 'admin_fault_list', client: false, admin: true, handler: async () => [200, { faults: on().list() }] },
    {
      method: 'DELETE',
      re: /^\/admin\/faults(?:\/([a-z0-9][a-z0-9_-]{0,47}))?$/,
      op: 'admin_fault_clear',
      client: false,
      admin: true,
      handler: async (_req, params) => {
        const s = on()
        const id = params[0]
        const cleared = s.clear(id)
        if (id !== undefined && !cleared) throw new HttpError(404, 'not-found', `no active fault "${id}"`)
        log.warn({ fault: id ?? '*' }, 'fault cleared')
        return [200, { cleared: id ?? 'all' }]
      },
    },
  ]
}
