// Reads varint-length-prefixed frames from a libp2p stream without trusting the peer.
//
// Theory of operation: the reader listens to the stream's `message` events and feeds the chunks
// to the wire layer's FrameDecoder (the one parser of kad frames), queueing the frames it
// completes. `next()` resolves with the first queued frame, or with an error result as soon as
// the bytes prove the frame bad: a length prefix longer than 5 bytes or one announcing more than
// `maxFrameBytes` ("oversized") is rejected before the body is buffered. The remote closing its
// write side mid-frame gives "truncated"; nothing at all gives "eof"; no complete frame within
// `timeoutMs` gives "timeout". Nothing here throws on remote input.
//
// What a peer can make us hold is bounded three ways:
//   - per stream: once a frame's worth (maxFrameBytes + prefix) is queued the stream is paused,
//     so yamux stops granting window; libp2p's own buffer of a paused stream is capped at the
//     same size (beyond it libp2p resets the stream);
//   - per peer and in total: every byte queued, and the body of a frame being received, is
//     reserved in a ByteBudget; a reservation refused ends the stream with "over-budget";
//   - after the last request: finish() drops the listener and everything queued, and any byte
//     that still arrives resets the stream ("trailing"), as does a remote that keeps the
//     stream half-open past the linger time.
import type { Stream } from '@libp2p/interface'
import { FrameDecoder, MAX_FRAME_BYTES, MAX_PREFIX_BYTES } from '../../wire/frame.js'
import type { ByteBudget } from './byte-budget.js'

export type FrameError = 'oversized' | 'bad-length' | 'truncated' | 'eof' | 'timeout' | 'reset' | 'over-budget'
export type FrameResult = { readonly ok: true; readonly frame: Uint8Array } | { readonly ok: false; readonly error: FrameError }

export interface FrameReaderOptions {
  /** Largest frame body accepted (default MAX_FRAME_BYTES). */
  readonly maxFrameBytes?: number
  /** Bytes of the stream already read by someone else, to be read first. */
  readonly early?: Uint8Array
  /** Where buffered bytes are reserved, under `peer`. */
  readonly budget?: ByteBudget
  readonly peer?: string
}

export interface FinishOptions {
  /** Called when the peer sends bytes after we finished reading (the stream is then reset). */
  readonly onTrailing?: () => void
  /** A stream still half-open this long after finish() is reset. */
  readonly lingerMs?: number
}

export class FrameReader {
  private readonly decoder: FrameDecoder
  private readonly frames: Uint8Array[] = []
  private readonly budget: ByteBudget | undefined
  private readonly peer: string
  private readonly highWater: number
  /** Bytes in `frames`. */
  private queued = 0
  /** Bytes reserved in the budget (queued + the decoder's partial body). */
  private reserved = 0
  private error: FrameError | undefined
  private ended = false
  private failed = false
  private finished = false
  private paused = false
  private wake: (() => void) | undefined
  private readonly onMessage = (evt: { data: Uint8Array | { subarray(): Uint8Array } }): void => {
    const d = evt.data
    this.push(d instanceof Uint8Array ? d : d.subarray())
  }
  private readonly onEnd = (): void => {
    this.ended = true
    this.wake?.()
  }
  private readonly onClose = (evt: { error?: Error }): void => {
    if (evt.error != null) this.failed = true
    this.onEnd()
    this.releaseAll()
  }

  constructor(
    private readonly stream: Stream,
    opts: FrameReaderOptions = {},
  ) {
    const max = opts.maxFrameBytes ?? MAX_FRAME_BYTES
    this.decoder = new FrameDecoder(max)
    this.budget = opts.budget
    this.peer = opts.peer ?? ''
    this.highWater = max + MAX_PREFIX_BYTES
    // What libp2p may hold for a paused stream: one frame's worth, then it resets the stream.
    if (stream.maxReadBufferLength > this.highWater) stream.maxReadBufferLength = this.highWater
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('remoteCloseWrite', this.onEnd)
    stream.addEventListener('close', this.onClose)
    if (opts.early !== undefined && opts.early.length > 0) this.push(opts.early)
  }

  /** Bytes this reader holds for the peer (queued frames and a partial frame's body). */
  get bufferedBytes(): number {
    return this.reserved
  }

  private push(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.finished || this.error !== undefined) return
    for (const r of this.decoder.push(bytes)) {
      if (r.ok) {
        this.frames.push(r.value)
        this.queued += r.value.length
      } else {
        this.error = r.error === 'frame-too-large' ? 'oversized' : 'bad-length'
        break
      }
    }
    if (this.error === undefined) this.account()
    if (this.error !== undefined) this.releaseAll()
    else if (this.queued >= this.highWater) this.pause()
    this.wake?.()
  }

  /** Brings the budget reservation in line with what is held; a refusal is an error. */
  private account(): void {
    const want = this.queued + this.decoder.pendingBytes
    if (this.budget === undefined) {
      this.reserved = want
      return
    }
    if (want > this.reserved) {
      if (!this.budget.reserve(this.peer, want - this.reserved)) {
        this.error = 'over-budget'
        return
      }
    } else if (want < this.reserved) {
      this.budget.release(this.peer, this.reserved - want)
    }
    this.reserved = want
  }

  private releaseAll(): void {
    this.frames.length = 0
    this.queued = 0
    this.budget?.release(this.peer, this.reserved)
    this.reserved = 0
  }

  private pause(): void {
    if (this.paused || this.stream.readStatus !== 'readable') return
    try {
      this.stream.pause()
      this.paused = true
    } catch {
      // the stream is closing: nothing more will arrive
    }
  }

  private resume(): void {
    if (!this.paused) return
    this.paused = false
    try {
      this.stream.resume()
    } catch {
      // the stream is closing
    }
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
    if (this.finished) return { ok: false, error: 'eof' }
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const f = this.frames.shift()
      if (f !== undefined) {
        this.queued -= f.length
        this.account()
        return { ok: true, frame: f }
      }
      if (this.error !== undefined) return { ok: false, error: this.error }
      if (this.ended || this.endedBeforeUs()) {
        if (this.failed) return { ok: false, error: 'reset' }
        return { ok: false, error: this.decoder.idle ? 'eof' : 'truncated' }
      }
      const left = deadline - performance.now()
      if (left <= 0) return { ok: false, error: 'timeout' }
      this.resume()
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

  /**
   * We read nothing more from this stream: drops what is queued, gives back its budget, and from
   * now on resets the stream when the peer sends another byte or keeps it open past `lingerMs`.
   */
  finish(opts: FinishOptions = {}): void {
    if (this.finished) return
    this.finished = true
    const s = this.stream
    s.removeEventListener('message', this.onMessage)
    s.removeEventListener('remoteCloseWrite', this.onEnd)
    s.removeEventListener('close', this.onClose)
    const trailing = this.queued > 0 || !this.decoder.idle
    this.releaseAll()
    this.wake?.()
    if (s.status !== 'open') return
    if (trailing) {
      opts.onTrailing?.()
      s.abort(new Error('bytes after the last request'))
      return
    }
    if (s.remoteWriteStatus !== 'writable') return
    const onMore = (): void => {
      cleanup()
      opts.onTrailing?.()
      s.abort(new Error('bytes after the last request'))
    }
    const timer = opts.lingerMs !== undefined ? setTimeout(() => (cleanup(), s.abort(new Error('stream left open'))), opts.lingerMs) : undefined
    timer?.unref?.()
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer)
      s.removeEventListener('message', onMore)
      s.removeEventListener('close', cleanup)
    }
    s.addEventListener('message', onMore)
    s.addEventListener('close', cleanup)
    this.resume()
  }
}
