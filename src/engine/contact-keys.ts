// A contact's derived keys: its id's first 48 bits as two numbers and a hash of its peer handle,
// computed once when a driver makes the contact (withKeys) instead of on every message.
//
// Why: in a large simulated network every message names contacts of peers whose objects sit in no
// cache (the answer's contacts, the sender). Ranking a contact by distance, finding its bucket and
// finding it in the table then cost a read of its id's bytes (the typed array, then its data) and
// of its handle's characters (the string) beside the read of the contact itself: three or four
// cache misses where one would do. With the keys on the contact, the hot paths read only the
// contact object, and the id's bytes and the handle's characters only on a tie of the keys.
//
// The keys are optional: a contact without them (the node's, the tests') is read as before, with
// the same results. A driver that sets them uses withKeys, which sets them only for a well-formed
// id (KEY_BYTES long): keyed() therefore also says the id's length is right.
import type { Contact } from './types.js'
import { KEY_BYTES } from './constants.js'
import { idEquals } from './ids.js'

/** The id's first 16 bits (id KEY_BYTES long). */
export function idHiOfId(id: Uint8Array): number {
  return (id[0]! << 8) | id[1]!
}

/** The id's bits 16..47 as a signed 32-bit number (id KEY_BYTES long). */
export function idLoOfId(id: Uint8Array): number {
  return (id[2]! << 24) | (id[3]! << 16) | (id[4]! << 8) | id[5]!
}

/** The contact with its derived keys (a new object; `c` itself when its id is malformed: it then has none). */
export function withKeys<C extends Contact>(c: C): C {
  const id = c.id
  if (id.length !== KEY_BYTES) return c
  return { ...c, idHi: idHiOfId(id), idLo: idLoOfId(id), peerHash: hashString(c.peer) }
}

/** True when c carries its keys (and so a KEY_BYTES-long id). */
export function keyed(c: Contact): boolean {
  return c.peerHash !== undefined
}

/** The id's first 16 bits. */
export function idHiOf(c: Contact): number {
  const v = c.idHi
  return v !== undefined ? v : idHiOfId(c.id)
}

/** The id's bits 16..47 as a signed 32-bit number (as the routing table stores them). */
export function idLoOf(c: Contact): number {
  const v = c.idLo
  return v !== undefined ? v : idLoOfId(c.id)
}

/** hashString(c.peer). */
export function peerHashOf(c: Contact): number {
  const v = c.peerHash
  return v !== undefined ? v : hashString(c.peer)
}

/** Whether the id has the right length (read from the keys when the contact has them). */
export function wellFormedId(c: Contact): boolean {
  return c.peerHash !== undefined || c.id.length === KEY_BYTES
}

/** idEquals(c.id, id), deciding most unequal pairs from c's keys (c's id's bytes are then not read). */
export function hasId(c: Contact, id: Uint8Array): boolean {
  const hi = c.idHi
  if (hi !== undefined && id.length === KEY_BYTES && (hi !== idHiOfId(id) || c.idLo !== idLoOfId(id))) return false
  return idEquals(c.id, id)
}

/** Whether a and b name the same peer (the same object, or equal handles). */
export function samePeer(a: Contact, b: Contact): boolean {
  if (a === b) return true
  const ha = a.peerHash
  const hb = b.peerHash
  if (ha !== undefined && hb !== undefined && ha !== hb) return false
  return a.peer === b.peer
}

/** Whether c's handle is `peer`, whose hashString is `hash` (the handle's characters are read only on a hash match). */
export function isPeer(c: Contact, peer: string, hash: number): boolean {
  const h = c.peerHash
  if (h !== undefined && h !== hash) return false
  return c.peer === peer
}

/** 30-bit FNV-1a (a small integer in V8) of a string's UTF-16 code units: a filter before comparing handles, never an identity. */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h & 0x3fffffff
}
