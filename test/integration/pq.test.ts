// REQUIRE_PQ_ON on real sockets: three of our nodes authenticate each other with ML-DSA-87 and
// work together; a stock @libp2p/kad-dht peer's kad requests are refused and counted (and only
// those); its ADD_PROVIDER is not stored; the switch is token-gated and, once off, the stock
// peer is served again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from 'multiformats/hashes/sha2'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { frame } from '../../src/node/host/index.js'
import { MessageType } from '../../src/wire/message.js'
import { ADMIN_TOKEN, eventually, getJson, httpUrl, loopbackAddr, metricValue, startOurNode, startStockNode, type StockNode } from './helpers.js'


describe('REQUIRE_PQ_ON', () => {
  const ours: DhtNode[] = []
  let stock: StockNode

  beforeAll(async () => {
    ours.push(await startOurNode({ requirePq: true, region: 'r1' }))
    const boot = loopbackAddr(ours[0]!.multiaddrs)
    ours.push(await startOurNode({ requirePq: true, region: 'r2', bootstraps: [boot] }))
    ours.push(await startOurNode({ requirePq: true, region: 'r2', bootstraps: [boot] }))
    for (const n of ours) await eventually('ready', async () => ((await getJson(httpUrl(n, '/readyz'))).status === 200 ? true : undefined))
    stock = await startStockNode()
  })

  afterAll(async () => {
    await Promise.allSettled([...ours.map((n) => n.drain()), stock.stop()])
  })

  it('our nodes authenticate each other and work together, with no downgrade counted', async () => {
    const target = ours[2]!.peerId
    const r = await eventually('node 1 finds node 2', async () => {
      const res = await getJson(httpUrl(ours[1]!, `/v1/peers/${target}`))
      return res.status === 200 ? res : undefined
    })
    expect(r.body.peer).toBe(target)
    expect(ours[1]!.pq.peerInfo(ours[0]!.peerId)?.region).toBe('r1')
    expect(ours[0]!.pq.peerInfo(ours[1]!.peerId)?.fingerprint).toBe(ours[1]!.pq.fingerprint)
    for (const n of ours) {
      expect(await metricValue(n, 'pq_downgrade_attempt_total')).toBe(0)
      expect(await metricValue(n, 'ron_dht_pq_required')).toBe(1)
      expect(await metricValue(n, 'ron_dht_pq_handshakes_total{outcome="ok"}')).toBeGreaterThan(0)
    }
  })

  it("refuses a stock peer's kad requests, counts exactly those, and never stores its ADD_PROVIDER", async () => {
    const a = ours[0]!
    await stock.dial(multiaddr(loopbackAddr(a.multiaddrs)))
    const before = await metricValue(a, 'pq_downgrade_attempt_total')
    // A FIND_NODE from the stock peer: our node resets the stream before reading it. On a loaded
    // machine the stock query can give up before it reaches us, so it is asked again until counted.
    const after = await eventually('downgrade counted', async () => {
      for await (const _ of stock.services.dht.getClosestPeers(peerIdFromString(ours[1]!.peerId).toMultihash().bytes, { signal: AbortSignal.timeout(5_000) })) {
        // drain
      }
      const v = await metricValue(a, 'pq_downgrade_attempt_total')
      return v > before ? v : undefined
    }, 60_000)
    expect(after).toBeGreaterThan(before)
    expect(await metricValue(a, 'rejected_total{reason="pq-required"}')).toBe(after)
    expect(a.engine.contacts().some((c) => c.peer === stock.peerId.toString())).toBe(false)
    // An ADD_PROVIDER straight from the stock peer, naming itself (it would pass the sender
    // check): its stream must reach the node and be refused (reset before the body is read) and
    // counted, and nothing be stored.
    const key = (await sha256.digest(new TextEncoder().encode('stock under pq'))).bytes
    const refusedBefore = await metricValue(a, 'pq_downgrade_attempt_total')
    const s = await stock.dialProtocol(multiaddr(loopbackAddr(a.multiaddrs)), KAD_PROTOCOL)
    try {
      s.send(frame({ type: MessageType.ADD_PROVIDER, key, closerPeers: [], providerPeers: [{ id: stock.peerId.toMultihash().bytes, addrs: stock.getMultiaddrs().map((m) => m.bytes) }] }))
      await s.close()
    } catch {
      // already reset by the node: the refusal this test is about
    }
    expect(await eventually('ADD_PROVIDER refused', async () => ((await metricValue(a, 'pq_downgrade_attempt_total')) === refusedBefore + 1 ? true : undefined))).toBe(true)
    expect(a.engine.stats(a.host.now()).providerRecords).toBe(0)
    // Our own lookups do not use the stock peer either: its handshake outcome is not ok.
    expect(a.pq.peerInfo(stock.peerId.toString())).toBeUndefined()
  })

  it('the switch is token-gated: 401 without the token, and off serves the stock peer again', async () => {
    const a = ours[0]!
    const noAuth = await getJson(httpUrl(a, '/admin/pq'), { method: 'POST', body: JSON.stringify({ require: false }) })
    expect(noAuth.status).toBe(401)
    expect(a.pq.required).toBe(true)
    const off = await getJson(httpUrl(a, '/admin/pq'), { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ require: false }) })
    expect(off.status).toBe(200)
    expect(off.body).toEqual({ changed: true, require_pq_on: false })
    const counted = await metricValue(a, 'pq_downgrade_attempt_total')
    await eventually('stock peer served once PQ is off', async () => {
      for await (const _ of stock.services.dht.getClosestPeers(peerIdFromString(ours[1]!.peerId).toMultihash().bytes, { signal: AbortSignal.timeout(5_000) })) {
        // drain
      }
      return a.engine.contacts().some((c) => c.peer === stock.peerId.toString()) ? true : undefined
    })
    expect(await metricValue(a, 'pq_downgrade_attempt_total')).toBe(counted)
  })
})
