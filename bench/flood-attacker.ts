// One peer flooding a node with FIND_NODEs at a fixed rate, as cheaply as a hostile client can:
// run as its own process so that its cost does not land in the honest peer's event loop.
//
//   node dist-bench/flood-attacker.js <node multiaddr> <requests per s> <duration ms>
//
// Prints one JSON line at the end (see `AttackerReport`).
//
// Why raw yamux frames: an attacker that opens a yamux stream object per request and waits for
// its end (the earlier version of this bench) is bounded by its own streams in flight and its
// own per-stream bookkeeping, and on a shared machine got well under a thousand requests a second
// onto the wire: the node was never offered the flood the bench was named after. A hostile client
// need not keep any of that. Here each request is one yamux DATA frame with the SYN flag on a
// fresh stream id, carrying the two multistream lines and the framed FIND_NODE in one payload (an
// optimistic dialer's request, exactly what the node reads), followed by a FIN: one peer id, one
// Noise+yamux connection, every frame valid. A tick's requests (every 5 ms, open loop: the
// schedule does not wait for answers) go out as one write. The answers are read off the
// connection without stream objects: a DATA frame past the protocol echo on one of our ids is a
// served request, a RST a refused one. When the node closes the connection (the penalty box) the
// attacker dials again at once, and every 10 ms while its dials fail, as a flooder would; the
// slots of the schedule that fall while it has no connection (or in the 100 ms it leaves a new
// connection to settle) are counted as `blocked`.
import '../dist/polyfill.js'
import { randomBytes } from 'node:crypto'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, StreamMuxer } from '@libp2p/interface'
import { frame } from '../dist/node/host/rpc-io.js'
import { MessageType } from '../dist/wire/message.js'
import { KAD_PROTOCOL, libp2pLogger } from '../dist/node/host/libp2p-node.js'
import { coalescingEncrypter } from '../dist/node/host/coalesce-writes.js'
import { sleep } from './honest-peer.js'

export interface AttackerReport {
  /** Slots of the schedule (rate x time). */
  scheduled: number
  /** Requests written to the connection. */
  sent: number
  /** Answered by the node (bytes past the protocol echo). */
  answered: number
  /** Reset by the node (at the SYN: over budget; later: any other refusal). */
  refused: number
  /** Slots that fell while the attacker had no connection (closed or refused by the node). */
  blocked: number
  /** Sent but neither answered nor reset by the end (or lost with a closed connection). */
  unsettled: number
  /** Seconds of the run, and of them the seconds with a connection open. */
  seconds: number
  connectedSeconds: number
  dials: number
  dialsFailed: number
  /** Connections that closed under the attacker (the node's doing, or a broken connection). */
  connectionsLost: number
  /** Ticks that ran more than 20 ms late (the attacker itself starved of CPU). */
  lateTicks: number
  ticks: number
}

/** yamux frame types and flags (the yamux spec). */
const DATA = 0
const WINDOW_UPDATE = 1
const SYN = 1
const FIN = 4
const RST = 8
const HEADER = 12
/** Time between a dial's success and the first request on the connection. */
const CONNECTION_SETTLE_MS = 100
/** Our stream ids: odd (the dialer's), far above the ones the muxer hands out for identify. */
const FIRST_ID = 1_000_001

function mssLine(s: string): Uint8Array {
  const b = Buffer.from(`${s}\n`)
  return Buffer.concat([Buffer.from([b.length]), b])
}

function header(type: number, flag: number, id: number, length: number): Buffer {
  const h = Buffer.alloc(HEADER)
  h.writeUInt8(0, 0)
  h.writeUInt8(type, 1)
  h.writeUInt16BE(flag, 2)
  h.writeUInt32BE(id, 4)
  h.writeUInt32BE(length, 8)
  return h
}

interface YamuxFrame {
  header: { type: number; flag: number; streamID: number; length: number }
}
interface YamuxMuxerInternals {
  handleFrame?: (frame: YamuxFrame) => void
}

async function attack(addr: string, rate: number, ms: number): Promise<AttackerReport> {
  const logger = libp2pLogger()
  const node = await createLibp2p({
    ...(logger ? { logger } : {}),
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [coalescingEncrypter(noise())],
    streamMuxers: [yamux()],
  })
  const target = multiaddr(addr)
  const mss = Buffer.concat([mssLine('/multistream/1.0.0'), mssLine(KAD_PROTOCOL)])
  const echoBytes = mss.length
  // One request per stream: [DATA|SYN header][protocol lines + frame][WINDOW_UPDATE|FIN header];
  // the two stream ids are patched in per request.
  const templates = Array.from({ length: 64 }, () => {
    const key = peerIdFromPublicKey(publicKeyFromRaw(randomBytes(32))).toMultihash().bytes
    const payload = Buffer.concat([mss, frame({ type: MessageType.FIND_NODE, key, closerPeers: [], providerPeers: [] })])
    return Buffer.concat([header(DATA, SYN, 0, payload.length), payload, header(WINDOW_UPDATE, FIN, 0, 0)])
  })
  const r: AttackerReport = { scheduled: 0, sent: 0, answered: 0, refused: 0, blocked: 0, unsettled: 0, seconds: 0, connectedSeconds: 0, dials: 0, dialsFailed: 0, connectionsLost: 0, lateTicks: 0, ticks: 0 }
  /** Our open requests: stream id -> bytes of answer seen so far. */
  const pending = new Map<number, number>()
  let nextId = FIRST_ID
  let muxer: (StreamMuxer & YamuxMuxerInternals) | undefined
  let conn: Connection | undefined
  let dialing = false
  let running = true
  let connectedSince: number | undefined

  /** Reads our streams' frames off the muxer before yamux looks for stream objects it never made. */
  const watched = new WeakSet<object>()
  const watch = (m: StreamMuxer & YamuxMuxerInternals): void => {
    if (watched.has(m)) return
    watched.add(m)
    const handle = m.handleFrame
    if (typeof handle !== 'function') throw new Error('not a yamux muxer we know: cannot read answers without stream objects')
    m.handleFrame = (f: YamuxFrame): void => {
      const h = f.header
      if (h.streamID < FIRST_ID) {
        handle.call(m, f)
        return
      }
      const seen = pending.get(h.streamID)
      if (seen === undefined) return
      if ((h.flag & RST) !== 0) {
        pending.delete(h.streamID)
        r.refused++
      } else if (h.type === DATA) {
        const now = seen + h.length
        if (now > echoBytes) {
          pending.delete(h.streamID)
          r.answered++
        } else pending.set(h.streamID, now)
      }
    }
  }

  const connected = (): boolean => conn !== undefined && conn.status === 'open' && muxer !== undefined && muxer.status === 'open'

  const lost = (): void => {
    if (connectedSince !== undefined) r.connectedSeconds += (performance.now() - connectedSince) / 1000
    connectedSince = undefined
    r.connectionsLost++
    // Requests on a closed connection will never settle.
    r.unsettled += pending.size
    pending.clear()
  }

  const connect = async (): Promise<void> => {
    if (dialing) return
    dialing = true
    while (running) {
      r.dials++
      try {
        // Handshakes are slow on a loaded machine: a dial given up too soon can still complete
        // on the node's side and leave a second connection behind.
        const c = await node.dial(target, { signal: AbortSignal.timeout(15_000) })
        const m = (c as unknown as { muxer?: StreamMuxer & YamuxMuxerInternals }).muxer
        // The node takes at most its stream limit of streams that arrive before it has set the
        // connection up, and aborts the connection past that: give it a moment first.
        await sleep(CONNECTION_SETTLE_MS)
        if (c.status === 'open' && m !== undefined && m.status === 'open') {
          watch(m)
          conn = c
          muxer = m
          connectedSince = performance.now()
          break
        }
      } catch {
        // refused
      }
      r.dialsFailed++
      await sleep(10)
    }
    dialing = false
  }

  await connect()
  const t0 = performance.now()
  if (connectedSince !== undefined) connectedSince = t0
  let lastTick = t0
  while (performance.now() - t0 < ms) {
    const now = performance.now()
    r.ticks++
    if (now - lastTick > 25) r.lateTicks++
    lastTick = now
    const due = Math.floor(((now - t0) / 1000) * rate)
    // Slots that fell before the connection opened were never sendable on it: blocked, not sent
    // late in a burst (which would also overstate the rate per second of connection).
    const from = connectedSince === undefined ? r.scheduled : Math.max(r.scheduled, Math.floor(((connectedSince - t0) / 1000) * rate))
    r.blocked += Math.max(0, Math.min(from, due) - r.scheduled)
    const n = due - Math.max(from, r.scheduled)
    r.scheduled = Math.max(due, r.scheduled)
    if (n > 0) {
      if (!connected()) {
        if (connectedSince !== undefined) lost()
        r.blocked += n
        void connect()
      } else {
        const batch = Buffer.allocUnsafe(n * templates[0]!.length + 64 * n)
        let off = 0
        for (let i = 0; i < n; i++) {
          const t = templates[(r.sent + i) % templates.length]!
          const id = nextId
          nextId += 2
          t.copy(batch, off)
          batch.writeUInt32BE(id, off + 4)
          batch.writeUInt32BE(id, off + t.length - HEADER + 4)
          off += t.length
          pending.set(id, 0)
        }
        (muxer as unknown as { send(b: Uint8Array): boolean }).send(batch.subarray(0, off))
        r.sent += n
      }
    }
    await sleep(5)
  }
  running = false
  const tEnd = performance.now()
  r.seconds = (tEnd - t0) / 1000
  if (connectedSince !== undefined) r.connectedSeconds += (tEnd - connectedSince) / 1000
  // Up to 3 s for the last answers and resets, then whatever is still open is unsettled.
  for (let waited = 0; pending.size > 0 && waited < 3_000 && connected(); waited += 50) await sleep(50)
  r.unsettled += pending.size
  await Promise.resolve(node.stop()).catch(() => undefined)
  return r
}

const [addr, rate, ms] = process.argv.slice(2)
if (addr === undefined || !(Number(rate) > 0) || !(Number(ms) > 0)) {
  process.stderr.write('usage: node dist-bench/flood-attacker.js <node multiaddr> <requests per s> <duration ms>\n')
  process.exit(2)
}
const report = await attack(addr, Number(rate), Number(ms))
process.stdout.write(`${JSON.stringify(report)}\n`)
process.exit(0)
