// The node's book of engine Contacts for libp2p peers.
//
// Theory of operation: the engine wants one Contact object per peer (tables share it), so the
// book interns Contacts by peer id string. A Contact's Kademlia id is SHA-256 of the peer id's
// multihash bytes (what stock kad-dht computes), `peer` is the peer id string, `addrs` are
// multiaddr strings without the /p2p suffix and `ipGroup` is the /24 of the address a connection
// from the peer came from, or until one has, of the first IPv4 address it advertises.
// Addresses first learned from third parties (closerPeers) only fill an empty list; identify
// (the peer itself, over an authenticated connection) replaces them. The addrs array is owned
// by the book and updated in place so the engine's copy stays current. The book is bounded in
// entries and in bytes: a contact keeps at most MAX_ADDRS_PER_CONTACT addresses and
// MAX_ADDR_TEXT_BYTES of address text, and past `maxEntries` or `maxBytes` in all the oldest
// entries are forgotten (the engine may still hold them).
// Wire encodings of Contacts are cached per object, so answering FIND_NODE encodes no peer id
// or multiaddr twice.
import { createHash } from 'node:crypto'
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import type { PeerId } from '@libp2p/interface'
import type { Contact } from '../../engine/index.js'
import type { WirePeer } from '../../wire/message.js'
import { MAX_ADDR_BYTES, MAX_ADDRS_PER_CONTACT, MAX_PEER_ID_BYTES } from '../../wire/peers.js'

interface BookEntry extends Contact {
  readonly addrs: string[]
}

/** Address text kept per contact (a few ordinary multiaddrs; DNS names fit). */
export const MAX_ADDR_TEXT_BYTES = 1024
/** What an entry costs beyond its address text: the Contact, its id, the peer id string, the map slot. */
const ENTRY_OVERHEAD_BYTES = 256

/** The addresses kept for a contact: bare, deduplicated, within the count and text limits. */
function keptAddrs(addrs: readonly string[]): string[] {
  const out: string[] = []
  let bytes = 0
  for (const a of addrs) {
    if (out.length >= MAX_ADDRS_PER_CONTACT) break
    const b = bareAddr(a)
    if (bytes + b.length > MAX_ADDR_TEXT_BYTES) continue
    if (out.includes(b)) continue
    out.push(b)
    bytes += b.length
  }
  return out
}

function costOf(c: BookEntry): number {
  let n = ENTRY_OVERHEAD_BYTES + c.peer.length
  for (const a of c.addrs) n += a.length
  return n
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

/** "10.1.2" for the first /ip4 address, "" when there is none. */
export function ipGroupOf(addrs: readonly string[]): string {
  for (const a of addrs) {
    const m = /^\/ip4\/(\d+)\.(\d+)\.(\d+)\.\d+/.exec(a)
    if (m) return `${m[1]}.${m[2]}.${m[3]}`
  }
  return ''
}

/** Strips a trailing /p2p/<id> so addresses can be re-encapsulated for any peer. */
export function bareAddr(addr: string): string {
  const i = addr.indexOf('/p2p/')
  return i === -1 ? addr : addr.slice(0, i)
}

export class ContactBook {
  private readonly byPeer = new Map<string, BookEntry>()
  private readonly wire = new WeakMap<Contact, WirePeer>()
  private readonly peerIds = new WeakMap<Contact, PeerId>()
  /** Contacts whose /24 group comes from a connection we saw (advertised addresses no longer set it). */
  private readonly observed = new WeakSet<Contact>()
  private bytesHeld = 0

  constructor(
    private readonly maxEntries = 200_000,
    private readonly maxBytes = 64 << 20,
  ) {}

  get size(): number {
    return this.byPeer.size
  }

  /** Approximate bytes the book holds (address text plus a fixed cost per entry). */
  get bytes(): number {
    return this.bytesHeld
  }

  /** The Contact for a libp2p peer id, created on first sight. */
  fromPeerId(peerId: PeerId, addrs?: readonly string[]): Contact {
    const key = peerId.toString()
    let c = this.byPeer.get(key)
    if (c === undefined) {
      const list = keptAddrs(addrs ?? [])
      c = { id: sha256(peerId.toMultihash().bytes), peer: key, addrs: list, ipGroup: ipGroupOf(list) }
      this.insert(key, c)
      this.peerIds.set(c, peerId)
    } else if (addrs !== undefined && addrs.length > 0 && c.addrs.length === 0) {
      this.setAddrs(c, addrs)
    }
    return c
  }

  /** The Contact for a peer id string; undefined when the string is not a peer id. */
  fromPeerString(peer: string, addrs?: readonly string[]): Contact | undefined {
    const known = this.byPeer.get(peer)
    if (known !== undefined) {
      if (addrs !== undefined && addrs.length > 0 && known.addrs.length === 0) this.setAddrs(known, addrs)
      return known
    }
    try {
      return this.fromPeerId(peerIdFromString(peer), addrs)
    } catch {
      return undefined
    }
  }

  /**
   * Gives a contact the /24 group of the address its connection comes from: the diversity filter
   * judges what we observe, never what the peer (or a third party) advertises, so a Sybil cannot
   * claim a /24 of its choosing. A peer that announces no address would otherwise sit in no group
   * and pass any per-group limit. Its addresses stay as they are: the source port of an inbound
   * connection is no address to dial.
   */
  noteSource(c: Contact, remoteAddr: string): void {
    const g = ipGroupOf([remoteAddr])
    if (g === '') return
    this.observed.add(c)
    if (c.ipGroup !== g) (c as { ipGroup: string }).ipGroup = g
  }

  /** Replaces a known peer's addresses (from identify: the peer speaking for itself). */
  updateAddrs(peerId: PeerId, addrs: readonly string[]): void {
    const c = this.byPeer.get(peerId.toString())
    if (c !== undefined && addrs.length > 0) this.setAddrs(c, addrs)
  }

  /** A Contact from a wire Peer; undefined when the id is not a valid peer id (never throws). */
  fromWire(p: WirePeer): Contact | undefined {
    if (p.id.length === 0 || p.id.length > MAX_PEER_ID_BYTES) return undefined
    let peerId: PeerId
    try {
      peerId = peerIdFromMultihash(Digest.decode(p.id) as unknown as Parameters<typeof peerIdFromMultihash>[0])
    } catch {
      return undefined
    }
    const addrs: string[] = []
    for (const a of p.addrs) {
      if (addrs.length >= MAX_ADDRS_PER_CONTACT) break
      if (a.length > MAX_ADDR_BYTES) continue
      try {
        addrs.push(bareAddr(multiaddr(a).toString()))
      } catch {
        // one unparsable address does not spoil the others
      }
    }
    return this.fromPeerId(peerId, addrs)
  }

  toWire(c: Contact): WirePeer {
    let w = this.wire.get(c)
    if (w === undefined) {
      const id = this.peerIdOf(c)?.toMultihash().bytes ?? new Uint8Array(0)
      const addrs: Uint8Array[] = []
      for (const a of c.addrs) {
        try {
          addrs.push(multiaddr(a).bytes)
        } catch {
          // skip
        }
      }
      w = { id, addrs }
      this.wire.set(c, w)
    }
    return w
  }

  peerIdOf(c: Contact): PeerId | undefined {
    let p = this.peerIds.get(c)
    if (p === undefined) {
      try {
        p = peerIdFromString(c.peer)
        this.peerIds.set(c, p)
      } catch {
        return undefined
      }
    }
    return p
  }

  private setAddrs(c: BookEntry, addrs: readonly string[]): void {
    const bare = keptAddrs(addrs)
    if (bare.length === c.addrs.length && bare.every((a, i) => a === c.addrs[i])) return
    const known = this.byPeer.get(c.peer) === c
    if (known) this.bytesHeld -= costOf(c)
    c.addrs.length = 0
    c.addrs.push(...bare)
    if (!this.observed.has(c)) (c as { ipGroup: string }).ipGroup = ipGroupOf(bare)
    this.wire.delete(c)
    if (known) {
      this.bytesHeld += costOf(c)
      this.evict(c.peer)
    }
  }

  private insert(key: string, c: BookEntry): void {
    this.byPeer.set(key, c)
    this.bytesHeld += costOf(c)
    this.evict(key)
  }

  /** Forgets the oldest entries (never `keep`) until the book is within its limits. */
  private evict(keep: string): void {
    while (this.byPeer.size > this.maxEntries || (this.bytesHeld > this.maxBytes && this.byPeer.size > 1)) {
      const oldest = this.byPeer.keys().next()
      if (oldest.done) return
      if (oldest.value === keep) {
        if (this.byPeer.size <= 1) return
        // Move the kept entry to the back so the loop finds an older one.
        const c = this.byPeer.get(keep)!
        this.byPeer.delete(keep)
        this.byPeer.set(keep, c)
        continue
      }
      const gone = this.byPeer.get(oldest.value)!
      this.byPeer.delete(oldest.value)
      this.bytesHeld -= costOf(gone)
    }
  }
}
