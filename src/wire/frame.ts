// Unsigned-varint length-prefixed framing, as libp2p kad-dht streams use it
// (`<uvarint length><protobuf Message>`).
//
// Theory of operation: FrameDecoder is a push parser. Bytes arrive in chunks of any size; the
// decoder first reads the length prefix one byte at a time and rejects the frame with
// 'frame-too-large' as soon as the partial length exceeds the limit — before a single body
// byte is buffered. A frame that fits is copied into a buffer of exactly its size (or, when
// the whole frame sits in one chunk, returned as a view of that chunk). After any error the
// decoder is closed and keeps returning that error: the caller resets the stream.
import { encodeMessage, encodedSize, type WireMessage } from './message.js'
import { err, ok, type Result } from './result.js'
import { uvarintSize, writeUvarint } from './varint.js'

/** Largest frame body accepted or sent: 1 MiB, the limit every kad stream of the node shares. */
export const MAX_FRAME_BYTES = 1_048_576
/** Longest length prefix accepted: 5 bytes cover 32 bits (a 1 MiB length needs 3). */
export const MAX_PREFIX_BYTES = 5

export type FrameError = 'frame-too-large' | 'varint-too-long'

/** Something a Uint8Array or a Uint8ArrayList (libp2p stream chunks) can be turned into. */
export type Chunk = Uint8Array | { subarray(): Uint8Array }

/** Prefixes `payload` with its length. Refuses payloads over `maxFrameBytes`. */
export function encodeFrame(payload: Uint8Array, maxFrameBytes = MAX_FRAME_BYTES): Result<Uint8Array, 'frame-too-large'> {
  if (payload.length > maxFrameBytes) return err('frame-too-large')
  const out = new Uint8Array(uvarintSize(payload.length) + payload.length)
  const pos = writeUvarint(out, 0, payload.length)
  out.set(payload, pos)
  return ok(out)
}

/** Encodes `msg` with its length prefix in one allocation. Refuses messages over the limit. */
export function encodeFramedMessage(msg: WireMessage, maxFrameBytes = MAX_FRAME_BYTES): Result<Uint8Array, 'frame-too-large'> {
  const size = encodedSize(msg)
  if (size > maxFrameBytes) return err('frame-too-large')
  const prefix = uvarintSize(size)
  const out = encodeMessage(msg, prefix)
  writeUvarint(out, 0, size)
  return ok(out)
}

export class FrameDecoder {
  /** Length prefix being read: value so far, its scale and bytes consumed. */
  private hdrValue = 0
  private hdrScale = 1
  private hdrBytes = 0
  /** Body being filled, once the prefix is complete. */
  private body: Uint8Array | undefined
  private filled = 0
  private error: FrameError | undefined

  constructor(readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** True after an error: the stream should be reset; push() returns the error again. */
  get closed(): boolean {
    return this.error !== undefined
  }

  /** True when no partial frame is buffered (a clean place for the stream to end). */
  get idle(): boolean {
    return this.body === undefined && this.hdrBytes === 0
  }

  /** Bytes allocated for the frame being received (its announced length), 0 between frames. */
  get pendingBytes(): number {
    return this.body?.length ?? 0
  }

  /**
   * Feeds a chunk; returns the frames it completed, in order. When the chunk contains an
   * invalid prefix, the frames before it are returned followed by one error result.
   * Frames may be views into `chunk`: decode them before mutating the chunk.
   */
  push(input: Chunk): Result<Uint8Array, FrameError>[] {
    if (this.error !== undefined) return [err(this.error)]
    const chunk = input instanceof Uint8Array ? input : input.subarray()
    const out: Result<Uint8Array, FrameError>[] = []
    let i = 0
    while (i < chunk.length) {
      if (this.body === undefined) {
        const b = chunk[i++]!
        this.hdrValue += (b & 0x7f) * this.hdrScale
        this.hdrScale *= 128
        this.hdrBytes++
        if (this.hdrValue > this.maxFrameBytes) return this.fail(out, 'frame-too-large')
        if (b & 0x80) {
          if (this.hdrBytes >= MAX_PREFIX_BYTES) return this.fail(out, 'varint-too-long')
          continue
        }
        const len = this.hdrValue
        this.hdrValue = 0
        this.hdrScale = 1
        this.hdrBytes = 0
        if (chunk.length - i >= len) {
          out.push(ok(chunk.subarray(i, i + len)))
          i += len
        } else {
          this.body = new Uint8Array(len)
          this.filled = 0
        }
      } else {
        const n = Math.min(this.body.length - this.filled, chunk.length - i)
        this.body.set(chunk.subarray(i, i + n), this.filled)
        this.filled += n
        i += n
        if (this.filled === this.body.length) {
          out.push(ok(this.body))
          this.body = undefined
        }
      }
    }
    return out
  }

  private fail(out: Result<Uint8Array, FrameError>[], e: FrameError): Result<Uint8Array, FrameError>[] {
    this.error = e
    this.body = undefined
    out.push(err(e))
    return out
  }
}
