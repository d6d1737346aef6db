// Cross-check against the codec @libp2p/kad-dht generates with protons: what one encodes the
// other decodes to the same message, both ways, for fixed and random messages.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ConnectionType as StockConnection, Message as StockMessage, MessageType as StockType, type PeerInfo as StockPeer } from '../../node_modules/@libp2p/kad-dht/dist/src/message/dht.js'
import { decodeMessage, encodeMessage, messageTypeName, type MessageTypeCode, type WireMessage, type WirePeer } from '../../src/wire/message.js'
import { arbWireMessage } from '../property/wire-arbitraries.js'

const CONNECTIONS = ['NOT_CONNECTED', 'CONNECTED', 'CAN_CONNECT', 'CANNOT_CONNECT'] as const

function toStock(m: WireMessage): Parameters<typeof StockMessage.encode>[0] {
  const peer = (p: WirePeer): StockPeer => ({
    id: p.id,
    multiaddrs: [...p.addrs],
    ...(p.connection !== undefined ? { connection: StockConnection[CONNECTIONS[p.connection]!] } : {}),
  })
  return {
    type: StockType[messageTypeName(m.type)],
    ...(m.key !== undefined ? { key: m.key } : {}),
    ...(m.record !== undefined ? { record: m.record } : {}),
    ...(m.clusterLevelRaw !== undefined ? { clusterLevel: m.clusterLevelRaw } : {}),
    closer: m.closerPeers.map(peer),
    providers: m.providerPeers.map(peer),
  }
}

function fromStock(s: ReturnType<typeof StockMessage.decode>): WireMessage {
  const peer = (p: StockPeer): WirePeer => ({
    id: p.id,
    addrs: p.multiaddrs,
    ...(p.connection !== undefined ? { connection: CONNECTIONS.indexOf(p.connection as (typeof CONNECTIONS)[number]) } : {}),
  })
  const names = ['PUT_VALUE', 'GET_VALUE', 'ADD_PROVIDER', 'GET_PROVIDERS', 'FIND_NODE', 'PING']
  return {
    type: names.indexOf(s.type) as MessageTypeCode,
    ...(s.key !== undefined ? { key: s.key } : {}),
    ...(s.record !== undefined ? { record: s.record } : {}),
    ...(s.clusterLevel !== undefined ? { clusterLevelRaw: s.clusterLevel } : {}),
    closerPeers: s.closer.map(peer),
    providerPeers: s.providers.map(peer),
  }
}

/** Normalises Uint8Array subclasses (protons returns Buffer-like views) for deep equality. */
function plain(m: WireMessage): WireMessage {
  const u = (b: Uint8Array): Uint8Array => Uint8Array.from(b)
  const peer = (p: WirePeer): WirePeer => ({ ...p, id: u(p.id), addrs: p.addrs.map(u) })
  return {
    ...m,
    ...(m.key !== undefined ? { key: u(m.key) } : {}),
    ...(m.record !== undefined ? { record: u(m.record) } : {}),
    closerPeers: m.closerPeers.map(peer),
    providerPeers: m.providerPeers.map(peer),
  }
}

/** Stock omits empty peer ids; we decode an absent id as empty bytes, which is the same thing. */
const sample: WireMessage = {
  type: 3,
  key: Uint8Array.from([0x12, 0x20, ...new Array(32).fill(7)]),
  closerPeers: [{ id: Uint8Array.from([0, 36, 8, 1]), addrs: [Uint8Array.from([4, 127, 0, 0, 1, 6, 0x24, 0xf4])], connection: 1 }],
  providerPeers: [{ id: Uint8Array.from([0, 2, 9, 9]), addrs: [] }],
  clusterLevelRaw: 0,
}

describe('wire codec against the stock @libp2p/kad-dht codec', () => {
  it('stock decodes what we encode', () => {
    const back = fromStock(StockMessage.decode(encodeMessage(sample)))
    expect(plain(back)).toEqual(sample)
  })

  it('we decode what stock encodes', () => {
    const r = decodeMessage(StockMessage.encode(toStock(sample)))
    expect(r.ok && plain(r.value)).toEqual(sample)
  })

  it('agrees on a negative clusterLevel', () => {
    const m: WireMessage = { type: 4, closerPeers: [], providerPeers: [], clusterLevelRaw: -5 }
    expect(StockMessage.decode(encodeMessage(m)).clusterLevel).toBe(-5)
    const r = decodeMessage(StockMessage.encode(toStock(m)))
    expect(r.ok && r.value.clusterLevelRaw).toBe(-5)
  })

  it('both directions agree for random messages', () => {
    fc.assert(
      fc.property(arbWireMessage, (m) => {
        const ours = encodeMessage(m)
        expect(plain(fromStock(StockMessage.decode(ours)))).toEqual(plain(m))
        const r = decodeMessage(StockMessage.encode(toStock(m)))
        expect(r.ok).toBe(true)
        if (r.ok) expect(plain(r.value)).toEqual(plain(m))
      }),
      { numRuns: 300 },
    )
  })
})
