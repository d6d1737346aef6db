// The libp2p Kademlia wire message (protobuf, as published in libp2p's dht.proto), hand-coded.
//
// Theory of operation: decoding walks the buffer once with a VarintReader. Each field is a tag
// (field number << 3 | wire type) followed by its payload. Known fields must carry the wire type
// the schema gives them; unknown fields are skipped by wire type (varint, fixed64, length-
// delimited, fixed32, and deprecated groups up to a nesting bound), as protobuf requires.
// Singular fields that repeat take the last value; repeated fields append, up to a limit.
// Every failure (truncated varint, length past the end, bad wire type, unknown message type,
// too many peers) ends the decode with { ok: false, error } — decodeMessage never throws.
// Bytes fields are copied out of the input, so the caller may reuse its receive buffer.
//
// Encoding computes the exact size first and writes into one buffer. Fields are written in
// field-number order; proto3 defaults are omitted (type PUT_VALUE = 0, absent optionals), so
// the output decodes identically with the stock @libp2p/kad-dht (protons) codec.
//
//   message Record  { bytes key = 1; bytes value = 2; string timeReceived = 5; }  // opaque here
//   message Message {
//     enum MessageType { PUT_VALUE = 0; GET_VALUE = 1; ADD_PROVIDER = 2; GET_PROVIDERS = 3;
//                        FIND_NODE = 4; PING = 5; }
//     enum ConnectionType { NOT_CONNECTED = 0; CONNECTED = 1; CAN_CONNECT = 2; CANNOT_CONNECT = 3; }
//     message Peer { bytes id = 1; repeated bytes addrs = 2; ConnectionType connection = 3; }
//     MessageType type = 1; int32 clusterLevelRaw = 10; bytes key = 2; bytes record = 3;
//     repeated Peer closerPeers = 8; repeated Peer providerPeers = 9;
//   }
import { err, ok, type Result } from './result.js'
import {
  VARINT_OK,
  VARINT_TRUNCATED,
  VarintReader,
  int32Size,
  uvarintSize,
  writeInt32,
  writeUvarint,
} from './varint.js'

export const MessageType = {
  PUT_VALUE: 0,
  GET_VALUE: 1,
  ADD_PROVIDER: 2,
  GET_PROVIDERS: 3,
  FIND_NODE: 4,
  PING: 5,
} as const
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType]
export type MessageTypeName = keyof typeof MessageType

const TYPE_NAMES: readonly MessageTypeName[] = ['PUT_VALUE', 'GET_VALUE', 'ADD_PROVIDER', 'GET_PROVIDERS', 'FIND_NODE', 'PING']

/** The name of a message type code ("FIND_NODE" for 4). */
export function messageTypeName(code: MessageTypeCode): MessageTypeName {
  return TYPE_NAMES[code]!
}

export const ConnectionType = {
  NOT_CONNECTED: 0,
  CONNECTED: 1,
  CAN_CONNECT: 2,
  CANNOT_CONNECT: 3,
} as const

/** A peer on the wire: raw peer id bytes (a multihash) and binary multiaddrs. */
export interface WirePeer {
  readonly id: Uint8Array
  readonly addrs: readonly Uint8Array[]
  /** ConnectionType as sent (an open enum: unknown values are kept as numbers). */
  readonly connection?: number
}

export interface WireMessage {
  readonly type: MessageTypeCode
  readonly key?: Uint8Array
  /** A serialized Record message, kept opaque. */
  readonly record?: Uint8Array
  readonly closerPeers: readonly WirePeer[]
  readonly providerPeers: readonly WirePeer[]
  readonly clusterLevelRaw?: number
}

/** Why a decode failed. Stable strings: the node uses them as metric labels. */
export type DecodeError =
  | 'truncated'
  | 'varint-too-long'
  | 'varint-overflow'
  | 'bad-field-number'
  | 'bad-wire-type'
  | 'wrong-wire-type'
  | 'group-mismatch'
  | 'too-deep'
  | 'unknown-message-type'
  | 'too-many-peers'
  | 'too-many-addrs'

export interface DecodeLimits {
  /** Peers per repeated peer field (closerPeers, providerPeers). */
  readonly maxPeers: number
  /** Addresses per peer. */
  readonly maxAddrsPerPeer: number
}

/** Generous for kad (responses carry at most k = 20 peers), tight enough to bound work. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxPeers: 256, maxAddrsPerPeer: 64 }

/** Nesting bound for skipping deprecated groups in unknown fields. */
const MAX_GROUP_DEPTH = 16

const WT_VARINT = 0
const WT_FIXED64 = 1
const WT_LEN = 2
const WT_START_GROUP = 3
const WT_END_GROUP = 4
const WT_FIXED32 = 5

// ---------------------------------------------------------------- decoding

/** Decodes one Message (without length prefix). Never throws. */
export function decodeMessage(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Result<WireMessage, DecodeError> {
  const r = new VarintReader(bytes)
  let type = 0
  let key: Uint8Array | undefined
  let record: Uint8Array | undefined
  let clusterLevelRaw: number | undefined
  const closerPeers: WirePeer[] = []
  const providerPeers: WirePeer[] = []
  while (r.pos < r.end) {
    const tag = readTag(r)
    if (typeof tag === 'string') return err(tag)
    const field = tag >>> 3
    const wt = tag & 7
    switch (field) {
      case 1:
      case 10: {
        if (wt !== WT_VARINT) return err('wrong-wire-type')
        const s = r.readVarint()
        if (s !== VARINT_OK) return err(varintError(s))
        if (field === 1) type = r.lo | 0
        else clusterLevelRaw = r.lo | 0
        break
      }
      case 2:
      case 3: {
        if (wt !== WT_LEN) return err('wrong-wire-type')
        const b = readBytes(r)
        if (typeof b === 'string') return err(b)
        if (field === 2) key = b
        else record = b
        break
      }
      case 8:
      case 9: {
        if (wt !== WT_LEN) return err('wrong-wire-type')
        const list = field === 8 ? closerPeers : providerPeers
        if (list.length >= limits.maxPeers) return err('too-many-peers')
        const len = readLength(r)
        if (typeof len === 'string') return err(len)
        const peer = decodePeer(r.buf, r.pos, r.pos + len, limits)
        if (typeof peer === 'string') return err(peer)
        r.pos += len
        list.push(peer)
        break
      }
      default: {
        const e = skipField(r, field, wt, 0)
        if (e !== undefined) return err(e)
      }
    }
  }
  if (type < 0 || type > 5) return err('unknown-message-type')
  const msg: WireMessage = {
    type: type as MessageTypeCode,
    closerPeers,
    providerPeers,
    ...(key !== undefined ? { key } : {}),
    ...(record !== undefined ? { record } : {}),
    ...(clusterLevelRaw !== undefined ? { clusterLevelRaw } : {}),
  }
  return ok(msg)
}

function decodePeer(buf: Uint8Array, start: number, end: number, limits: DecodeLimits): WirePeer | DecodeError {
  const r = new VarintReader(buf, start, end)
  let id: Uint8Array = new Uint8Array(0)
  let connection: number | undefined
  const addrs: Uint8Array[] = []
  while (r.pos < r.end) {
    const tag = readTag(r)
    if (typeof tag === 'string') return tag
    const field = tag >>> 3
    const wt = tag & 7
    if (field === 1 || field === 2) {
      if (wt !== WT_LEN) return 'wrong-wire-type'
      if (field === 2 && addrs.length >= limits.maxAddrsPerPeer) return 'too-many-addrs'
      const b = readBytes(r)
      if (typeof b === 'string') return b
      if (field === 1) id = b
      else addrs.push(b)
    } else if (field === 3) {
      if (wt !== WT_VARINT) return 'wrong-wire-type'
      const s = r.readVarint()
      if (s !== VARINT_OK) return varintError(s)
      connection = r.lo | 0
    } else {
      const e = skipField(r, field, wt, 0)
      if (e !== undefined) return e
    }
  }
  return connection === undefined ? { id, addrs } : { id, addrs, connection }
}

function varintError(status: number): DecodeError {
  return status === VARINT_TRUNCATED ? 'truncated' : 'varint-too-long'
}

function readTag(r: VarintReader): number | DecodeError {
  const s = r.readVarint()
  if (s !== VARINT_OK) return varintError(s)
  if (r.hiSet) return 'varint-overflow'
  const tag = r.lo
  if (tag >>> 3 === 0) return 'bad-field-number'
  return tag
}

/** Reads a length prefix and checks it fits in the current region. */
function readLength(r: VarintReader): number | DecodeError {
  const s = r.readVarint()
  if (s !== VARINT_OK) return varintError(s)
  if (r.hiSet) return 'varint-overflow'
  if (r.lo > r.end - r.pos) return 'truncated'
  return r.lo
}

function readBytes(r: VarintReader): Uint8Array | DecodeError {
  const len = readLength(r)
  if (typeof len === 'string') return len
  const b = r.buf.slice(r.pos, r.pos + len)
  r.pos += len
  return b
}

/** Skips one unknown field whose tag has been read. Returns an error or undefined. */
function skipField(r: VarintReader, field: number, wt: number, depth: number): DecodeError | undefined {
  switch (wt) {
    case WT_VARINT: {
      const s = r.readVarint()
      return s === VARINT_OK ? undefined : varintError(s)
    }
    case WT_FIXED64:
      if (r.end - r.pos < 8) return 'truncated'
      r.pos += 8
      return undefined
    case WT_LEN: {
      const len = readLength(r)
      if (typeof len === 'string') return len
      r.pos += len
      return undefined
    }
    case WT_FIXED32:
      if (r.end - r.pos < 4) return 'truncated'
      r.pos += 4
      return undefined
    case WT_START_GROUP: {
      if (depth >= MAX_GROUP_DEPTH) return 'too-deep'
      // Skip fields until the matching END_GROUP. Each iteration consumes at least one byte,
      // so the loop is bounded by the region's length.
      while (r.pos < r.end) {
        const tag = readTag(r)
        if (typeof tag === 'string') return tag
        const f = tag >>> 3
        const w = tag & 7
        if (w === WT_END_GROUP) return f === field ? undefined : 'group-mismatch'
        const e = skipField(r, f, w, depth + 1)
        if (e !== undefined) return e
      }
      return 'truncated'
    }
    case WT_END_GROUP:
      return 'group-mismatch'
    default:
      return 'bad-wire-type'
  }
}

// ---------------------------------------------------------------- encoding

function lenFieldSize(tag: number, len: number): number {
  return uvarintSize(tag) + uvarintSize(len) + len
}

function peerSize(p: WirePeer): number {
  let n = 0
  if (p.id.length > 0) n += lenFieldSize(0x0a, p.id.length)
  for (const a of p.addrs) n += lenFieldSize(0x12, a.length)
  if (p.connection !== undefined) n += 1 + int32Size(p.connection)
  return n
}

/** Exact encoded size of `msg` in bytes (without a frame prefix). */
export function encodedSize(msg: WireMessage): number {
  return sizeWithPeers(msg, undefined)
}

/** The size of `msg`; records each peer's size in `peerSizes` (closer, then providers) if given. */
function sizeWithPeers(msg: WireMessage, peerSizes: number[] | undefined): number {
  let n = 0
  if (msg.type !== 0) n += 1 + int32Size(msg.type)
  if (msg.key !== undefined) n += lenFieldSize(0x12, msg.key.length)
  if (msg.record !== undefined) n += lenFieldSize(0x1a, msg.record.length)
  for (const list of [msg.closerPeers, msg.providerPeers]) {
    for (const p of list) {
      const size = peerSize(p)
      peerSizes?.push(size)
      n += lenFieldSize(0x42, size)
    }
  }
  if (msg.clusterLevelRaw !== undefined) n += 1 + int32Size(msg.clusterLevelRaw)
  return n
}

function writeBytesField(buf: Uint8Array, pos: number, tag: number, b: Uint8Array): number {
  pos = writeUvarint(buf, pos, tag)
  pos = writeUvarint(buf, pos, b.length)
  buf.set(b, pos)
  return pos + b.length
}

function writePeer(buf: Uint8Array, pos: number, tag: number, p: WirePeer, size: number): number {
  pos = writeUvarint(buf, pos, tag)
  pos = writeUvarint(buf, pos, size)
  if (p.id.length > 0) pos = writeBytesField(buf, pos, 0x0a, p.id)
  for (const a of p.addrs) pos = writeBytesField(buf, pos, 0x12, a)
  if (p.connection !== undefined) {
    buf[pos++] = 0x18
    pos = writeInt32(buf, pos, p.connection)
  }
  return pos
}

/**
 * Encodes a Message (without length prefix). `prefixBytes` reserves that many zero bytes in
 * front of the message, so the frame helper can write the length prefix without copying.
 */
export function encodeMessage(msg: WireMessage, prefixBytes = 0): Uint8Array {
  const peerSizes: number[] = []
  const size = sizeWithPeers(msg, peerSizes)
  const buf = new Uint8Array(prefixBytes + size)
  let pos = prefixBytes
  if (msg.type !== 0) {
    buf[pos++] = 0x08
    pos = writeInt32(buf, pos, msg.type)
  }
  if (msg.key !== undefined) pos = writeBytesField(buf, pos, 0x12, msg.key)
  if (msg.record !== undefined) pos = writeBytesField(buf, pos, 0x1a, msg.record)
  let i = 0
  for (const p of msg.closerPeers) pos = writePeer(buf, pos, 0x42, p, peerSizes[i++]!)
  for (const p of msg.providerPeers) pos = writePeer(buf, pos, 0x4a, p, peerSizes[i++]!)
  if (msg.clusterLevelRaw !== undefined) {
    buf[pos++] = 0x50
    pos = writeInt32(buf, pos, msg.clusterLevelRaw)
  }
  return buf
}
