// One outbound kad RPC on a fresh stream, and the small stream helpers the host shares.
//
// Theory of operation: sendRpc opens a stream to the peer (an open connection if there is one,
// else a dial by its addresses, else by peer id), writes the request frame, reads exactly one
// response frame and hands the engine a `message` input with the decoded Response; every failure
// (dial, timeout, reset, bad frame, undecodable bytes) becomes one `rpc-failed` input instead.
// ADD_PROVIDER has no answer on the wire (stock peers send none): a completed write is
// acknowledged to the engine with an empty response.
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Contact, Input, Request, Response, RpcType } from '../../engine/index.js'
import { decodeMessage, MessageType, type WireMessage } from '../../wire/message.js'
import { encodeFramedMessage } from '../../wire/frame.js'
import type { NodeLogger } from '../log.js'
import type { ContactBook } from './contacts.js'
import type { ByteBudget } from './byte-budget.js'
import { FrameReader } from './frame-reader.js'
import { wireKey } from './lookup-keys.js'
import { DROP, type LinkShaper } from '../shaper/link-shaper.js'
import { KAD_PROTOCOL, type NodeStack } from './libp2p-node.js'

export const TYPE_CODE: Record<RpcType, WireMessage['type']> = {
  PING: MessageType.PING,
  FIND_NODE: MessageType.FIND_NODE,
  GET_PROVIDERS: MessageType.GET_PROVIDERS,
  ADD_PROVIDER: MessageType.ADD_PROVIDER,
}
export const CODE_TYPE: Partial<Record<number, RpcType>> = {
  [MessageType.PING]: 'PING',
  [MessageType.FIND_NODE]: 'FIND_NODE',
  [MessageType.GET_PROVIDERS]: 'GET_PROVIDERS',
  [MessageType.ADD_PROVIDER]: 'ADD_PROVIDER',
}

/** Who may be served and sent to; implemented by the PQ authentication (src/node/pq/auth.ts). */
export interface PeerAdmission {
  /** True when kad requests arriving on `conn` may be read and served. */
  admitInbound(conn: Connection): boolean | Promise<boolean>
  /** True when we may send kad RPCs to the peer over `conn`. */
  admitOutbound(conn: Connection): boolean | Promise<boolean>
  /** True when a peer may enter the routing table on identify alone. */
  routable(peer: string): boolean
}

/** An RPC to a peer the admission refuses (REQUIRE_PQ_ON and no PQ authentication). */
class AdmissionRefusedError extends Error {
  override readonly name = 'AdmissionRefusedError'
}

/** What an outbound RPC needs from the host. */
export interface RpcContext {
  readonly stack: NodeStack
  readonly book: ContactBook
  readonly log: NodeLogger
  /** Our id and our peer id's multihash (its preimage): a FIND_NODE for our own id carries the latter (lookup-keys.ts). */
  readonly self: { readonly id: Uint8Array; readonly key: Uint8Array }
  /** Per outbound RPC I/O bound (dial + write + read); the engine has its own timeout. */
  readonly rpcIoTimeoutMs: number
  /** Added to that bound when the RPC needs a new connection (the engine's first-contact budget). */
  readonly firstContactTimeoutMs?: number
  /**
   * Peers converted from one response list: the engine flags an answer with more than k, so
   * k + 1 are enough to show it; the rest are not worth parsing or a place in the contact book.
   */
  readonly maxPeersPerList: number
  /** Bytes buffered per peer and in total, shared with inbound streams. */
  readonly budget?: ByteBudget
  input(i: Input): void
  rejected(reason: string): void
  /** Fault injection (off: undefined). */
  readonly shaper?: LinkShaper
  readonly admission?: PeerAdmission
  /** Each answered request's time (ms) from the engine's send to the answer's arrival, and whether it needed a connection first. */
  readonly timed?: (type: RpcType, ms: number, firstContact: boolean) => void
}

export async function sendRpc(ctx: RpcContext, to: Contact, req: Request): Promise<void> {
  const startMs = ctx.timed === undefined ? 0 : performance.now()
  let stream: Stream | undefined
  let res: Response
  const hold = ctx.shaper === undefined ? 0 : (ctx.shaper.request?.(to.peer) ?? ctx.shaper.outbound(to.peer))
  // A lost request is never written: the engine's own timeout ends the RPC, as in the simulator.
  if (hold === DROP) return
  // A first contact: the connection's set-up has its own budget in the engine, and the per-hop
  // clock starts once the stream is open (after this step's outputs are applied: no re-entry).
  const dialing = !hasOpenConnection(ctx, to)
  if (dialing) queueMicrotask(() => ctx.input({ kind: 'rpc-dialing', rpcId: req.rpcId }))
  const signal = AbortSignal.timeout(ctx.rpcIoTimeoutMs + (dialing ? (ctx.firstContactTimeoutMs ?? 0) : 0))
  try {
    if (hold > 0) await sleep(hold)
    stream = await openStream(ctx, to, signal)
    if (dialing) ctx.input({ kind: 'rpc-connected', rpcId: req.rpcId })
    const reader = new FrameReader(stream, { ...(ctx.budget !== undefined ? { budget: ctx.budget } : {}), peer: to.peer })
    const wire: WireMessage = {
      type: TYPE_CODE[req.type],
      ...(req.key.length > 0 ? { key: wireKey(req, ctx.self.id, ctx.self.key) } : {}),
      closerPeers: [],
      providerPeers: req.providers.map((c) => ctx.book.toWire(c)),
    }
    if (!stream.send(frame(wire))) await stream.onDrain({ signal })
    if (req.type === 'ADD_PROVIDER') {
      await stream.close({ signal })
      res = { kind: 'response', rpcId: req.rpcId, type: req.type, closer: [], providers: [] }
    } else {
      const r = await reader.next(ctx.rpcIoTimeoutMs)
      reader.finish()
      void closeQuietly(stream)
      if (!r.ok) {
        if (r.error === 'over-budget' || r.error === 'oversized' || r.error === 'bad-length') ctx.rejected(r.error === 'over-budget' ? 'buffer-budget' : r.error)
        return failed(ctx, to, req, r.error)
      }
      const d = decodeMessage(r.frame)
      if (!d.ok) {
        ctx.rejected('malformed')
        return failed(ctx, to, req, `malformed:${d.error}`)
      }
      res = { kind: 'response', rpcId: req.rpcId, type: req.type, closer: contactsOf(ctx, d.value.closerPeers), providers: contactsOf(ctx, d.value.providerPeers) }
    }
  } catch (e) {
    stream?.abort(e as Error)
    return failed(ctx, to, req, errorReason(e))
  }
  // An ADD_PROVIDER has no answer (its "response" is made here once the stream is closed).
  if (ctx.timed !== undefined && req.type !== 'ADD_PROVIDER') ctx.timed(req.type, performance.now() - startMs, dialing)
  // Outside the try: an engine failure here is a bug, not a failed RPC.
  ctx.input({ kind: 'message', from: to, msg: res })
}

function contactsOf(ctx: RpcContext, peers: WireMessage['closerPeers']): Contact[] {
  const out: Contact[] = []
  for (const p of peers) {
    if (out.length >= ctx.maxPeersPerList) break
    const c = ctx.book.fromWire(p)
    if (c !== undefined) out.push(c)
  }
  return out
}

function failed(ctx: RpcContext, to: Contact, req: Request, reason: string): void {
  ctx.log.debug({ peer_id: to.peer, rpc: req.type, reason }, 'rpc failed')
  ctx.input({ kind: 'rpc-failed', to, rpcId: req.rpcId, reason })
}

async function openStream(ctx: RpcContext, to: Contact, signal: AbortSignal): Promise<Stream> {
  const pid = ctx.book.peerIdOf(to)
  if (pid === undefined) throw new Error('bad-peer-id')
  // Optimistic protocol selection where libp2p offers it (the protocol name goes out with the
  // request, saving a round trip per RPC). js-libp2p 3.3's multistream select ignores the option
  // and always waits for the echo, so today every outbound RPC pays that round trip.
  const opts = { signal, negotiateFully: false }
  if (ctx.admission !== undefined) {
    const conn = await connectionTo(ctx, to, pid, signal)
    if (!(await ctx.admission.admitOutbound(conn))) throw new AdmissionRefusedError('pq-required')
    return conn.newStream(KAD_PROTOCOL, opts)
  }
  for (const c of ctx.stack.getConnections(pid)) {
    if (c.status === 'open') return c.newStream(KAD_PROTOCOL, opts)
  }
  if (to.addrs.length > 0) {
    const addrs = to.addrs.map((a) => multiaddr(`${a}/p2p/${to.peer}`))
    return ctx.stack.dialProtocol(addrs, KAD_PROTOCOL, opts)
  }
  return ctx.stack.dialProtocol(pid, KAD_PROTOCOL, opts)
}

function hasOpenConnection(ctx: RpcContext, to: Contact): boolean {
  const pid = ctx.book.peerIdOf(to)
  return pid !== undefined && ctx.stack.getConnections(pid).some((c) => c.status === 'open')
}

async function connectionTo(ctx: RpcContext, to: Contact, pid: PeerId, signal: AbortSignal): Promise<Connection> {
  for (const c of ctx.stack.getConnections(pid)) {
    if (c.status === 'open') return c
  }
  if (to.addrs.length > 0) return ctx.stack.dial(to.addrs.map((a) => multiaddr(`${a}/p2p/${to.peer}`)), { signal })
  return ctx.stack.dial(pid, { signal })
}

/** Thrown when a message we are about to send would exceed the frame limit. */
export class FrameTooLargeError extends Error {
  override name = 'FrameTooLargeError'
}

/** One length-prefixed frame in a single buffer; over MAX_FRAME_BYTES it throws (nothing is sent). */
export function frame(msg: WireMessage): Uint8Array {
  const r = encodeFramedMessage(msg)
  if (!r.ok) throw new FrameTooLargeError('message over the frame limit')
  return r.value
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function errorReason(e: unknown): string {
  const name = (e as Error)?.name
  if (name === 'AbortError' || name === 'TimeoutError') return 'timeout'
  if (name === 'AdmissionRefusedError') return 'pq-required'
  return String(name ?? 'error')
}

export async function closeQuietly(stream: Stream): Promise<void> {
  try {
    // With nothing queued the FIN goes out at once and close() cannot wait: no timer needed.
    const idle = stream.writeBufferLength === 0 && !stream.writableNeedsDrain
    await stream.close(idle ? undefined : { signal: AbortSignal.timeout(2_000) })
  } catch {
    stream.abort(new Error('close failed'))
  }
}
