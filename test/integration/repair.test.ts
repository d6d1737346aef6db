// Repair to a replication factor on a local network of real nodes: a record provided to 3
// peers loses 2 copies when their holders stop; rf_observed (asked, not assumed) drops to 1, and
// repair brings it back to 3, with before and after in its answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DhtNode } from '../../src/node/dht-node.js'
import { ADMIN_TOKEN, eventually, getJson, httpUrl, loopbackAddr, metricValue, startOurNode, testEngineConfig } from './helpers.js'

const KEY = `b3:${'5e'.repeat(32)}`
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

describe('repair to a replication factor', () => {
  const nodes: DhtNode[] = []

  beforeAll(async () => {
    const engine = testEngineConfig({ replication: 3 })
    nodes.push(await startOurNode({ engine }))
    const boot = loopbackAddr(nodes[0]!.multiaddrs)
    for (let i = 1; i < 8; i++) nodes.push(await startOurNode({ engine, bootstraps: [boot] }))
    for (const n of nodes) await eventually(`ready (${JSON.stringify(n.readiness())})`, async () => ((await getJson(httpUrl(n, '/readyz'))).status === 200 ? true : undefined))
    // k = 20 > 7: a lookup from any node converges on the whole network
    await eventually('the provider sees every other node', async () => {
      const m = await getJson(httpUrl(nodes[1]!, `/admin/replicas/${KEY}`), { headers: auth })
      return (m.body.non_holders as string[]).length === nodes.length - 1 ? true : undefined
    })
  })

  afterAll(async () => {
    await Promise.allSettled(nodes.map((n) => n.drain()))
  })

  it('counts copies that exist, and repair restores the target after holders stop', async () => {
    const p = nodes[1]!
    const put = await getJson(httpUrl(p, `/v1/providers/${KEY}?verify=1`), { method: 'POST' })
    expect(put.status).toBe(200)
    expect(put.body.sent_to).toBe(3)
    expect(put.body.replicated).toBe(3)
    const m0 = await getJson(httpUrl(p, `/admin/replicas/${KEY}`), { headers: auth })
    const holders = m0.body.holders as string[]
    expect(holders).toHaveLength(3)
    // Two holders go away with their copies.
    const gone = nodes.filter((n) => holders.slice(0, 2).includes(n.peerId))
    expect(gone).toHaveLength(2)
    await Promise.all(gone.map((n) => n.drain()))
    const m1 = await getJson(httpUrl(p, `/admin/replicas/${KEY}`), { headers: auth })
    expect(m1.body).toMatchObject({ rf_observed: 1, rf_target: 3, below_target: true })
    // The metrics follow the measurement: 2 copies missing, 1 record below its target.
    expect(await metricValue(p, 'ron_dht_missing_records')).toBe(2)
    expect(await metricValue(p, 'ron_dht_records_below_rf_target')).toBe(1)
    expect(await metricValue(p, 'ron_dht_rf_observed_bucket{le="1"}')).toBeGreaterThanOrEqual(1)
    const r = await getJson(httpUrl(p, `/admin/repair/${KEY}?rf=3`), { method: 'POST', headers: auth })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ rf_target: 3, rf_before: 1, rf_after: 3, status: 'repaired', shortfall: 0, replicated: 3 })
    expect(r.body.added as string[]).toHaveLength(2)
    for (const g of gone) expect(r.body.holders as string[]).not.toContain(g.peerId)
    const m2 = await getJson(httpUrl(p, `/admin/replicas/${KEY}`), { headers: auth })
    expect(m2.body).toMatchObject({ rf_observed: 3, below_target: false })
    expect(await metricValue(p, 'ron_dht_missing_records')).toBe(0)
    expect(await metricValue(p, 'ron_dht_records_below_rf_target')).toBe(0)
  })

  it('reports a shortfall honestly when the network cannot give the target', async () => {
    const p = nodes[1]!
    const r = await getJson(httpUrl(p, `/admin/repair/${KEY}?rf=9`), { method: 'POST', headers: auth })
    expect(r.status).toBe(200)
    // 8 nodes, 2 stopped, the provider itself is not a copy: at most 5 holders exist.
    expect(r.body).toMatchObject({ rf_target: 9, rf_after: 5, status: 'short', shortfall: 4 })
    expect(await metricValue(p, 'ron_dht_missing_records')).toBe(4)
    expect(await metricValue(p, 'ron_dht_records_below_rf_target')).toBe(1)
    const bad = await getJson(httpUrl(p, `/admin/repair/${KEY}?rf=0`), { method: 'POST', headers: auth })
    expect(bad.status).toBe(400)
  })
})
