// Virtual peers: identities, addresses and placement, created once per run from the master seed.
// One Contact object per peer for the whole run (a returning peer keeps its id and address), so
// routing tables share it; it carries its index for O(1) lookup by the driver, and its derived
// keys (engine/contact-keys.ts: the engine then reads its id's bytes and its handle's characters
// only on a tie, which at 10^5 peers spares each message several cache misses).
import type { Contact } from '../engine/types.js'
import type { Rng } from '../engine/rng.js'
import { accessLatencyMs } from '../netmodel/latency.js'
import { KEY_BYTES } from '../engine/constants.js'
import { hashString, idHiOfId, idLoOfId } from '../engine/contact-keys.js'
import { pickWeighted } from './network.js'

/** A Contact as the simulator creates it: `idx` is the peer's index (never sent, never trusted). */
export interface SimContact extends Contact {
  readonly idx: number
}

export const SIM_PORT = 9444

/** A simulated peer's contact, with its derived keys (id KEY_BYTES long). Every one is made here: one shape for all. */
export function simContact(id: Uint8Array, peer: string, addrs: readonly string[], ipGroup: string, idx: number): SimContact {
  if (id.length !== KEY_BYTES) throw new Error(`simContact: an id of ${id.length} bytes`)
  return { id, peer, addrs, ipGroup, idx, idHi: idHiOfId(id), idLo: idLoOfId(id), peerHash: hashString(peer) }
}

export interface PeerSet {
  readonly contacts: readonly SimContact[]
  readonly regionOf: Uint8Array
  readonly accessMs: Float32Array
}

export interface PlacementOptions {
  readonly peers: number
  readonly regionWeights: readonly number[]
  readonly accessMedianMs: number
  readonly accessSigma: number
}

/** Creates every peer: id and /24 address from the peer's own forked stream, region and access latency from the placement stream. */
export function createPeers(rng: Rng, o: PlacementOptions): PeerSet {
  const contacts: SimContact[] = []
  const regionOf = new Uint8Array(o.peers)
  const accessMs = new Float32Array(o.peers)
  const place = rng.fork('place')
  for (let i = 0; i < o.peers; i++) {
    const own = rng.fork(`peer/${i}`)
    const id = own.bytes(KEY_BYTES)
    const x = own.int(256)
    const y = own.int(256)
    const z = 1 + own.int(254)
    contacts.push(simContact(id, `p${i}`, [`10.${x}.${y}.${z}:${SIM_PORT}`], `10.${x}.${y}`, i))
    regionOf[i] = pickWeighted(place, o.regionWeights)
    accessMs[i] = accessLatencyMs(place, { median: o.accessMedianMs, sigma: o.accessSigma })
  }
  return { contacts, regionOf, accessMs }
}

/** The peer index a contact refers to, or -1 when it is not one of ours. */
export function peerIndex(c: Contact, contacts: readonly SimContact[]): number {
  const idx = (c as Partial<SimContact>).idx
  if (idx !== undefined && contacts[idx] === c) return idx
  // A copy of a contact (same handle): parse "p<index>" and check it.
  const p = c.peer
  if (p.length < 2 || p.charCodeAt(0) !== 112 /* p */) return -1
  const n = Number(p.slice(1))
  if (!Number.isInteger(n) || n < 0 || n >= contacts.length || contacts[n]!.peer !== p) return -1
  return n
}
