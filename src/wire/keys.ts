// Record keys: how a user writes them, how they travel on the wire, where they sit in the
// keyspace.
//
// - Native content keys are written `b3:<64 hex>` (a BLAKE3-256 digest). On the wire they are
//   the multihash of that digest: 0x1e (blake3) 0x20 (32 bytes) <digest>, so they can never be
//   confused with a CID's multihash.
// - CIDs (v0 `Qm…`, v1 base32 `b…` or base58btc `z…`) are accepted for interop with stock
//   @libp2p/kad-dht nodes, which take a CID's multihash bytes as the provider key and accept
//   only sha2-256 there. A CID whose multihash is blake3-256 maps to the same wire key as the
//   equivalent `b3:` key.
// - The engine target of a key is SHA-256 of the wire key bytes, as libp2p does (the
//   Kademlia id of a peer is SHA-256 of its peer id bytes).
// Parsers return results (the HTTP API answers 400 with the message) and never throw.
import { sha256 } from '@noble/hashes/sha2.js'
import { blake3 } from '@noble/hashes/blake3.js'
import { CID } from 'multiformats/cid'
import { base32 } from 'multiformats/bases/base32'
import * as Digest from 'multiformats/hashes/digest'
import { peerIdFromString } from '@libp2p/peer-id'
import { err, ok, type Result } from './result.js'
import { fromHex, toHex, type NodeId } from '../engine/ids.js'

/** Multihash code of sha2-256: the only provider key hash stock kad-dht nodes accept. */
export const SHA2_256_CODE = 0x12
/** Multihash code of blake3 (default 32-byte output). */
export const BLAKE3_CODE = 0x1e
/** Multicodec of raw bytes, used when a sha2-256 key is shown as a CIDv1. */
const RAW_CODEC = 0x55
/** Longest key string accepted: a CIDv1 of a 32-byte digest is ~60 chars. */
export const MAX_KEY_STRING_LENGTH = 256

export type KeyKind = 'b3' | 'cid'

export interface WireKey {
  readonly kind: KeyKind
  /** The key as it travels in Message.key (a multihash). */
  readonly bytes: Uint8Array
  /** The keyspace point: SHA-256(bytes). */
  readonly target: NodeId
}

const B3_PREFIX = 'b3:'

/** SHA-256 of the wire key bytes: the point of the key in the Kademlia keyspace. */
export function targetOf(keyBytes: Uint8Array): NodeId {
  return sha256(keyBytes)
}

function b3Wire(digest: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + digest.length)
  out[0] = BLAKE3_CODE
  out[1] = digest.length
  out.set(digest, 2)
  return out
}

/** The native key of some content: BLAKE3-256 of its bytes. */
export function b3KeyOf(content: Uint8Array): WireKey {
  const bytes = b3Wire(blake3(content))
  return { kind: 'b3', bytes, target: targetOf(bytes) }
}

/** Parses `b3:<64 hex>` or a CID string into a wire key. */
export function wireKeyFromString(s: string): Result<WireKey, string> {
  if (typeof s !== 'string' || s.length === 0) return err('key: empty')
  if (s.length > MAX_KEY_STRING_LENGTH) return err(`key: longer than ${MAX_KEY_STRING_LENGTH} characters`)
  if (s.startsWith(B3_PREFIX)) {
    const digest = fromHex(s.slice(B3_PREFIX.length))
    if (digest === undefined) return err('key: b3 keys are "b3:" followed by exactly 64 hex digits')
    const bytes = b3Wire(digest)
    return ok({ kind: 'b3', bytes, target: targetOf(bytes) })
  }
  let cid: CID
  try {
    cid = CID.parse(s)
  } catch {
    return err('key: neither b3:<64 hex> nor a CID (v0 Qm…, v1 base32 or base58btc)')
  }
  const mh = cid.multihash
  if (mh.code === BLAKE3_CODE && mh.digest.length === 32) {
    const bytes = b3Wire(mh.digest)
    return ok({ kind: 'b3', bytes, target: targetOf(bytes) })
  }
  if (mh.code !== SHA2_256_CODE || mh.digest.length !== 32) {
    return err(`key: CID hash 0x${mh.code.toString(16)} is not supported (sha2-256 or blake3-256)`)
  }
  const bytes = Uint8Array.from(mh.bytes)
  return ok({ kind: 'cid', bytes, target: targetOf(bytes) })
}

/** Checks wire key bytes from a remote peer; returns the parsed key or why it is refused. */
export function wireKeyFromBytes(bytes: Uint8Array): Result<WireKey, string> {
  if (bytes.length === 34 && bytes[1] === 32 && (bytes[0] === BLAKE3_CODE || bytes[0] === SHA2_256_CODE)) {
    const copy = Uint8Array.from(bytes)
    return ok({ kind: bytes[0] === BLAKE3_CODE ? 'b3' : 'cid', bytes: copy, target: targetOf(copy) })
  }
  return err('key: not a sha2-256 or blake3-256 multihash')
}

/**
 * The canonical text of wire key bytes: `b3:<hex>` for blake3 keys, a CIDv1 (raw, base32) for
 * sha2-256 keys, `mh:<hex>` for anything else.
 */
export function wireKeyToString(bytes: Uint8Array): string {
  if (bytes.length === 34 && bytes[1] === 32) {
    if (bytes[0] === BLAKE3_CODE) return B3_PREFIX + toHex(bytes.subarray(2))
    if (bytes[0] === SHA2_256_CODE) {
      return CID.createV1(RAW_CODEC, Digest.create(SHA2_256_CODE, bytes.slice(2))).toString(base32)
    }
  }
  return 'mh:' + toHex(bytes)
}

/** Parses a peer id string (base58btc `12D3…`/`Qm…` or a CID) into its wire bytes. */
export function peerIdBytesFromString(s: string): Result<Uint8Array, string> {
  if (typeof s !== 'string' || s.length === 0) return err('peer: empty')
  if (s.length > MAX_KEY_STRING_LENGTH) return err(`peer: longer than ${MAX_KEY_STRING_LENGTH} characters`)
  try {
    return ok(Uint8Array.from(peerIdFromString(s).toMultihash().bytes))
  } catch {
    return err('peer: not a libp2p peer id')
  }
}
