import { describe, expect, it } from 'vitest'
import { FrameTooLargeError, frame } from '../../src/node/host/rpc-io.js'
import { FrameDecoder, MAX_FRAME_BYTES, encodeFrame, encodeFramedMessage } from '../../src/wire/frame.js'
import { encodeUvarint } from '../../src/wire/varint.js'
import { decodeMessage } from '../../src/wire/message.js'

describe('frames', () => {
  it('prefixes a payload with its unsigned varint length', () => {
    const r = encodeFrame(new Uint8Array(300).fill(1))
    expect(r.ok).toBe(true)
    if (r.ok) {
      expect(Array.from(r.value.subarray(0, 2))).toEqual([0xac, 0x02])
      expect(r.value.length).toBe(302)
    }
  })

  it('accepts exactly 1 MiB and refuses one byte more when encoding', () => {
    expect(MAX_FRAME_BYTES).toBe(1_048_576)
    expect(encodeFrame(new Uint8Array(MAX_FRAME_BYTES)).ok).toBe(true)
    expect(encodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1))).toEqual({ ok: false, error: 'frame-too-large' })
    const big = { type: 4 as const, key: new Uint8Array(MAX_FRAME_BYTES), closerPeers: [], providerPeers: [] }
    expect(encodeFramedMessage(big)).toEqual({ ok: false, error: 'frame-too-large' })
  })

  it('encodes a framed message that the decoder splits back', () => {
    const r = encodeFramedMessage({ type: 5, closerPeers: [], providerPeers: [] })
    expect(r.ok && Array.from(r.value)).toEqual([0x02, 0x08, 0x05])
    const dec = new FrameDecoder()
    const frames = dec.push(Uint8Array.from([0x02, 0x08, 0x05, 0x00, 0x02, 0x08]))
    expect(frames.length).toBe(2)
    expect(frames[0]!.ok && decodeMessage(frames[0]!.value)).toEqual({ ok: true, value: { type: 5, closerPeers: [], providerPeers: [] } })
    expect(frames[1]).toEqual({ ok: true, value: new Uint8Array(0) })
    expect(dec.idle).toBe(false)
    expect(dec.push(Uint8Array.from([0x04]))).toEqual([{ ok: true, value: Uint8Array.from([0x08, 0x04]) }])
    expect(dec.idle).toBe(true)
  })

  it('rejects an oversized frame from its prefix alone, before any body byte', () => {
    const dec = new FrameDecoder()
    // the prefix announces 1 MiB + 1; not a single body byte follows
    const out = dec.push(encodeUvarint(MAX_FRAME_BYTES + 1))
    expect(out).toEqual([{ ok: false, error: 'frame-too-large' }])
    expect(dec.closed).toBe(true)
    expect(dec.push(Uint8Array.from([1, 2, 3]))).toEqual([{ ok: false, error: 'frame-too-large' }])
  })

  it('rejects while the prefix is still arriving once it already exceeds the limit', () => {
    const dec = new FrameDecoder(100)
    // 0xe5 = 101 with the continuation bit: 101 > 100 already, whatever follows
    expect(dec.push(Uint8Array.from([0xe5]))).toEqual([{ ok: false, error: 'frame-too-large' }])
  })

  it('returns frames before an error in the same chunk', () => {
    const dec = new FrameDecoder(4)
    const out = dec.push(Uint8Array.from([0x01, 0xaa, 0x05]))
    expect(out).toEqual([{ ok: true, value: Uint8Array.from([0xaa]) }, { ok: false, error: 'frame-too-large' }])
  })

  it('accepts a 1 MiB frame delivered in 64 KiB chunks', () => {
    const dec = new FrameDecoder()
    const body = new Uint8Array(MAX_FRAME_BYTES)
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff
    const r = encodeFrame(body)
    if (!r.ok) throw new Error(r.error)
    const frames = []
    for (let i = 0; i < r.value.length; i += 65536) frames.push(...dec.push(r.value.subarray(i, i + 65536)))
    expect(frames.length).toBe(1)
    const f = frames[0]!
    expect(f.ok).toBe(true)
    // Buffer.equals: a deep toEqual over 1 MiB is needlessly slow
    expect(f.ok && Buffer.from(f.value).equals(Buffer.from(body))).toBe(true)
  })

  it('rejects a length prefix of more than 5 bytes, even one announcing a small length', () => {
    const dec = new FrameDecoder()
    expect(dec.push(Uint8Array.from(new Array(5).fill(0x80)))).toEqual([{ ok: false, error: 'varint-too-long' }])
    // Four continuation bytes then an end: a non-minimal but valid prefix of 0.
    expect(new FrameDecoder().push(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x00]))).toEqual([{ ok: true, value: new Uint8Array(0) }])
  })

  it('takes Uint8ArrayList-like chunks', () => {
    const dec = new FrameDecoder()
    const chunk = { subarray: () => Uint8Array.from([0x01, 0x07]) }
    expect(dec.push(chunk)).toEqual([{ ok: true, value: Uint8Array.from([0x07]) }])
  })

  it('the host sends no frame over the limit (the same limit it accepts)', () => {
    const big = { type: 4 as const, key: new Uint8Array(MAX_FRAME_BYTES), closerPeers: [], providerPeers: [] }
    expect(() => frame(big)).toThrow(FrameTooLargeError)
    const small = frame({ type: 5, closerPeers: [], providerPeers: [] })
    expect(new FrameDecoder().push(small)[0]?.ok).toBe(true)
  })
})
