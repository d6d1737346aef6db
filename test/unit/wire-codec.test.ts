import { describe, expect, it } from 'vitest'
import { decodeMessage, encodeMessage, encodedSize, MessageType, messageTypeName, type WireMessage } from '../../src/wire/message.js'

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)

function decodeOk(b: Uint8Array): WireMessage {
  const r = decodeMessage(b)
  if (!r.ok) throw new Error(`decode failed: ${r.error}`)
  return r.value
}

describe('wire codec: encoding', () => {
  it('encodes a FIND_NODE request byte for byte', () => {
    const msg: WireMessage = { type: MessageType.FIND_NODE, key: bytes(0xaa, 0xbb), closerPeers: [], providerPeers: [] }
    // 08 04: type = 4; 12 02 aa bb: key
    expect(Array.from(encodeMessage(msg))).toEqual([0x08, 0x04, 0x12, 0x02, 0xaa, 0xbb])
  })

  it('omits the proto3 default type PUT_VALUE and writes peers as nested messages', () => {
    const msg: WireMessage = {
      type: MessageType.PUT_VALUE,
      closerPeers: [{ id: bytes(1, 2), addrs: [bytes(9)], connection: 1 }],
      providerPeers: [],
    }
    // 42 09 | 0a 02 01 02 | 12 01 09 | 18 01
    expect(Array.from(encodeMessage(msg))).toEqual([0x42, 0x09, 0x0a, 0x02, 1, 2, 0x12, 0x01, 9, 0x18, 0x01])
  })

  it('writes a negative clusterLevelRaw as a 10-byte sign-extended varint', () => {
    const msg: WireMessage = { type: MessageType.PING, closerPeers: [], providerPeers: [], clusterLevelRaw: -1 }
    const out = encodeMessage(msg)
    expect(Array.from(out)).toEqual([0x08, 0x05, 0x50, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    expect(encodedSize(msg)).toBe(out.length)
    expect(decodeOk(out).clusterLevelRaw).toBe(-1)
  })

  it('reserves prefix bytes in front of the message when asked', () => {
    const msg: WireMessage = { type: MessageType.PING, closerPeers: [], providerPeers: [] }
    expect(Array.from(encodeMessage(msg, 2))).toEqual([0, 0, 0x08, 0x05])
  })

  it('names message types', () => {
    expect(messageTypeName(MessageType.GET_PROVIDERS)).toBe('GET_PROVIDERS')
    expect(messageTypeName(0)).toBe('PUT_VALUE')
  })
})

describe('wire codec: decoding', () => {
  it('decodes an empty buffer as a PUT_VALUE with nothing set', () => {
    expect(decodeOk(new Uint8Array(0))).toEqual({ type: 0, closerPeers: [], providerPeers: [] })
  })

  it('round-trips every field', () => {
    const msg: WireMessage = {
      type: MessageType.GET_PROVIDERS,
      key: bytes(1, 2, 3),
      record: bytes(0x0a, 0x01, 0x07),
      closerPeers: [{ id: bytes(5), addrs: [bytes(6, 7), bytes(8)] }, { id: bytes(10), addrs: [] }],
      providerPeers: [{ id: bytes(11), addrs: [bytes(12)], connection: 3 }],
      clusterLevelRaw: 300,
    }
    expect(decodeOk(encodeMessage(msg))).toEqual(msg)
  })

  it('skips unknown fields of every wire type, including groups', () => {
    const b = bytes(
      0x08, 0x04, //             type FIND_NODE
      0x20, 0x96, 0x01, //       field 4 varint 150 (unknown)
      0x29, 1, 2, 3, 4, 5, 6, 7, 8, // field 5 fixed64
      0x35, 1, 2, 3, 4, //      field 6 fixed32
      0x3a, 0x02, 0xff, 0xff, // field 7 length-delimited
      0x5b, 0x08, 0x01, 0x63, 0x64, 0x5c, // field 11 group containing a varint and an empty group 12
      0x12, 0x01, 0x42, //       key
    )
    expect(decodeOk(b)).toEqual({ type: 4, key: bytes(0x42), closerPeers: [], providerPeers: [] })
  })

  it('skips unknown fields inside a peer', () => {
    // closer peer: id 01, unknown field 7 varint, addr 02
    const b = bytes(0x42, 0x08, 0x0a, 0x01, 0x01, 0x38, 0x05, 0x12, 0x01, 0x02)
    expect(decodeOk(b).closerPeers).toEqual([{ id: bytes(1), addrs: [bytes(2)] }])
  })

  it('keeps the last value of a repeated singular field', () => {
    expect(decodeOk(bytes(0x08, 0x01, 0x08, 0x04)).type).toBe(4)
    expect(decodeOk(bytes(0x12, 0x01, 0x01, 0x12, 0x01, 0x02)).key).toEqual(bytes(2))
  })

  it('copies bytes out of the input buffer', () => {
    const b = bytes(0x12, 0x02, 0x01, 0x02)
    const m = decodeOk(b)
    b[2] = 0x99
    expect(m.key).toEqual(bytes(1, 2))
  })

  it.each([
    ['truncated tag varint', [0x80], 'truncated'],
    ['varint longer than 10 bytes', [0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 'varint-too-long'],
    ['tag over 32 bits', [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 'varint-overflow'],
    ['field number 0', [0x00, 0x01], 'bad-field-number'],
    ['length past the end', [0x12, 0x05, 0x01], 'truncated'],
    ['length prefix truncated', [0x12], 'truncated'],
    ['key with varint wire type', [0x10, 0x01], 'wrong-wire-type'],
    ['type with length-delimited wire type', [0x0a, 0x00], 'wrong-wire-type'],
    ['wire type 6 on an unknown field', [0x26], 'bad-wire-type'],
    ['wire type 7 on an unknown field', [0x27], 'bad-wire-type'],
    ['stray end-group', [0x24], 'group-mismatch'],
    ['group closed with another field number', [0x5b, 0x64], 'group-mismatch'],
    ['unterminated group', [0x5b, 0x08, 0x01], 'truncated'],
    ['fixed64 past the end', [0x29, 1, 2, 3], 'truncated'],
    ['fixed32 past the end', [0x35, 1, 2], 'truncated'],
    ['unknown message type', [0x08, 0x06], 'unknown-message-type'],
    ['negative message type', [0x08, 0xff, 0xff, 0xff, 0xff, 0x0f], 'unknown-message-type'],
    ['peer longer than the message', [0x42, 0x05, 0x0a, 0x01], 'truncated'],
    ['garbage inside a peer', [0x42, 0x02, 0x0a, 0x05], 'truncated'],
    ['peer id with varint wire type', [0x4a, 0x02, 0x08, 0x01], 'wrong-wire-type'],
  ])('rejects %s', (_name, input, error) => {
    expect(decodeMessage(Uint8Array.from(input))).toEqual({ ok: false, error })
  })

  it('bounds nesting of unknown groups', () => {
    const open = new Array(40).fill(0x5b) // 40 nested START_GROUP field 11
    expect(decodeMessage(Uint8Array.from(open))).toEqual({ ok: false, error: 'too-deep' })
  })

  it('enforces the peer and address limits', () => {
    const peer = { id: bytes(1), addrs: [bytes(2), bytes(3), bytes(4)] }
    const msg: WireMessage = { type: 4, closerPeers: [peer, peer, peer], providerPeers: [] }
    const b = encodeMessage(msg)
    expect(decodeMessage(b, { maxPeers: 2, maxAddrsPerPeer: 8 })).toEqual({ ok: false, error: 'too-many-peers' })
    expect(decodeMessage(b, { maxPeers: 8, maxAddrsPerPeer: 2 })).toEqual({ ok: false, error: 'too-many-addrs' })
    expect(decodeMessage(b, { maxPeers: 3, maxAddrsPerPeer: 3 }).ok).toBe(true)
  })

  it('keeps unknown connection values as numbers (open enum)', () => {
    const b = bytes(0x42, 0x02, 0x18, 0x07)
    expect(decodeOk(b).closerPeers[0]).toEqual({ id: new Uint8Array(0), addrs: [], connection: 7 })
  })
})
