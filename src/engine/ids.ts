// 256-bit Kademlia ids as Uint8Array(32) and the XOR metric over them.
// Byte-wise work on typed arrays: no bigint, no allocation on the compare paths.
import { KEY_BYTES } from './constants.js'
import type { Rng } from './rng.js'

export type NodeId = Uint8Array

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function toHex(id: Uint8Array): string {
  // join() makes one flat string; `s +=` makes a rope of 31 cons cells, which a Map key keeps
  // alive (about 1 KiB per provider-store key).
  const parts = new Array<string>(id.length)
  for (let i = 0; i < id.length; i++) parts[i] = HEX[id[i]!]!
  return parts.join('')
}

/** Parses exactly 64 hex digits; returns undefined for anything else (never throws). */
export function fromHex(hex: string): NodeId | undefined {
  if (hex.length !== KEY_BYTES * 2 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined
  const out = new Uint8Array(KEY_BYTES)
  for (let i = 0; i < KEY_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

export function idEquals(a: NodeId, b: NodeId): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function xor(a: NodeId, b: NodeId): NodeId {
  const out = new Uint8Array(KEY_BYTES)
  for (let i = 0; i < KEY_BYTES; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** Number of leading bits a and b share (256 when equal). */
export function commonPrefixLength(a: NodeId, b: NodeId): number {
  for (let i = 0; i < KEY_BYTES; i++) {
    const x = a[i]! ^ b[i]!
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return KEY_BYTES * 8
}

/**
 * Compares d(a, target) with d(b, target): negative when a is closer, 0 when equal, positive
 * when b is closer. No allocation.
 */
export function compareDistance(a: NodeId, b: NodeId, target: NodeId): number {
  for (let i = 0; i < KEY_BYTES; i++) {
    const da = a[i]! ^ target[i]!
    const db = b[i]! ^ target[i]!
    if (da !== db) return da - db
  }
  return 0
}

/** Compares two distances (XOR values) as unsigned big-endian integers. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** The first `bits` bits of the distance as a number in [0, 1): for density estimates. */
export function distanceFraction(a: NodeId, b: NodeId): number {
  let f = 0
  let scale = 1 / 256
  for (let i = 0; i < 7; i++) {
    f += (a[i]! ^ b[i]!) * scale
    scale /= 256
  }
  return f
}

/** A random id whose common prefix with `self` is exactly `cpl` bits (so it falls in bucket cpl). */
export function randomIdInBucket(self: NodeId, cpl: number, rng: Rng): NodeId {
  const out = rng.bytes(KEY_BYTES)
  if (cpl >= KEY_BYTES * 8) return new Uint8Array(self)
  for (let bit = 0; bit <= cpl; bit++) {
    const byte = bit >> 3
    const mask = 0x80 >> (bit & 7)
    const selfBit = self[byte]! & mask
    const want = bit < cpl ? selfBit : selfBit ^ mask
    out[byte] = (out[byte]! & ~mask) | want
  }
  return out
}
