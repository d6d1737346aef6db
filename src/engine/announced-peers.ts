// Peers that announced themselves to us. A FIND_NODE for the sender's own id is its self-lookup
// (made when it joins and on its refresh schedule): it asks its closest peers who is near it, and
// tells them that it is there. A Sybil cluster packed around a node's id fills the buckets of
// that node's honest neighbours before the node reaches them (every member is alive, and a full
// bucket keeps its old live contacts), so the node wins no slot there, and no neighbour could name
// it to a FIND_NODE for its id: the node is eclipsed although its neighbours heard from it. This
// memory keeps announcers by exact id, apart from the buckets, and a FIND_NODE for exactly an
// announcer's id is answered with the announcer (libp2p's FIND_NODE handler likewise adds the
// target when it holds the target's addresses).
//
// It crowds nothing out: it answers only a lookup for the announcer's own id, and only the peer
// itself can make its entry (the sender of a request is the peer its connection authenticated).
// Bounded: the `capacity` most recent announcers, each kept for ANNOUNCE_TTL_MS (a peer that left
// is named to lookups for its own id until then: their query to it fails, as it would anyway).
// Found by 48-bit id prefix; ids sharing one are all kept and the full ids compared, so an
// attacker who grinds a colliding prefix cannot overwrite an entry.
import type { Contact } from './types.js'
import type { NodeId } from './ids.js'
import { idEquals } from './ids.js'
import { ANNOUNCE_TTL_MS } from './constants.js'

interface Entry {
  readonly contact: Contact
  readonly atMs: number
}

/** The first 48 bits of an id as a number (exact below 2^53). */
function prefixKey(id: NodeId): number {
  return (((id[0]! << 8) | id[1]!) * 4294967296) + (((id[2]! << 24) | (id[3]! << 16) | (id[4]! << 8) | id[5]!) >>> 0)
}

export class AnnouncedPeers {
  /** Entries by peer handle, oldest announcement first (a repeat moves its entry to the end). */
  private readonly byPeer = new Map<string, Entry>()
  /** The same entries by id prefix, for find(). */
  private readonly byKey = new Map<number, Entry[]>()

  constructor(private capacity: number) {}

  get size(): number {
    return this.byPeer.size
  }

  /** Changes the bound; shrinking drops the oldest entries. */
  setCapacity(capacity: number): void {
    this.capacity = Math.max(0, capacity)
    while (this.byPeer.size > this.capacity) this.evictOldest()
  }

  /** `contact` made a self-lookup reaching us at nowMs. */
  note(contact: Contact, nowMs: number): void {
    if (this.capacity <= 0) return
    const old = this.byPeer.get(contact.peer)
    if (old !== undefined) this.remove(old)
    const e: Entry = { contact, atMs: nowMs }
    this.byPeer.set(contact.peer, e)
    const key = prefixKey(contact.id)
    const list = this.byKey.get(key)
    if (list === undefined) this.byKey.set(key, [e])
    else list.push(e)
    while (this.byPeer.size > this.capacity) this.evictOldest()
  }

  /** The announcer whose id is exactly `target`, announced within ANNOUNCE_TTL_MS of nowMs. */
  find(target: NodeId, nowMs: number): Contact | undefined {
    if (this.byPeer.size === 0) return undefined
    const list = this.byKey.get(prefixKey(target))
    if (list === undefined) return undefined
    for (const e of list) if (nowMs - e.atMs <= ANNOUNCE_TTL_MS && idEquals(e.contact.id, target)) return e.contact
    return undefined
  }

  private evictOldest(): void {
    const first = this.byPeer.values().next()
    if (first.done !== true) this.remove(first.value)
  }

  private remove(e: Entry): void {
    this.byPeer.delete(e.contact.peer)
    const key = prefixKey(e.contact.id)
    const list = this.byKey.get(key)
    if (list === undefined) return
    const i = list.indexOf(e)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.byKey.delete(key)
  }
}
