// The link shaper on real nodes: faults injected and cleared through the token-gated admin
// routes act on real kad frames and dials; off by default.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DhtNode } from '../../src/node/dht-node.js'
import { ADMIN_TOKEN, eventually, getJson, httpUrl, loopbackAddr, startOurNode } from './helpers.js'

const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }

function inject(n: DhtNode, fault: Record<string, unknown>, members?: string[]): Promise<{ status: number; body: Record<string, unknown> }> {
  return getJson(httpUrl(n, '/admin/faults'), { method: 'POST', headers: auth, body: JSON.stringify({ fault, ...(members ? { members } : {}) }) })
}

const idOf = (n: DhtNode): Uint8Array => n.stack.peerId.toMultihash().bytes

describe('link shaper on real nodes', () => {
  const nodes: DhtNode[] = []
  let plain: DhtNode

  beforeAll(async () => {
    nodes.push(await startOurNode({ shaper: true }))
    const boot = loopbackAddr(nodes[0]!.multiaddrs)
    for (let i = 0; i < 3; i++) nodes.push(await startOurNode({ bootstraps: [boot], shaper: true }))
    plain = await startOurNode({ bootstraps: [boot] })
    for (const n of nodes) {
      await eventually('ready', async () => ((await getJson(httpUrl(n, '/readyz'))).status === 200 ? true : undefined))
    }
  })

  afterAll(async () => {
    await Promise.allSettled([...nodes, plain].map((n) => n.drain()))
  })

  it('is off unless switched on: the routes answer 409 naming the config key, and need the token', async () => {
    const off = await inject(plain, { id: 'x', kind: 'loss', percent: 10, targets: 'all' })
    expect(off.status).toBe(409)
    expect(off.body.message).toMatch(/dht_link_shaper/)
    const anon = await getJson(httpUrl(nodes[1]!, '/admin/faults'), { method: 'POST', body: '{}' })
    expect(anon.status).toBe(401)
  })

  it('refuses a fault it cannot apply with 400 naming the field', async () => {
    const cpu = await inject(nodes[1]!, { id: 'c', kind: 'cpu', service_ms: 5, targets: 'all' })
    expect(cpu.status).toBe(400)
    expect(cpu.body.message).toMatch(/^fault\.kind: /)
    const bad = await inject(nodes[1]!, { id: 'l', kind: 'loss', percent: 200, targets: 'all' })
    expect(bad.status).toBe(400)
    expect(bad.body.message).toMatch(/^fault\.percent: /)
  })

  it('a partition drops kad frames across the cut and refuses dials; clearing it heals', async () => {
    const [a, b, c] = [nodes[0]!, nodes[1]!, nodes[3]!]
    // Every node shapes what it sends: the fault goes to all of them, with C alone in the group.
    for (const n of nodes) expect((await inject(n, { id: 'cut', kind: 'partition', targets: 'group:c' }, [c.peerId])).status).toBe(200)
    const listed = await getJson(httpUrl(b, '/admin/faults'), { headers: auth })
    expect((listed.body.faults as Array<{ id: string }>).map((f) => f.id)).toEqual(['cut'])
    // Lookups straight on the nodes (the client API would add a readiness gate to the test).
    await b.lookup('FIND_NODE', idOf(c), 'cut-1')
    await c.lookup('FIND_NODE', idOf(a), 'cut-2')
    expect(b.shaper!.drops.get('cut') ?? 0).toBeGreaterThan(0)
    expect(c.shaper!.drops.get('cut') ?? 0).toBeGreaterThan(0)
    await c.stack.hangUp(a.stack.peerId)
    await expect(c.stack.dial(a.stack.peerId)).rejects.toThrow()
    for (const n of nodes) expect((await getJson(httpUrl(n, '/admin/faults/cut'), { method: 'DELETE', headers: auth })).status).toBe(200)
    expect((await getJson(httpUrl(b, '/admin/faults/cut'), { method: 'DELETE', headers: auth })).status).toBe(404)
    const conn = await c.stack.dial(a.stack.peerId)
    expect(conn.status).toBe('open')
    const found = await eventually('peer found after the cut', async () => {
      const r = await b.lookup('FIND_NODE', idOf(c), 'healed')
      return r.closest.some((x) => x.peer === c.peerId) ? r : undefined
    })
    expect(found.success).toBe(true)
  })

  it('a latency fault holds every frame the node sends by its add_ms', async () => {
    const b = nodes[1]!
    expect((await inject(b, { id: 'slow', kind: 'latency', add_ms: 250, targets: 'all', for_s: 600 })).status).toBe(200)
    const r = await b.lookup('FIND_NODE', idOf(nodes[2]!), 'slow')
    expect(r.messages).toBeGreaterThan(0)
    // Each request b sends is held 250 ms before it leaves: no answer can come sooner.
    expect(r.endMs - r.startMs).toBeGreaterThanOrEqual(250)
    expect((await getJson(httpUrl(b, '/admin/faults'), { method: 'DELETE', headers: auth })).body).toEqual({ cleared: 'all' })
  })
})
