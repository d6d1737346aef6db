// Several of our nodes on 127.0.0.1: they join through one bootstrap, find each other, store and
// find provider records through the HTTP client API, and report readiness truthfully.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DhtNode } from '../../src/node/dht-node.js'
import { ADMIN_TOKEN, eventually, getJson, httpUrl, loopbackAddr, startOurNode } from './helpers.js'

const KEY = 'b3:' + 'ab'.repeat(32)

describe('a small network of our nodes', () => {
  const nodes: DhtNode[] = []

  beforeAll(async () => {
    nodes.push(await startOurNode())
    const boot = loopbackAddr(nodes[0]!.multiaddrs)
    for (let i = 0; i < 3; i++) nodes.push(await startOurNode({ bootstraps: [boot] }))
  })

  afterAll(async () => {
    await Promise.allSettled(nodes.map((n) => n.drain()))
  })

  it('every node becomes ready (/readyz 200) once it has joined', async () => {
    for (const n of nodes) {
      const r = await eventually('ready', async () => {
        const res = await getJson(httpUrl(n, '/readyz'))
        return res.status === 200 ? res : undefined
      })
      expect(r.body.ready).toBe(true)
    }
  })

  it('finds a peer it was not told about (FIND_NODE across nodes)', async () => {
    const target = nodes[3]!.peerId
    const res = await eventually('peer found', async () => {
      const r = await getJson(httpUrl(nodes[1]!, `/v1/peers/${target}`))
      return r.status === 200 ? r : undefined
    })
    expect(res.body.peer).toBe(target)
    expect((res.body.addrs as string[]).length).toBeGreaterThan(0)
  })

  it('provides a key on one node and finds the provider from another', async () => {
    const put = await getJson(httpUrl(nodes[2]!, `/v1/providers/${KEY}?verify=1`), { method: 'POST' })
    expect(put.status).toBe(200)
    expect(put.body.sent_to).toBeGreaterThan(0)
    // copies seen by asking the closest peers, not the count of peers the record was sent to
    expect(put.body.replicated).toBeGreaterThan(0)
    const got = await getJson(httpUrl(nodes[3]!, `/v1/providers/${KEY}`))
    expect(got.status).toBe(200)
    expect((got.body.providers as Array<{ peer: string }>).map((p) => p.peer)).toContain(nodes[2]!.peerId)
  })

  it('re-announces what it provides on the admin reprovide, and says so on the event tail', async () => {
    const n = nodes[2]! // provided KEY in the test above
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
    // ADD_PROVIDER requests the other nodes have served: a re-announce sends the record again.
    const stored = (): number => nodes.filter((x) => x !== n).reduce((sum, x) => sum + (x.engine.stats(x.host.now()).served.ADD_PROVIDER ?? 0), 0)
    const before = stored()
    expect(before).toBeGreaterThan(0)
    const r = await getJson(httpUrl(n, '/admin/reprovide'), { method: 'POST', headers: auth })
    expect(r.status).toBe(202)
    expect(r.body.keys).toBe(1)
    await eventually('re-announced', () => (stored() > before ? true : undefined))
    const got = await getJson(httpUrl(nodes[1]!, `/v1/providers/${KEY}`))
    expect((got.body.providers as Array<{ peer: string }>).map((p) => p.peer)).toContain(n.peerId)
    const tail = await (await fetch(httpUrl(n, '/admin/events?topic=admin&replay=10&follow=0'), { headers: auth })).text()
    expect(tail).toMatch(/"event":"reprovide"/)
  })

  it('answers 404 for a key nobody provides and 400 for a bad key', async () => {
    const none = await getJson(httpUrl(nodes[1]!, `/v1/providers/b3:${'cd'.repeat(32)}`))
    expect(none.status).toBe(404)
    expect(none.body.error).toBe('not-found')
    const bad = await getJson(httpUrl(nodes[1]!, '/v1/providers/not-a-key'))
    expect(bad.status).toBe(400)
    expect(bad.body.error).toBe('bad-key')
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.(ts|js):\d+/)
  })

  it('refuses admin actions without the token (401, counted) and obeys them with it', async () => {
    const n = nodes[1]!
    const anon = await getJson(httpUrl(n, '/admin/degraded'), { method: 'POST', body: '{"on":true}' })
    expect(anon.status).toBe(401)
    const metrics = await (await fetch(httpUrl(n, '/metrics'))).text()
    expect(metrics).toMatch(/rejected_total\{reason="unauthenticated"\} 1/)
    // A token of the right length in characters but not in bytes (a latin1 byte): 401, not 500.
    const odd = await getJson(httpUrl(n, '/admin/degraded'), { method: 'POST', body: '{"on":true}', headers: { authorization: `Bearer \u00e9${ADMIN_TOKEN.slice(1)}` } })
    expect(odd.status).toBe(401)
    expect(await (await fetch(httpUrl(n, '/metrics'))).text()).toMatch(/rejected_total\{reason="unauthenticated"\} 2/)
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const on = await getJson(httpUrl(n, '/admin/degraded'), { method: 'POST', body: '{"on":true}', headers: auth })
    expect(on.status).toBe(200)
    const refused = await getJson(httpUrl(n, `/v1/providers/${KEY}`))
    expect(refused.status).toBe(503)
    expect(refused.body.error).toBe('degraded')
    const off = await getJson(httpUrl(n, '/admin/degraded?on=0'), { method: 'POST', headers: auth })
    expect(off.status).toBe(200)
    const repair = await getJson(httpUrl(n, `/admin/repair/${KEY}`), { method: 'POST', headers: auth })
    expect(repair.status).toBe(200)
    expect(repair.body.replicated).toBeGreaterThan(0)
  })

  it('answers 413 for an oversized body', async () => {
    const big = await getJson(httpUrl(nodes[0]!, `/v1/providers/${KEY}`), { method: 'POST', body: 'x'.repeat(10_000) })
    expect(big.status).toBe(413)
  })

  it('exports the metrics the issue names', async () => {
    const text = await (await fetch(httpUrl(nodes[2]!, '/metrics'))).text()
    for (const name of ['ron_dht_lookup_seconds', 'ron_dht_hops', 'ron_dht_bootstrap_peers', 'ron_dht_inflight_lookup', 'ron_dht_routing_table_peers', 'ron_dht_missing_records', 'requests_total', 'request_latency_seconds', 'service_restarts_total', 'pq_downgrade_attempt_total', 'build_info']) {
      expect(text).toContain(name)
    }
    expect(text).toMatch(/ron_dht_routing_table_peers [1-9]/)
  })
})
