// Protobuf base-128 varints over Uint8Array, without BigInt.
//
// A varint is at most 10 bytes (64 bits). We read the low 32 bits as an unsigned number and
// remember whether any of the high 32 bits were set, which is all the codec needs: tags and
// lengths must fit in 32 bits (anything larger is an error), and int32/enum fields keep the low
// 32 bits as a signed integer, exactly as protobuf's int32 parsing does. Reads never throw: they
// report "truncated" or "varint-too-long" through the returned status.

/** The longest legal varint: 64 bits in 7-bit groups. */
export const MAX_VARINT_BYTES = 10

export const VARINT_OK = 0
export const VARINT_TRUNCATED = 1
export const VARINT_TOO_LONG = 2

/**
 * A cursor over a byte array. After readVarint(), `lo` holds the low 32 bits (unsigned),
 * `hiSet` says whether any higher bit was set, and the return value is a VARINT_* status.
 */
export class VarintReader {
  pos: number
  lo = 0
  hiSet = false

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    /** Exclusive end of the readable region (a sub-message ends before the buffer does). */
    public end = buf.length,
  ) {
    this.pos = pos
  }

  readVarint(): number {
    const buf = this.buf
    let pos = this.pos
    let lo = 0
    let hiSet = false
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (pos >= this.end) return VARINT_TRUNCATED
      const b = buf[pos++]!
      if (i < 4) {
        lo |= (b & 0x7f) << (7 * i)
      } else if (i === 4) {
        // bits 28..34: the low 4 bits of this group complete the 32-bit word.
        lo |= (b & 0x0f) << 28
        if ((b & 0x70) !== 0) hiSet = true
      } else if ((b & 0x7f) !== 0) {
        hiSet = true
      }
      if ((b & 0x80) === 0) {
        this.pos = pos
        this.lo = lo >>> 0
        this.hiSet = hiSet
        return VARINT_OK
      }
    }
    return VARINT_TOO_LONG
  }
}

/** Bytes needed to encode `n` (0 <= n < 2^32) as an unsigned varint. */
export function uvarintSize(n: number): number {
  if (n < 0x80) return 1
  if (n < 0x4000) return 2
  if (n < 0x200000) return 3
  if (n < 0x10000000) return 4
  return 5
}

/** Bytes needed to encode a signed int32 the protobuf way (negatives sign-extend to 10 bytes). */
export function int32Size(n: number): number {
  return n < 0 ? MAX_VARINT_BYTES : uvarintSize(n)
}

/** Writes `n` (0 <= n < 2^32) at `pos`; returns the position after it. */
export function writeUvarint(buf: Uint8Array, pos: number, n: number): number {
  let v = n >>> 0
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[pos++] = v
  return pos
}

/** Writes a signed int32 as protobuf does: negative values become 10-byte two's complement. */
export function writeInt32(buf: Uint8Array, pos: number, n: number): number {
  if (n >= 0) return writeUvarint(buf, pos, n)
  let v = n >>> 0 // low 32 bits, two's complement
  for (let i = 0; i < 4; i++) {
    buf[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  // byte 5: the last 4 bits of the low word, high word all ones (0x70), continuation.
  buf[pos++] = (v & 0x0f) | 0x70 | 0x80
  for (let i = 0; i < 4; i++) buf[pos++] = 0xff
  buf[pos++] = 0x01
  return pos
}

/** Encodes `n` (0 <= n < 2^32) as a standalone unsigned varint. */
export function encodeUvarint(n: number): Uint8Array {
  const out = new Uint8Array(uvarintSize(n))
  writeUvarint(out, 0, n)
  return out
}
