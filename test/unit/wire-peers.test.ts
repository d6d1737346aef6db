import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  MAX_ADDRS_PER_CONTACT,
  contactFromPeer,
  contactFromWirePeer,
  contactsFromWirePeers,
  ipGroupOf,
  kadIdOfPeerBytes,
  wirePeerFromContact,
  wirePeersFromContacts,
} from '../../src/wire/peers.js'
import type { Contact } from '../../src/engine/types.js'

async function newPeer(): Promise<{ str: string; bytes: Uint8Array }> {
  const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  return { str: id.toString(), bytes: Uint8Array.from(id.toMultihash().bytes) }
}

describe('contacts <-> wire peers', () => {
  it('converts a wire peer into a Contact keyed by SHA-256 of its id bytes', async () => {
    const p = await newPeer()
    const a = multiaddr('/ip4/10.1.2.3/tcp/9444')
    const c = contactFromWirePeer({ id: p.bytes, addrs: [a.bytes] })
    expect(c).toEqual({ id: sha256(p.bytes), peer: p.str, addrs: ['/ip4/10.1.2.3/tcp/9444'], ipGroup: '10.1.2' })
    expect(kadIdOfPeerBytes(p.bytes)).toEqual(sha256(p.bytes))
  })

  it('drops and counts invalid peers and invalid addresses, never throws', async () => {
    const good = await newPeer()
    const r = contactsFromWirePeers([
      { id: Uint8Array.from([1, 2, 3]), addrs: [] }, // not a multihash
      { id: new Uint8Array(0), addrs: [] }, // empty
      { id: good.bytes, addrs: [Uint8Array.from([0xff, 0xff, 0xff]), multiaddr('/ip6/::1/tcp/1').bytes, new Uint8Array(0)] },
    ])
    expect(r.dropped).toBe(2)
    expect(r.droppedAddrs).toBe(2)
    expect(r.contacts.map((c) => [c.peer, c.addrs, c.ipGroup])).toEqual([[good.str, ['/ip6/::1/tcp/1'], '']])
  })

  it('keeps at most MAX_ADDRS_PER_CONTACT addresses', async () => {
    const p = await newPeer()
    const addrs = Array.from({ length: MAX_ADDRS_PER_CONTACT + 3 }, (_, i) => multiaddr(`/ip4/1.2.3.4/tcp/${i + 1}`).bytes)
    const r = contactsFromWirePeers([{ id: p.bytes, addrs }])
    expect(r.contacts[0]!.addrs.length).toBe(MAX_ADDRS_PER_CONTACT)
    expect(r.droppedAddrs).toBe(3)
  })

  it('round-trips Contact -> wire -> Contact', async () => {
    const p = await newPeer()
    const c = contactFromPeer(p.str, ['/ip4/127.0.0.1/tcp/4001', '/dns4/example.org/tcp/443/wss'])
    expect(c).toBeDefined()
    const w = wirePeerFromContact(c!, 1)
    expect(w).toBeDefined()
    expect(w!.id).toEqual(p.bytes)
    expect(w!.connection).toBe(1)
    expect(contactFromWirePeer(w!)).toEqual(c)
  })

  it('drops contacts whose peer is not a libp2p peer id (simulator handles) and bad addresses', async () => {
    const p = await newPeer()
    const sim: Contact = { id: new Uint8Array(32), peer: 'p123', addrs: ['10.0.0.1:9000'], ipGroup: '10.0.0' }
    const real: Contact = { id: sha256(p.bytes), peer: p.str, addrs: ['not an addr', '/ip4/1.1.1.1/tcp/1'], ipGroup: '1.1.1' }
    const r = wirePeersFromContacts([sim, real])
    expect(r.dropped).toBe(1)
    expect(r.droppedAddrs).toBe(1)
    expect(r.peers.length).toBe(1)
    expect(r.peers[0]!.addrs).toEqual([multiaddr('/ip4/1.1.1.1/tcp/1').bytes])
    expect(contactFromPeer('p123', [])).toBeUndefined()
  })

  it('finds the /24 group of the first IPv4 address', () => {
    expect(ipGroupOf(['/ip6/::1/tcp/1', '/ip4/192.168.7.9/tcp/1'])).toBe('192.168.7')
    expect(ipGroupOf(['/dns4/x/tcp/1'])).toBe('')
  })
})
