// One peer against the provider store and the contact book, on 127.0.0.1: a peer's provider
// records are capped by a per-peer quota, every refusal is counted by reason (never as "ok"), and
// a refused ADD_PROVIDER leaves nothing behind in the contact book.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Libp2p } from '@libp2p/interface'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { applyProfile } from '../../src/engine/config.js'
import { frame } from '../../src/node/host/index.js'
import { MessageType, type WirePeer } from '../../src/wire/message.js'
import { metricMatch, startBed, type Bed } from '../helpers/armor-bed.js'
import { eventually, httpUrl, loopbackAddr, startOurNode, startRawClient, testEngineConfig } from './helpers.js'

function keyOf(i: number): Uint8Array {
  const k = new Uint8Array(34)
  k[0] = 0x12
  k[1] = 32
  k[2] = i >> 8
  k[3] = i & 0xff
  return k
}

/** Sends one ADD_PROVIDER per key on its own stream and waits until the node closed each. */
async function provide(client: Libp2p, addr: string, keys: Uint8Array[], providers: WirePeer[]): Promise<void> {
  for (const key of keys) {
    const s = await client.dialProtocol(multiaddr(addr), KAD_PROTOCOL)
    const done = new Promise<void>((resolve) => {
      s.addEventListener('remoteCloseWrite', () => resolve(), { once: true })
      s.addEventListener('close', () => resolve(), { once: true })
    })
    s.send(frame({ type: MessageType.ADD_PROVIDER, key, closerPeers: [], providerPeers: providers }))
    await s.close()
    await done
  }
}

describe('provider records per peer, and the contact book', () => {
  let bed: Bed
  let node: DhtNode
  let client: Libp2p
  let addr: string
  let me: WirePeer

  beforeAll(async () => {
    // These tests count each refusal by its reason. On a loaded machine admission control would
    // refuse some requests as `overloaded` before the quota sees them, so its bound is set out of reach.
    const engine = testEngineConfig({ maxProviderKeys: 30, admissionDelayMs: 60_000 })
    bed = await startBed({ clientListen: ['/ip4/127.0.0.1/tcp/0'], limits: { providerRecordsPerPeer: 10 }, node: { engine } })
    node = bed.node
    addr = bed.addr
    client = bed.clients[0]!
    me = { id: client.peerId.toMultihash().bytes, addrs: client.getMultiaddrs().map((a) => a.bytes) }
  })

  afterAll(async () => {
    await bed.stop()
  })

  it('a peer past its quota is refused, counted as refused and not as ok', async () => {
    await provide(client, addr, Array.from({ length: 14 }, (_, i) => keyOf(i)), [me])
    const stored = await eventually('records stored', () => (node.engine.stats(node.host.now()).providerRecords === 10 ? 10 : undefined))
    expect(stored).toBe(10)
    expect(await metricMatch(node, /rejected_total\{reason="provider-quota"\} (\d+)/)).toBe(4)
    expect(await metricMatch(node, /requests_total\{op="ADD_PROVIDER",result="ok"\} (\d+)/)).toBe(10)
    expect(await metricMatch(node, /requests_total\{op="ADD_PROVIDER",result="rejected"\} (\d+)/)).toBe(4)
    // Refreshing a record it already holds is not a new record: allowed.
    await provide(client, addr, [keyOf(0)], [me])
    expect(await metricMatch(node, /requests_total\{op="ADD_PROVIDER",result="ok"\} (\d+)/)).toBe(11)
  })

  it('a full store says so in rejected_total{reason="store-full"}', async () => {
    // Three more peers fill the 30-key store; the third's last records find it full.
    for (let p = 0; p < 3; p++) {
      const other = await startRawClient(['/ip4/127.0.0.1/tcp/0'])
      const who = { id: other.peerId.toMultihash().bytes, addrs: other.getMultiaddrs().map((a) => a.bytes) }
      await provide(other, addr, Array.from({ length: 8 }, (_, i) => keyOf(100 * (p + 1) + i)), [who])
      await other.stop()
    }
    expect(node.engine.stats(node.host.now()).providerKeys).toBe(30)
    expect(await metricMatch(node, /rejected_total\{reason="store-full"\} (\d+)/)).toBe(4)
  })

  it('a refused ADD_PROVIDER (provider is not the sender) adds nothing to the contact book', async () => {
    const before = node.book.size
    const strangers: WirePeer[] = []
    for (let i = 0; i < 20; i++) {
      const pid = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
      strangers.push({ id: pid.toMultihash().bytes, addrs: [multiaddr(`/ip4/10.0.0.${i}/tcp/4001`).bytes] })
    }
    const rejectedBefore = await metricMatch(node, /rejected_total\{reason="provider-not-sender"\} (\d+)/)
    await provide(client, addr, [keyOf(999)], strangers)
    await eventually('refusal counted', async () =>
      (await metricMatch(node, /rejected_total\{reason="provider-not-sender"\} (\d+)/)) > rejectedBefore ? true : undefined,
    )
    expect(node.book.size).toBe(before)
  })
})

describe('the strict diversity filter sees peers that announce no address', () => {
  let node: DhtNode
  const clients: Libp2p[] = []

  beforeAll(async () => {
    node = await startOurNode({ engine: applyProfile(testEngineConfig(), 'strict') })
  })

  afterAll(async () => {
    await Promise.allSettled([node.drain(), ...clients.map((c) => c.stop())])
  })

  it('fourteen address-less requesters from one /24 do not all enter the table', async () => {
    const addr = loopbackAddr(node.multiaddrs)
    for (let i = 0; i < 14; i++) {
      const c = await startRawClient()
      clients.push(c)
      const s = await c.dialProtocol(multiaddr(addr), KAD_PROTOCOL)
      const answered = new Promise<void>((resolve) => {
        s.addEventListener('message', () => resolve(), { once: true })
        s.addEventListener('close', () => resolve(), { once: true })
      })
      s.send(frame({ type: MessageType.PING, closerPeers: [], providerPeers: [] }))
      await answered
      s.abort(new Error('done'))
    }
    const policy = node.engine.config.policy
    expect(node.engine.stats(node.host.now()).tableSize).toBeLessThanOrEqual(policy.maxPerGroupPerTable)
    const refused = await eventually('diversity refusals counted', async () => {
      const text = await (await fetch(httpUrl(node, '/metrics'))).text()
      const n = [...text.matchAll(/rejected_total\{reason="diversity-(?:bucket|table)"\} (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0)
      return n > 0 ? n : undefined
    })
    expect(refused).toBeGreaterThan(0)
    // ...and on the event tail, where an operator watching refusals sees them beside the host's.
    const onTail = await eventually('diversity refusals on the event tail', async () => {
      const n = node.events
        .recent(1024, new Set(['reject']))
        .filter((e) => String(e['reason']).startsWith('diversity-'))
        .reduce((a, e) => a + Number(e['count']), 0)
      return n > 0 ? n : undefined
    })
    expect(onTail).toBeGreaterThan(0)
  })
})

describe('provider records per source address', () => {
  let bed: Bed

  beforeAll(async () => {
    // No allow list: 127.0.0.1 is held to the per-address quota like any address.
    bed = await startBed({ budgeted: true, clients: 2, clientListen: ['/ip4/127.0.0.1/tcp/0'], limits: { providerRecordsPerPeer: 5, providerRecordsPerIp: 8 } })
  })

  afterAll(async () => {
    await bed.stop()
  })

  it('a second peer id from the same address gets what the address has left', async () => {
    const { node, addr } = bed
    for (let p = 0; p < 2; p++) {
      const c = bed.clients[p]!
      const who = { id: c.peerId.toMultihash().bytes, addrs: c.getMultiaddrs().map((a) => a.bytes) }
      await provide(c, addr, Array.from({ length: 6 }, (_, i) => keyOf(50 * (p + 1) + i)), [who])
    }
    // The first is stopped by its own quota (5 of 6), the second by the address's (3 of 6).
    expect(await eventually('records stored', () => (node.engine.stats(node.host.now()).providerRecords === 8 ? 8 : undefined))).toBe(8)
    expect(await metricMatch(node, /rejected_total\{reason="provider-quota"\} (\d+)/)).toBe(1)
    expect(await metricMatch(node, /rejected_total\{reason="ip-provider-quota"\} (\d+)/)).toBe(3)
    expect(await metricMatch(node, /requests_total\{op="ADD_PROVIDER",result="ok"\} (\d+)/)).toBe(8)
  })
})
