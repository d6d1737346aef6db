// The node's wire codec inside the simulation (scenario field `network.wire_codec: true`).
//
// Theory of operation: every message a simulated peer sends is turned into the node's kad wire
// message (src/wire: the same protobuf encoder and length-prefixed framing the node writes
// on its streams), framed, fed through a FrameDecoder, decoded, and converted back into the
// engine message the receiver is given. The receiver therefore only ever sees what survived the
// codec, and the run counts the bytes each message type puts on the wire.
//
// What goes on the wire is what the node sends: a request carries its type, key and (for
// ADD_PROVIDER) the provider; an answer carries the request's key (the node echoes it), the
// closer peers and the providers. An answer with an error is a stream reset on the wire (no
// frame), and ADD_PROVIDER has no answer frame (the node acknowledges a completed write): both
// pass as they are, the resets counted. A simulated contact becomes a wire peer of the size a
// real one has: a 38-byte identity multihash (the Ed25519 peer id layout, the contact's 32-byte
// kad id inside) and one binary /ip4/…/tcp/… multiaddr. Decoded peers must be the ones encoded,
// in order; anything else is a codec bug and throws an InvariantError.
//
// Deterministic: no randomness, no clock; the per-type counters are plain arrays.
import type { Contact, Message, Request, Response, RpcType } from '../engine/types.js'
import { InvariantError } from '../engine/errors.js'
// idEquals is byte equality: it compares the addresses' bytes below too.
import { idEquals } from '../engine/ids.js'
import { decodeMessage, MessageType, type WireMessage, type WirePeer } from '../wire/message.js'
import { encodeFramedMessage, FrameDecoder } from '../wire/frame.js'

const RPC_TYPES: readonly RpcType[] = ['PING', 'FIND_NODE', 'GET_PROVIDERS', 'ADD_PROVIDER']
const TYPE_CODE: Record<RpcType, WireMessage['type']> = {
  PING: MessageType.PING,
  FIND_NODE: MessageType.FIND_NODE,
  GET_PROVIDERS: MessageType.GET_PROVIDERS,
  ADD_PROVIDER: MessageType.ADD_PROVIDER,
}
/** The identity-multihash header of an Ed25519 peer id: identity, 36 bytes, protobuf key type 1, 32-byte key. */
const PEER_ID_HEADER = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20]
/** Request keys remembered for the answer's echo; past this many unanswered, the oldest half go. */
const MAX_OPEN_REQUESTS = 1 << 16

export interface WireTypeCount {
  readonly type: RpcType
  readonly direction: 'request' | 'response'
  readonly messages: number
  readonly bytes: number
  /** Answers that were stream resets (an error), no frame. */
  readonly resets: number
}

export interface WireSection {
  readonly by_type: readonly WireTypeCount[]
  readonly messages: number
  readonly bytes: number
}

export class SimWireCodec {
  private readonly messages = new Float64Array(RPC_TYPES.length * 2)
  private readonly bytes = new Float64Array(RPC_TYPES.length * 2)
  private readonly resets = new Float64Array(RPC_TYPES.length * 2)
  private readonly wireOf = new WeakMap<Contact, WirePeer>()
  /** The key of each request in flight, by "from>to#rpcId", for the answer to echo. */
  private openKeys = new Map<string, Uint8Array>()
  private readonly decoder = new FrameDecoder()

  /** Encodes, frames, unframes and decodes `msg` sent from peer `from` to peer `to`; returns what the receiver gets. */
  roundTrip(from: number, to: number, msg: Message): Message {
    const ti = RPC_TYPES.indexOf(msg.type)
    if (msg.kind === 'request') {
      const wire: WireMessage = {
        type: TYPE_CODE[msg.type],
        ...(msg.key.length > 0 ? { key: msg.key } : {}),
        closerPeers: [],
        providerPeers: msg.providers.map((c) => this.wirePeer(c)),
      }
      const d = this.pass(wire, ti * 2)
      if (msg.type !== 'ADD_PROVIDER') this.remember(`${from}>${to}#${msg.rpcId}`, msg.key)
      const key = d.key ?? new Uint8Array(0)
      if (!idEquals(key, msg.key)) throw new InvariantError(`wire codec: ${msg.type} request key changed in the round trip`)
      const out: Request = { ...msg, key: msg.key, providers: this.contacts(d.providerPeers, msg.providers) }
      return out
    }
    const slot = ti * 2 + 1
    if (msg.type === 'ADD_PROVIDER') return msg
    const k = `${to}>${from}#${msg.rpcId}`
    const key = this.openKeys.get(k)
    this.openKeys.delete(k)
    if (msg.error !== undefined) {
      this.resets[slot]!++
      return msg
    }
    const wire: WireMessage = {
      type: TYPE_CODE[msg.type],
      ...(key !== undefined && key.length > 0 ? { key } : {}),
      closerPeers: msg.closer.map((c) => this.wirePeer(c)),
      providerPeers: msg.providers.map((c) => this.wirePeer(c)),
    }
    const d = this.pass(wire, slot)
    const out: Response = { ...msg, closer: this.contacts(d.closerPeers, msg.closer), providers: this.contacts(d.providerPeers, msg.providers) }
    return out
  }

  /** Bytes and messages per type and direction, in a fixed order (types without traffic left out). */
  section(): WireSection {
    const by: WireTypeCount[] = []
    let messages = 0
    let bytes = 0
    RPC_TYPES.forEach((type, ti) => {
      for (let d = 0; d < 2; d++) {
        const s = ti * 2 + d
        if (this.messages[s] === 0 && this.resets[s] === 0) continue
        by.push({ type, direction: d === 0 ? 'request' : 'response', messages: this.messages[s]!, bytes: this.bytes[s]!, resets: this.resets[s]! })
        messages += this.messages[s]!
        bytes += this.bytes[s]!
      }
    })
    return { by_type: by, messages, bytes }
  }

  private pass(wire: WireMessage, slot: number): WireMessage {
    const framed = encodeFramedMessage(wire)
    if (!framed.ok) throw new InvariantError(`wire codec: a ${RPC_TYPES[slot >> 1]} message is over the frame limit`)
    this.messages[slot]!++
    this.bytes[slot]! += framed.value.length
    const frames = this.decoder.push(framed.value)
    const f = frames[0]
    if (frames.length !== 1 || f === undefined || !f.ok) throw new InvariantError('wire codec: a framed message did not come back as one frame')
    const d = decodeMessage(f.value)
    if (!d.ok) throw new InvariantError(`wire codec: an encoded message does not decode (${d.error})`)
    if (d.value.type !== wire.type) throw new InvariantError('wire codec: the message type changed in the round trip')
    return d.value
  }

  private wirePeer(c: Contact): WirePeer {
    let w = this.wireOf.get(c)
    if (w === undefined) {
      if (c.id.length !== 32) throw new InvariantError(`wire codec: contact ${c.peer} has a ${c.id.length}-byte id, not 32`)
      const id = new Uint8Array(PEER_ID_HEADER.length + 32)
      id.set(PEER_ID_HEADER, 0)
      id.set(c.id, PEER_ID_HEADER.length)
      w = { id, addrs: c.addrs.map(multiaddrBytes) }
      this.wireOf.set(c, w)
    }
    return w
  }

  /** The contacts the decoded peers stand for: each must be the one encoded at its place. */
  private contacts(decoded: readonly WirePeer[], sent: readonly Contact[]): readonly Contact[] {
    if (decoded.length !== sent.length) throw new InvariantError(`wire codec: ${sent.length} peers sent, ${decoded.length} decoded`)
    for (let i = 0; i < sent.length; i++) {
      const w = this.wirePeer(sent[i]!)
      const d = decoded[i]!
      if (!idEquals(d.id, w.id) || d.addrs.length !== w.addrs.length || !d.addrs.every((a, j) => idEquals(a, w.addrs[j]!))) {
        throw new InvariantError(`wire codec: peer ${sent[i]!.peer} did not survive the round trip`)
      }
    }
    return sent
  }

  private remember(k: string, key: Uint8Array): void {
    if (this.openKeys.size >= MAX_OPEN_REQUESTS) {
      // Requests whose answers were lost: keep the newer half (insertion order, deterministic).
      let drop = this.openKeys.size >> 1
      for (const old of this.openKeys.keys()) {
        if (drop-- <= 0) break
        this.openKeys.delete(old)
      }
    }
    this.openKeys.set(k, key)
  }
}

/** "a.b.c.d:port" as a binary /ip4/a.b.c.d/tcp/port multiaddr (8 bytes). */
export function multiaddrBytes(addr: string): Uint8Array {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(addr)
  if (m === null) throw new InvariantError(`wire codec: simulated address "${addr}" is not ip:port`)
  const port = Number(m[5])
  return Uint8Array.of(0x04, Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), 0x06, port >> 8, port & 255)
}
