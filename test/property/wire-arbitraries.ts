// fast-check generators for wire messages, shared by the codec property and interop tests.
import fc from 'fast-check'
import type { MessageTypeCode, WireMessage, WirePeer } from '../../src/wire/message.js'

const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 0, maxLength: max })

/** Peer ids are non-empty: an empty id is omitted on the wire, like protons does. */
export const arbWirePeer: fc.Arbitrary<WirePeer> = fc
  .record({
    id: fc.uint8Array({ minLength: 1, maxLength: 40 }),
    addrs: fc.array(bytes(30), { maxLength: 4 }),
    connection: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  })
  .map(({ id, addrs, connection }) => (connection === undefined ? { id, addrs } : { id, addrs, connection }))

export const arbWireMessage: fc.Arbitrary<WireMessage> = fc
  .record({
    type: fc.integer({ min: 0, max: 5 }),
    key: fc.option(bytes(64), { nil: undefined }),
    record: fc.option(bytes(64), { nil: undefined }),
    closerPeers: fc.array(arbWirePeer, { maxLength: 5 }),
    providerPeers: fc.array(arbWirePeer, { maxLength: 5 }),
    clusterLevelRaw: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: undefined }),
  })
  .map((r) => {
    const m: { -readonly [K in keyof WireMessage]: WireMessage[K] } = {
      type: r.type as MessageTypeCode,
      closerPeers: r.closerPeers,
      providerPeers: r.providerPeers,
    }
    if (r.key !== undefined) m.key = r.key
    if (r.record !== undefined) m.record = r.record
    if (r.clusterLevelRaw !== undefined) m.clusterLevelRaw = r.clusterLevelRaw
    return m
  })
