// Our nodes and stock @libp2p/kad-dht nodes on 127.0.0.1, both directions: a stock node
// bootstraps from ours, FIND_NODE works both ways, and provider records (CID keys) announced on
// one side are found from the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import type { DhtNode } from '../../src/node/dht-node.js'
import { eventually, getJson, httpUrl, loopbackAddr, startOurNode, startStockNode, type StockNode } from './helpers.js'

// Two copies of multiformats are installed; libp2p's CID type is the same shape.
type LibCid = Parameters<StockNode['contentRouting']['provide']>[0]

async function cidOf(text: string): Promise<LibCid> {
  return CID.createV1(0x55, await sha256.digest(new TextEncoder().encode(text))) as unknown as LibCid
}

function tableSize(s: StockNode): number {
  return (s.services.dht as unknown as { routingTable: { size: number } }).routingTable.size
}

describe('interop with stock @libp2p/kad-dht', () => {
  const ours: DhtNode[] = []
  const stock: StockNode[] = []

  beforeAll(async () => {
    ours.push(await startOurNode())
    const boot = loopbackAddr(ours[0]!.multiaddrs)
    ours.push(await startOurNode({ bootstraps: [boot] }))
    for (let i = 0; i < 2; i++) {
      const s = await startStockNode()
      stock.push(s)
      await s.dial(multiaddr(boot))
    }
    // Stock nodes add a peer to their table once identify says it speaks kad.
    for (const s of stock) {
      await eventually('stock table has our node', () => (tableSize(s) > 0 ? true : undefined))
    }
  })

  afterAll(async () => {
    await Promise.allSettled([...ours.map((n) => n.drain()), ...stock.map((s) => s.stop())])
  })

  it('a stock node bootstrapped from ours finds our other node (FIND_NODE stock -> ours)', async () => {
    const target = peerIdFromString(ours[1]!.peerId)
    const info = await eventually('stock finds our peer', async () => {
      try {
        // Stock answers from its peer store first: before it has our peer's addresses (identify
        // or a FIND_NODE answer still in flight) it returns the id alone, so ask again.
        const found = await stock[0]!.peerRouting.findPeer(target, { signal: AbortSignal.timeout(5_000) })
        return found.multiaddrs.length > 0 ? found : undefined
      } catch {
        return undefined
      }
    })
    expect(info.id.toString()).toBe(ours[1]!.peerId)
    expect(info.multiaddrs.length).toBeGreaterThan(0)
  })

  it('our node finds a stock node (FIND_NODE ours -> stock)', async () => {
    const target = stock[1]!.peerId.toString()
    const r = await eventually('our node finds the stock peer', async () => {
      const res = await getJson(httpUrl(ours[1]!, `/v1/peers/${target}`))
      return res.status === 200 ? res : undefined
    })
    expect(r.body.peer).toBe(target)
  })

  it('our node finds providers a stock node announced (CID key)', async () => {
    const cid = await cidOf('announced by stock')
    await eventually('stock provide', async () => {
      await stock[0]!.contentRouting.provide(cid, { signal: AbortSignal.timeout(10_000) })
      return true
    })
    // The stock ADD_PROVIDER reaches our engine's store (provide() resolves once it is sent).
    const stored = await eventually('the stock ADD_PROVIDER is stored', () => {
      const n = ours.reduce((a, o) => a + o.engine.stats(o.host.now()).providerRecords, 0)
      return n > 0 ? n : undefined
    })
    expect(stored).toBeGreaterThan(0)
    const r = await eventually('our node finds the stock provider', async () => {
      const res = await getJson(httpUrl(ours[1]!, `/v1/providers/${cid.toString()}`))
      return res.status === 200 ? res : undefined
    })
    expect((r.body.providers as Array<{ peer: string }>).map((p) => p.peer)).toContain(stock[0]!.peerId.toString())
  })

  it('a stock node finds providers our node announced (CID key)', async () => {
    const cid = await cidOf('announced by ours')
    const put = await getJson(httpUrl(ours[1]!, `/v1/providers/${cid.toString()}`), { method: 'POST' })
    expect(put.status).toBe(200)
    const found = await eventually('stock finds our provider', async () => {
      for await (const p of stock[1]!.contentRouting.findProviders(cid, { signal: AbortSignal.timeout(5_000) })) {
        if (p.id.toString() === ours[1]!.peerId) return p
      }
      return undefined
    })
    expect(found.multiaddrs.length).toBeGreaterThan(0)
  })
})
