// One socket write per event-loop turn instead of one per frame.
//
// Theory of operation: on a kad request the libp2p stack writes several small frames in one
// turn (a yamux window update for the bytes just read, then the answer; during protocol
// negotiation the window update, the ACK and two multistream lines), and Noise turns each into
// two `socket.write` calls (its 2-byte length, then the ciphertext). With TCP_NODELAY every one
// is a syscall and, unless the peer is slow to read, a TCP segment that wakes the peer. We cork
// the socket at the first write of a turn and uncork it in setImmediate, after the microtasks of
// the turn have run (the answer is written from a microtask, after the window update that the
// read callback wrote), so Node sends the turn's bytes with one writev. Bytes and their order are
// unchanged; only segmentation is. Applied to the raw connection handed to the encrypter, so it
// also covers the handshake and outbound connections.
import { Socket } from 'node:net'
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface'

/** Corks `socket` at the first write of each event-loop turn and flushes it after the turn. */
export function coalesceSocketWrites(socket: Socket): void {
  const write = socket.write
  let corked = false
  const flush = (): void => {
    corked = false
    if (!socket.destroyed) socket.uncork()
  }
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (!corked && !socket.destroyed) {
      corked = true
      socket.cork()
      setImmediate(flush)
    }
    return write.apply(this, args)
  } as Socket['write']
}

/** The TCP socket under a libp2p connection, when it is one (@libp2p/tcp keeps it as `socket`). */
function socketOf(conn: MessageStream): Socket | undefined {
  const s = (conn as unknown as { socket?: unknown }).socket
  return s instanceof Socket ? s : undefined
}

/** Wraps a connection-encrypter factory (e.g. noise()) so that its connections coalesce writes. */
export function coalescingEncrypter<C>(factory: (components: C) => ConnectionEncrypter): (components: C) => ConnectionEncrypter {
  return (components: C) => {
    const enc = factory(components)
    const wrap = (conn: MessageStream): MessageStream => {
      const socket = socketOf(conn)
      if (socket !== undefined) coalesceSocketWrites(socket)
      return conn
    }
    return Object.assign(Object.create(enc) as ConnectionEncrypter, {
      secureInbound: (conn: MessageStream, options?: Parameters<ConnectionEncrypter['secureInbound']>[1]) => enc.secureInbound(wrap(conn), options),
      secureOutbound: (conn: MessageStream, options?: Parameters<ConnectionEncrypter['secureOutbound']>[1]) => enc.secureOutbound(wrap(conn), options),
    })
  }
}
