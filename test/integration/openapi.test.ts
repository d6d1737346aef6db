// docs/openapi.yaml against the server: every documented path and method exists on a live node
// and answers one of the statuses documented for it.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { DhtNode } from '../../src/node/dht-node.js'
import { ADMIN_TOKEN, httpUrl, startOurNode } from './helpers.js'

interface Spec {
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>
}
const spec = parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as Spec
const KEY = `b3:${'12'.repeat(32)}`

describe('docs/openapi.yaml', () => {
  let node: DhtNode
  beforeAll(async () => {
    node = await startOurNode()
  })
  afterAll(async () => {
    await node.drain()
  })

  it('every documented route exists and answers a documented status', async () => {
    const calls: Array<[string, string]> = []
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const method of Object.keys(ops).filter((m) => m !== 'parameters')) calls.push([path, method])
    }
    expect(calls.length).toBeGreaterThan(14)
    for (const [path, method] of calls) {
      if (path === '/admin/drain') continue // would stop the node under test
      const concrete = path.replace('{key}', KEY).replace('{peer}', node.peerId).replace('{id}', 'wan') + (path === '/admin/events' ? '?follow=0' : '')
      const res = await fetch(httpUrl(node, concrete), {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(method === 'post' ? { body: path === '/admin/pq' ? '{"require": false}' : path === '/admin/degraded' ? '{"on": false}' : '' } : {}),
      })
      await res.arrayBuffer()
      const documented = Object.keys(spec.paths[path]![method]!.responses)
      expect(documented, `${method.toUpperCase()} ${path} answered ${res.status}`).toContain(String(res.status))
    }
    // and an undocumented path is not there
    expect((await fetch(httpUrl(node, '/admin/nothing'))).status).toBe(404)
  })
})
