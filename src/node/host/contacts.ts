// The node's book of engine Contacts for libp2p peers.
//
// Theory of operation: the engine wants one Contact object per peer (tables share it), so the
// book interns Contacts by peer id string. A Contact's Kademlia id is SHA-256 of the peer id's
// multihash bytes (what stock kad-dht computes), `peer` is the peer id string, `addrs` are
// multiaddr strings without the /p2p suffix and `ipGroup` is the /24 of the first IPv4 address.
// Addresses first learned from third parties (closerPeers) only fill an empty list; identify
// (the peer itself, over an authenticated connection) replaces them. The addrs array is owned
// by the book and updated in place so the engine's copy stays current. The book is bounded:
// past `maxEntries` the oldest entries are forgotten (the engine may still hold them).
// Wire encodings of Contacts are cached per object, so answering FIND_NODE encodes no peer id
// or multiaddr twice.
import { createHash } from 'node:crypto'
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import type { PeerId } from '@libp2p/interface'
import type { Contact } from '../../engine/index.js'
import type { WirePeer } from '../wire/message.js'
import { MAX_ADDR_BYTES, MAX_ADDRS_PER_CONTACT, MAX_PEER_ID_BYTES } from '../wire/peers.js'

interface BookEntry extends Contact {
  readonly addrs: string[]
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

  constructor(private readonly maxEntries = 200_000) {}

  get size(): number {
    return this.byPeer.size
  }

  /** The Contact for a libp2p peer id, created on first sight. */
  fromPeerId(peerId: PeerId, addrs?: readonly string[]): Contact {
    const key = peerId.toString()
    let c = this.byPeer.get(key)
    if (c === undefined) {
      const list = (addrs ?? []).slice(0, MAX_ADDRS_PER_CONTACT).map(bareAddr)
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
    const bare = addrs.slice(0, MAX_ADDRS_PER_CONTACT).map(bareAddr)
    if (bare.length === c.addrs.length && bare.every((a, i) => a === c.addrs[i])) return
    c.addrs.length = 0
    c.addrs.push(...bare)
    ;(c as { ipGroup: string }).ipGroup = ipGroupOf(bare)
    this.wire.delete(c)
  }

  private insert(key: string, c: BookEntry): void {
    if (this.byPeer.size >= this.maxEntries) {
      const oldest = this.byPeer.keys().next()
      if (!oldest.done) this.byPeer.delete(oldest.value)
    }
    this.byPeer.set(key, c)
  }
}
