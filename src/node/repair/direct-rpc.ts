// One kad RPC to one chosen peer whose answer comes back to the caller, not to the engine: what
// repair needs to *look* at the peers closest to a key (GET_PROVIDERS) and to hand a record to
// a chosen one (ADD_PROVIDER). The same wire, framing and limits as the host's RPCs, and the
// same admission (under REQUIRE_PQ_ON only PQ-authenticated peers are asked).
import type { Connection, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Contact } from '../../engine/index.js'
import type { ContactBook } from '../host/contacts.js'
import { FrameReader } from '../host/frame-reader.js'
import { KAD_PROTOCOL, type NodeStack } from '../host/libp2p-node.js'
import { closeQuietly, frame, type PeerAdmission } from '../host/rpc-io.js'
import { decodeMessage, MessageType, type WirePeer } from '../../wire/message.js'

export interface DirectRpcContext {
  readonly stack: NodeStack
  readonly book: ContactBook
  readonly admission?: PeerAdmission
  readonly timeoutMs: number
}

export type ProbeResult = { readonly ok: true; readonly providers: readonly Uint8Array[] } | { readonly ok: false; readonly error: string }

async function open(ctx: DirectRpcContext, to: Contact, signal: AbortSignal): Promise<Stream> {
  const pid = ctx.book.peerIdOf(to)
  if (pid === undefined) throw new Error('bad-peer-id')
  let conn: Connection | undefined
  for (const c of ctx.stack.getConnections(pid)) if (c.status === 'open') conn = c
  conn ??= await ctx.stack.dial(to.addrs.length > 0 ? to.addrs.map((a) => multiaddr(`${a}/p2p/${to.peer}`)) : pid, { signal })
  if (ctx.admission !== undefined && !(await ctx.admission.admitOutbound(conn))) throw new Error('pq-required')
  return conn.newStream(KAD_PROTOCOL, { signal })
}

/** Asks `to` for the providers it holds for `key` (the provider peer ids, as multihash bytes). */
export async function probeProviders(ctx: DirectRpcContext, to: Contact, key: Uint8Array): Promise<ProbeResult> {
  const signal = AbortSignal.timeout(ctx.timeoutMs)
  let stream: Stream | undefined
  try {
    stream = await open(ctx, to, signal)
    const reader = new FrameReader(stream)
    if (!stream.send(frame({ type: MessageType.GET_PROVIDERS, key, closerPeers: [], providerPeers: [] }))) await stream.onDrain({ signal })
    const r = await reader.next(ctx.timeoutMs)
    reader.finish()
    void closeQuietly(stream)
    if (!r.ok) return { ok: false, error: r.error }
    const d = decodeMessage(r.frame)
    if (!d.ok) return { ok: false, error: 'malformed' }
    return { ok: true, providers: d.value.providerPeers.map((p) => p.id) }
  } catch (e) {
    stream?.abort(e as Error)
    return { ok: false, error: String((e as Error)?.message ?? e) }
  }
}

/** Sends ADD_PROVIDER for `key` naming `self` to `to`. True when the write completed (no ack exists). */
export async function addProvider(ctx: DirectRpcContext, to: Contact, key: Uint8Array, self: WirePeer): Promise<boolean> {
  const signal = AbortSignal.timeout(ctx.timeoutMs)
  let stream: Stream | undefined
  try {
    stream = await open(ctx, to, signal)
    if (!stream.send(frame({ type: MessageType.ADD_PROVIDER, key, closerPeers: [], providerPeers: [self] }))) await stream.onDrain({ signal })
    await stream.close({ signal })
    return true
  } catch (e) {
    stream?.abort(e as Error)
    return false
  }
}
