// Noise frames on a TCP connection are cut by a LengthPrefixedDecoder (@libp2p/utils) that, stock,
// calls its length decoder once more after the last whole frame of every chunk; Noise's decoder
// throws a RangeError with a stack trace on the empty buffer and the decoder catches it. That was
// the most expensive line of a busy node's read path. patches/@libp2p+utils+*.patch (applied by
// `npm ci`'s postinstall) stops the loop on an empty buffer; these tests fail if the patch is gone
// (a dependency bump it no longer fits), and check that frames split across chunks still decode.
import { describe, expect, it } from 'vitest'
import { LengthPrefixedDecoder } from '@libp2p/utils'

/** The decoder's length-prefix reader (its own Uint8ArrayList type, not ours). */
type LengthDecoder = NonNullable<NonNullable<ConstructorParameters<typeof LengthPrefixedDecoder>[0]>['lengthDecoder']>

/** Noise's 2-byte big-endian length prefix, counting the calls it cannot answer. */
function uint16Decoder(): { decode: LengthDecoder, short: () => number } {
  let short = 0
  return {
    decode: (data) => {
      if (data.byteLength < 2) {
        short++
        throw new RangeError('Could not decode int16BE')
      }
      const b = data.subarray(0, 2)
      return (b[0]! << 8) + b[1]!
    },
    short: () => short,
  }
}

function frame(payload: number[]): Uint8Array {
  return Uint8Array.from([payload.length >> 8, payload.length & 0xff, ...payload])
}

function decoder(len: ReturnType<typeof uint16Decoder>): LengthPrefixedDecoder {
  return new LengthPrefixedDecoder({ lengthDecoder: len.decode, maxBufferSize: 1 << 20, encodingLength: () => 2 })
}

describe('LengthPrefixedDecoder (patched)', () => {
  it('does not ask the length decoder about an empty buffer when a chunk ends on a frame boundary', () => {
    const len = uint16Decoder()
    const d = decoder(len)
    const chunk = Uint8Array.from([...frame([1, 2, 3]), ...frame([4, 5])])
    for (let i = 0; i < 100; i++) {
      const out = [...d.decode(chunk)].map((b) => [...b.subarray()])
      expect(out).toEqual([[1, 2, 3], [4, 5]])
    }
    expect(len.short()).toBe(0)
  })

  it('still waits for the rest of a frame, or of its length prefix, split across chunks', () => {
    const len = uint16Decoder()
    const d = decoder(len)
    const bytes = Uint8Array.from([...frame([9, 8, 7, 6]), ...frame([5])])
    const got: number[][] = []
    for (const b of bytes) for (const f of d.decode(Uint8Array.of(b))) got.push([...f.subarray()])
    expect(got).toEqual([[9, 8, 7, 6], [5]])
    // Only the single-byte chunks that cut a length prefix in half leave a buffer too short to read.
    expect(len.short()).toBe(2)
  })
})
