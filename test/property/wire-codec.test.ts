// Property tests of the wire codec: round trips, and garbage in never throws.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeMessage, encodeMessage, encodedSize } from '../../src/wire/message.js'
import { FrameDecoder, encodeFramedMessage } from '../../src/wire/frame.js'
import { arbWireMessage } from './wire-arbitraries.js'

describe('wire codec properties', () => {
  it('decode(encode(m)) equals m, and the size is exact', () => {
    fc.assert(
      fc.property(arbWireMessage, (m) => {
        const b = encodeMessage(m)
        expect(b.length).toBe(encodedSize(m))
        expect(decodeMessage(b)).toEqual({ ok: true, value: m })
      }),
      { numRuns: 500 },
    )
  })

  it('never throws on arbitrary bytes, and returns a result', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const r = decodeMessage(b)
        expect(typeof r.ok).toBe('boolean')
        // whatever decodes, re-encodes to something that decodes to the same message
        if (r.ok) expect(decodeMessage(encodeMessage(r.value))).toEqual(r)
      }),
      { numRuns: 3000 },
    )
  })

  it('never throws on mutated valid messages (nested garbage)', () => {
    const mutation = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), cut: fc.nat() })
    fc.assert(
      fc.property(arbWireMessage, fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, muts) => {
        let b = encodeMessage(m)
        if (b.length === 0) return
        for (const { at, value, cut } of muts) {
          b[at % b.length] = value
          if (cut % 3 === 0) b = b.subarray(0, cut % (b.length + 1))
          if (b.length === 0) return
        }
        const r = decodeMessage(b)
        expect(typeof r.ok).toBe('boolean')
      }),
      { numRuns: 2000 },
    )
  })

  it('frames survive any chunking of the byte stream', () => {
    fc.assert(
      fc.property(fc.array(arbWireMessage, { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1 }), (msgs, cuts) => {
        const parts = msgs.map((m) => {
          const r = encodeFramedMessage(m)
          if (!r.ok) throw new Error(r.error)
          return r.value
        })
        const stream = Uint8Array.from(parts.flatMap((p) => Array.from(p)))
        const dec = new FrameDecoder()
        const got: unknown[] = []
        let pos = 0
        let i = 0
        while (pos < stream.length) {
          const n = cuts[i++ % cuts.length]!
          for (const f of dec.push(stream.slice(pos, pos + n))) {
            expect(f.ok).toBe(true)
            if (f.ok) got.push(decodeMessage(f.value))
          }
          pos += n
        }
        expect(dec.idle).toBe(true)
        expect(got).toEqual(msgs.map((value) => ({ ok: true, value })))
      }),
      { numRuns: 300 },
    )
  })

  it('the frame decoder never throws on garbage streams', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const dec = new FrameDecoder(1000)
        for (const c of chunks) for (const f of dec.push(c)) if (f.ok) expect(f.value.length).toBeLessThanOrEqual(1000)
      }),
      { numRuns: 2000 },
    )
  })
})
