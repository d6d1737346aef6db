// Reads varint-length-prefixed frames from a libp2p stream without trusting the peer.
//
// Theory of operation: the reader listens to the stream's `message` events and appends the
// chunks to a small buffer. `next()` resolves with the first complete frame, or with an error
// result as soon as the bytes prove the frame bad: a length prefix longer than 5 bytes or one
// announcing more than `maxFrameBytes` ("oversized") is rejected before the body is buffered,
// so a peer cannot make us hold more than one cap's worth of bytes. The remote closing its
// write side mid-frame gives "truncated"; nothing at all gives "eof"; no complete frame within
// `timeoutMs` gives "timeout". Nothing here throws on remote input.
import type { Stream } from '@libp2p/interface'

export type FrameError = 'oversized' | 'bad-length' | 'truncated' | 'eof' | 'timeout' | 'reset'
export type FrameResult = { readonly ok: true; readonly frame: Uint8Array } | { readonly ok: false; readonly error: FrameError }

/** The longest length prefix we accept: 5 varint bytes cover 32 bits. */
const MAX_PREFIX_BYTES = 5

export class FrameReader {
  private chunks: Uint8Array[] = []
  private buffered = 0
  private ended = false
  private failed = false
  private wake: (() => void) | undefined

  /** `early`: bytes of the stream already read by someone else, to be read first. */
  constructor(
    private readonly stream: Stream,
    private readonly maxFrameBytes: number,
    early?: Uint8Array,
  ) {
    if (early !== undefined && early.length > 0) {
      this.chunks.push(early)
      this.buffered = early.length
    }
    stream.addEventListener('message', (evt) => {
      const d = evt.data
      const bytes = d instanceof Uint8Array ? d : d.subarray()
      if (bytes.length === 0) return
      this.chunks.push(bytes)
      this.buffered += bytes.length
      this.wake?.()
    })
    const onEnd = (): void => {
      this.ended = true
      this.wake?.()
    }
    stream.addEventListener('remoteCloseWrite', onEnd)
    stream.addEventListener('close', (evt) => {
      if (evt.error != null) this.failed = true
      onEnd()
    })
  }

  /** The remote finished writing before we listened, and every byte it sent has reached us. */
  private endedBeforeUs(): boolean {
    const s = this.stream
    if (s.status === 'aborted' || s.status === 'reset') this.failed = true
    const over = s.remoteWriteStatus !== 'writable' || s.status === 'closed' || this.failed
    return over && s.readBufferLength === 0
  }

  /** The next frame, or why there is none. After an error result the stream should be closed. */
  async next(timeoutMs: number): Promise<FrameResult> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const r = this.tryParse()
      if (r !== undefined) return r
      if (this.ended || this.endedBeforeUs()) {
        if (this.failed) return { ok: false, error: 'reset' }
        return { ok: false, error: this.buffered === 0 ? 'eof' : 'truncated' }
      }
      const left = deadline - Date.now()
      if (left <= 0) return { ok: false, error: 'timeout' }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
      this.wake = undefined
    }
  }

  /** A frame, an error, or undefined when more bytes are needed. */
  private tryParse(): FrameResult | undefined {
    if (this.buffered === 0) return undefined
    let len = 0
    let shift = 0
    let prefix = 0
    let complete = false
    // Walk the prefix across chunks without concatenating.
    outer: for (const c of this.chunks) {
      for (let i = 0; i < c.length; i++) {
        const b = c[i]!
        prefix++
        len += (b & 0x7f) * 2 ** shift
        shift += 7
        if ((b & 0x80) === 0) {
          complete = true
          break outer
        }
        if (prefix >= MAX_PREFIX_BYTES) return { ok: false, error: 'bad-length' }
      }
    }
    if (!complete) return undefined
    if (len > this.maxFrameBytes) return { ok: false, error: 'oversized' }
    if (this.buffered < prefix + len) return undefined
    const all = this.take(prefix + len)
    return { ok: true, frame: all.subarray(prefix) }
  }

  /** Removes and returns the first n buffered bytes (one copy only when they span chunks). */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!
    if (first.length >= n) {
      const out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.buffered -= n
      return out
    }
    const out = new Uint8Array(n)
    let off = 0
    while (off < n) {
      const c = this.chunks[0]!
      const want = n - off
      if (c.length <= want) {
        out.set(c, off)
        off += c.length
        this.chunks.shift()
      } else {
        out.set(c.subarray(0, want), off)
        this.chunks[0] = c.subarray(want)
        off += want
      }
    }
    this.buffered -= n
    return out
  }
}

/** Writes one length-prefixed frame, waiting for the stream to drain if it asks to. */
export async function writeFrame(stream: Stream, payload: Uint8Array): Promise<void> {
  const prefix: number[] = []
  let v = payload.length
  while (v >= 0x80) {
    prefix.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  prefix.push(v)
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix, 0)
  out.set(payload, prefix.length)
  if (!stream.send(out)) await stream.onDrain()
}
