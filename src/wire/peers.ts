// Conversion between engine Contacts and wire Peers.
//
// A wire Peer is raw peer id bytes (a multihash) plus binary multiaddrs; an engine Contact is
// { id: SHA-256(peer id bytes), peer: peer id string, addrs: multiaddr strings, ipGroup }.
// Remote input never throws here: a peer whose id does not parse is dropped and counted, an
// address that does not parse (or is too long, or one too many) is dropped and counted.
// Parsing a peer id (it may embed a public key) and hashing it cost more than the rest, so the
// results are memoised in a bounded cache keyed by the id bytes.
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import type { Contact } from '../engine/types.js'
import { toHex } from '../engine/ids.js'
import type { WirePeer } from './message.js'
import { peerIdBytesFromString, targetOf } from './keys.js'

/** Longest peer id accepted (ed25519 identity multihash: 38 bytes; secp256k1: 39; RSA: 34). */
export const MAX_PEER_ID_BYTES = 128
/** Longest binary multiaddr kept (DNS names and cert hashes fit comfortably). */
export const MAX_ADDR_BYTES = 512
/** Addresses kept per contact; the rest are dropped and counted. */
export const MAX_ADDRS_PER_CONTACT = 16
/** Peer ids remembered by the conversion cache. */
const CACHE_LIMIT = 8192

interface IdEntry {
  readonly peer: string
  readonly id: Uint8Array
  readonly bytes: Uint8Array
}

const byBytes = new Map<string, IdEntry>()
const byString = new Map<string, IdEntry>()

function remember(e: IdEntry, bytesHex: string): IdEntry {
  if (byBytes.size >= CACHE_LIMIT) {
    byBytes.clear()
    byString.clear()
  }
  byBytes.set(bytesHex, e)
  byString.set(e.peer, e)
  return e
}

function entryFromBytes(bytes: Uint8Array): IdEntry | undefined {
  if (bytes.length === 0 || bytes.length > MAX_PEER_ID_BYTES) return undefined
  const hex = toHex(bytes)
  const hit = byBytes.get(hex)
  if (hit !== undefined) return hit
  try {
    // Two copies of multiformats are installed; the digest shape is the same.
    const digest = Digest.decode(bytes) as unknown as Parameters<typeof peerIdFromMultihash>[0]
    const peer = peerIdFromMultihash(digest).toString()
    const copy = Uint8Array.from(bytes)
    return remember({ peer, id: targetOf(copy), bytes: copy }, hex)
  } catch {
    return undefined
  }
}

function entryFromString(peer: string): IdEntry | undefined {
  const hit = byString.get(peer)
  if (hit !== undefined) return hit
  const r = peerIdBytesFromString(peer)
  if (!r.ok) return undefined
  return remember({ peer, id: targetOf(r.value), bytes: r.value }, toHex(r.value))
}

/** The IPv4 /24 group ("10.1.2") of the first /ip4/ address, or "" when there is none. */
export function ipGroupOf(addrs: readonly string[]): string {
  for (const a of addrs) {
    const m = /^\/ip4\/(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}(?:\/|$)/.exec(a)
    if (m !== null) return `${m[1]}.${m[2]}.${m[3]}`
  }
  return ''
}

/** Kademlia id of a peer from its wire id bytes (SHA-256), or undefined if not a peer id. */
export function kadIdOfPeerBytes(bytes: Uint8Array): Uint8Array | undefined {
  return entryFromBytes(bytes)?.id
}

export interface ContactsFromWire {
  readonly contacts: Contact[]
  /** Peers dropped because their id is not a valid peer id. */
  readonly dropped: number
  /** Addresses dropped (unparseable, too long, or beyond MAX_ADDRS_PER_CONTACT). */
  readonly droppedAddrs: number
}

/** Builds a Contact from a peer id string and multiaddr strings (e.g. a connected peer). */
export function contactFromPeer(peer: string, addrs: readonly string[]): Contact | undefined {
  const e = entryFromString(peer)
  if (e === undefined) return undefined
  const kept = addrs.slice(0, MAX_ADDRS_PER_CONTACT)
  return { id: e.id, peer: e.peer, addrs: kept, ipGroup: ipGroupOf(kept) }
}

/** Converts one wire peer; undefined when its id is not a peer id. */
export function contactFromWirePeer(p: WirePeer): Contact | undefined {
  return contactsFromWirePeers([p]).contacts[0]
}

export function contactsFromWirePeers(peers: readonly WirePeer[]): ContactsFromWire {
  const contacts: Contact[] = []
  let dropped = 0
  let droppedAddrs = 0
  for (const p of peers) {
    const e = entryFromBytes(p.id)
    if (e === undefined) {
      dropped++
      continue
    }
    const addrs: string[] = []
    for (const a of p.addrs) {
      if (addrs.length >= MAX_ADDRS_PER_CONTACT || a.length === 0 || a.length > MAX_ADDR_BYTES) {
        droppedAddrs++
        continue
      }
      try {
        addrs.push(multiaddr(a).toString())
      } catch {
        droppedAddrs++
      }
    }
    contacts.push({ id: e.id, peer: e.peer, addrs, ipGroup: ipGroupOf(addrs) })
  }
  return { contacts, dropped, droppedAddrs }
}

export interface PeersFromContacts {
  readonly peers: WirePeer[]
  /** Contacts dropped because their peer string is not a libp2p peer id. */
  readonly dropped: number
  readonly droppedAddrs: number
}

/** Converts one contact; undefined when its `peer` is not a libp2p peer id. */
export function wirePeerFromContact(c: Contact, connection?: number): WirePeer | undefined {
  return wirePeersFromContacts([c], connection).peers[0]
}

/** Converts contacts to wire peers; `connection` (a ConnectionType) is set on each when given. */
export function wirePeersFromContacts(contacts: readonly Contact[], connection?: number): PeersFromContacts {
  const peers: WirePeer[] = []
  let dropped = 0
  let droppedAddrs = 0
  for (const c of contacts) {
    const e = entryFromString(c.peer)
    if (e === undefined) {
      dropped++
      continue
    }
    const addrs: Uint8Array[] = []
    for (const a of c.addrs) {
      if (addrs.length >= MAX_ADDRS_PER_CONTACT) {
        droppedAddrs++
        continue
      }
      try {
        const b = multiaddr(a).bytes
        if (b.length > MAX_ADDR_BYTES) droppedAddrs++
        else addrs.push(b)
      } catch {
        droppedAddrs++
      }
    }
    peers.push(connection === undefined ? { id: e.bytes, addrs } : { id: e.bytes, addrs, connection })
  }
  return { peers, dropped, droppedAddrs }
}
