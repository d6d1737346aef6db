// Inbound kad streams answered without libp2p's per-stream negotiation layer.
//
// Theory of operation: for every inbound stream libp2p's Connection runs multistream-select
// through a length-prefixed reader (two awaited writes, a dozen microtask hops), arms an
// AbortSignal timer, counts the connection's streams and *writes the peer store* (a locked
// read-modify-compare of the peer's record) before the protocol handler sees the stream. For a
// kad server that answers one small request per stream this was about half of its CPU per
// request. So, when a connection opens, we put ourselves in front of the muxer's `stream` event:
//   - we read the first bytes of the stream; if they are exactly the multistream header and our
//     protocol line (a dialer sends both in one write, whether it then waits for the echo or
//     not), we echo both lines in one write, give any bytes after them (an optimistic dialer's
//     request) back to the stream, and hand it to the kad handler — the same bytes on the wire
//     as libp2p's listener sends, in one frame instead of two;
//   - anything else (another protocol, `ls`, a header sent alone, a stream of a relayed or
//     otherwise limited connection) goes to libp2p's own handler with every byte given back,
//     so identify, ping and unusual dialers take the ordinary path.
// Limits: at most `maxInboundStreams` kad streams per connection at once (extra ones are reset
// before the echo, as libp2p resets them), `negotiationTimeoutMs` to send the protocol lines, and
// `admit` (the per-peer request budget). Where the muxer is yamux, both are checked when the
// peer's SYN arrives, before the muxer allocates a stream (the stream limit then counts all of the
// peer's open streams on the connection, whatever their protocol): a refused open costs one
// 12-byte RST frame and no stream object, listener, timer or negotiation, so a peer flooding past
// its budget costs the node little per attempt. Every such refusal is reported with its
// connection, so that the caller can count it against the peer. The token is given back
// (`refund`) when the stream turns out to be another protocol's (identify, ping), which libp2p
// then handles as usual. Without yamux's internals `admit` is asked before the echo instead.
// Bytes from the peer never throw here: a mismatch is a fallback, a stall a reset.
import type { Connection, Libp2p, Stream, StreamMuxer } from '@libp2p/interface'

export interface InboundFastPathOptions {
  /** The protocol served, e.g. /ipfs/kad/1.0.0. */
  readonly protocol: string
  /**
   * Called with a negotiated stream (its write side already carries the echo) and the bytes the
   * dialer sent after the protocol lines, if any (an optimistic dialer's request), which the
   * handler must read before the stream's own 'message' events.
   */
  readonly handler: (stream: Stream, conn: Connection, early: Uint8Array | undefined) => void
  /** Concurrent inbound streams of the protocol per connection. */
  readonly maxInboundStreams: number
  /** Time the dialer has to send the two protocol lines. */
  readonly negotiationTimeoutMs: number
  /**
   * Asked once the dialer named our protocol and before we echo it: false resets the stream at
   * once (a peer over its request budget costs no echo, no reader, no decode).
   */
  readonly admit?: (conn: Connection) => boolean
  /** Gives back what `admit` took for a stream that is not the protocol's. */
  readonly refund?: (conn: Connection) => void
  /**
   * Told of each stream reset for a budget of its own (`streams-per-connection`), with the
   * connection it came on: a peer that keeps opening streams past its limit is flooding, and the
   * caller may hold that against it as it does a request over budget.
   */
  readonly onRefused?: (reason: string, conn: Connection) => void
}

/** Multistream-select 1.0.0 framing of one line: <uvarint length><text>\n (lines are < 128 B). */
function mssLine(text: string): Uint8Array {
  const body = new TextEncoder().encode(`${text}\n`)
  const out = new Uint8Array(1 + body.length)
  out[0] = body.length
  out.set(body, 1)
  return out
}

const MSS_HEADER = mssLine('/multistream/1.0.0')

/** Libp2p's Connection keeps these (js-libp2p 3); without them we leave the connection alone. */
interface ConnectionInternals {
  readonly muxer?: StreamMuxer
  readonly onIncomingStream?: (evt: CustomEvent<Stream>) => void
}

/** Yamux's muxer (@chainsafe/libp2p-yamux 8) opens a remote stream in `incomingStream(id)`. */
interface YamuxInternals {
  incomingStream?: (id: number) => void
  sendFrame?: (header: { type: number; flag: number; streamID: number; length: number }) => void
  /** The remote's streams the muxer holds now (opened and not yet closed on both sides). */
  numInboundStreams?: number
}

/** Yamux's stream keeps its numeric id. */
interface YamuxStreamInternals {
  readonly streamId?: number
}

/** The yamux spec's WindowUpdate frame type and RST flag: yamux's own reset of a SYN past its limit. */
const YAMUX_WINDOW_UPDATE = 0x1
const YAMUX_RST = 0x8

/** Installs the fast path on connections opened from now on. Returns the uninstaller. */
export function installInboundFastPath(node: Libp2p, opts: InboundFastPathOptions): () => void {
  const line = mssLine(opts.protocol)
  if (line.length > 128) throw new Error('protocol name too long for the fast path')
  const expected = new Uint8Array(MSS_HEADER.length + line.length)
  expected.set(MSS_HEADER, 0)
  expected.set(line, MSS_HEADER.length)
  const onOpen = (evt: CustomEvent<Connection>): void => takeOver(evt.detail, expected, opts)
  node.addEventListener('connection:open', onOpen)
  return () => node.removeEventListener('connection:open', onOpen)
}

function takeOver(conn: Connection, expected: Uint8Array, opts: InboundFastPathOptions): void {
  const internals = conn as unknown as ConnectionInternals
  const muxer = internals.muxer
  const libp2pHandler = internals.onIncomingStream
  if (muxer == null || typeof libp2pHandler !== 'function' || conn.limits != null) return
  let active = 0
  const budget = opts.admit
  const refused = (reason: string): void => opts.onRefused?.(reason, conn)
  const paidAtOpen = budget === undefined ? undefined : gateStreamOpens(muxer, opts.maxInboundStreams, () => budget(conn), refused)
  muxer.removeEventListener('stream', libp2pHandler)
  muxer.addEventListener('stream', (evt) => {
    const stream = evt.detail
    // Streams opened before the gate was in place (held while the connection was set up) have
    // not paid: they pay before the echo, like every stream where the gate could not be placed.
    const paid = paidAtOpen?.(stream) ?? false
    // A stream over the connection's limit is refused before it costs an echo (and, when it has
    // not paid at its opening, before it costs a request token).
    const admit = (): boolean => {
      if (active >= opts.maxInboundStreams) {
        refused('streams-per-connection')
        return false
      }
      return paid || budget === undefined || budget(conn)
    }
    negotiate(stream, expected, opts.negotiationTimeoutMs, admit, (accepted, early) => {
      if (!accepted) {
        if (paid) opts.refund?.(conn)
        libp2pHandler(evt)
        return
      }
      active++
      stream.addEventListener('close', () => active--, { once: true })
      stream.protocol = opts.protocol
      opts.handler(stream, conn, early)
    })
  })
}

/**
 * Asks `admit` for every stream the remote opens, when its SYN arrives and before yamux allocates
 * the stream; a refusal is answered with a RST as yamux answers a SYN past its own limit (later
 * frames of that stream id are dropped by yamux as frames of an unknown stream). Before that, a
 * SYN that would take the remote past `maxStreams` streams on this connection (every protocol's,
 * kad streams still lingering included) is reset the same way, told to `refused` and charged no
 * token. Returns the test of whether a stream paid at its opening (each stream answers true once),
 * or undefined when the muxer is not one whose internals we know: the caller then asks before the
 * echo.
 */
function gateStreamOpens(
  muxer: StreamMuxer,
  maxStreams: number,
  admit: () => boolean,
  refused: (reason: string) => void,
): ((stream: Stream) => boolean) | undefined {
  const y = muxer as unknown as YamuxInternals
  const open = y.incomingStream
  const send = y.sendFrame
  if (typeof open !== 'function' || typeof send !== 'function') return undefined
  const paid = new Set<number>()
  y.incomingStream = (id: number): void => {
    if ((y.numInboundStreams ?? 0) >= maxStreams) {
      refused('streams-per-connection')
      send.call(muxer, { type: YAMUX_WINDOW_UPDATE, flag: YAMUX_RST, streamID: id, length: 0 })
      return
    }
    if (admit()) {
      // The muxer hands a new stream to its 'stream' listeners synchronously, so the mark is
      // read (and removed) inside `open`; whatever is left (a duplicate SYN) is dropped here.
      paid.add(id)
      open.call(muxer, id)
      paid.delete(id)
      return
    }
    send.call(muxer, { type: YAMUX_WINDOW_UPDATE, flag: YAMUX_RST, streamID: id, length: 0 })
  }
  return (stream) => paid.delete((stream as unknown as YamuxStreamInternals).streamId ?? -1)
}

/**
 * Reads the dialer's first bytes. `done(true, early)`: they were exactly `expected`, the echo has
 * been written and `early` holds the bytes after them. `done(false)`: every byte read has been
 * given back to the stream (unshift) for libp2p's handler to read.
 */
function negotiate(
  stream: Stream,
  expected: Uint8Array,
  timeoutMs: number,
  admit: (() => boolean) | undefined,
  done: (accepted: boolean, early?: Uint8Array) => void,
): void {
  const headerBytes = MSS_HEADER.length
  const seen: Uint8Array[] = []
  let matched = 0
  let finished = false
  const finish = (): void => {
    finished = true
    clearTimeout(timer)
    stream.removeEventListener('message', onMessage)
    stream.removeEventListener('close', onClose)
  }
  const giveBack = (): void => {
    finish()
    const n = seen.reduce((a, b) => a + b.length, 0)
    if (n > 0 && (stream.readStatus === 'closing' || stream.readStatus === 'closed')) {
      // The dialer's FIN came with its first bytes: the stream refuses them back (it would throw),
      // so libp2p could not read them either. Only a lazy dialer of another protocol does this.
      stream.abort(new Error('stream ended during protocol negotiation'))
      return
    }
    if (n > 0) {
      const all = new Uint8Array(n)
      let off = 0
      for (const b of seen) {
        all.set(b, off)
        off += b.length
      }
      stream.unshift(all)
    }
    done(false)
  }
  const onMessage = (evt: { data: Uint8Array | { subarray(): Uint8Array } }): void => {
    if (finished) return
    const d = evt.data
    const bytes = d instanceof Uint8Array ? d : d.subarray()
    seen.push(bytes)
    let i = 0
    while (i < bytes.length && matched < expected.length) {
      if (bytes[i] !== expected[matched]) return giveBack()
      i++
      matched++
    }
    if (matched < expected.length) {
      // A header sent alone may wait for our header before its protocol line: libp2p's
      // listener answers line by line, so let it.
      if (matched <= headerBytes) giveBack()
      return
    }
    finish()
    if (admit !== undefined && !admit()) {
      stream.abort(new Error('request budget exceeded'))
      return
    }
    try {
      stream.send(expected)
    } catch {
      stream.abort(new Error('negotiation failed'))
      return
    }
    done(true, i < bytes.length ? bytes.subarray(i) : undefined)
  }
  const onClose = (): void => {
    if (!finished) finish()
  }
  const timer = setTimeout(() => {
    if (finished) return
    finish()
    stream.abort(new Error('protocol negotiation timed out'))
  }, timeoutMs)
  stream.addEventListener('message', onMessage)
  stream.addEventListener('close', onClose)
}
