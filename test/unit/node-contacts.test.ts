// The contact book stays within its byte budget and keeps few, short addresses per contact,
// whatever peers claim.
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ContactBook, MAX_ADDR_TEXT_BYTES } from '../../src/node/host/contacts.js'

async function peer(): Promise<ReturnType<typeof peerIdFromPrivateKey>> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

describe('contact book budget', () => {
  it('keeps at most MAX_ADDR_TEXT_BYTES of address text per contact', async () => {
    const book = new ContactBook()
    const long = Array.from({ length: 16 }, (_, i) => `/dns4/${'x'.repeat(200)}${i}.example/tcp/4001`)
    const c = book.fromWire({ id: (await peer()).toMultihash().bytes, addrs: long.map((a) => multiaddr(a).bytes) })!
    expect(c.addrs.join('').length).toBeLessThanOrEqual(MAX_ADDR_TEXT_BYTES)
    expect(c.addrs.length).toBeGreaterThan(0)
  })

  it('forgets the oldest contacts once over its byte budget', async () => {
    const book = new ContactBook(200_000, 8 * 1024)
    const ids = []
    for (let i = 0; i < 40; i++) {
      const p = await peer()
      ids.push(p.toString())
      book.fromPeerId(p, [`/ip4/10.0.${i}.1/tcp/4001`, `/ip4/10.1.${i}.1/tcp/4001`])
    }
    expect(book.bytes).toBeLessThanOrEqual(8 * 1024)
    expect(book.size).toBeLessThan(40)
    // The newest is kept, the oldest forgotten (a lookup creates it afresh).
    const before = book.size
    book.fromPeerString(ids[39]!)
    expect(book.size).toBe(before)
  })
})

describe('contact book address groups', () => {
  it('takes a peer\'s /24 group from the connection it came from, not from the addresses it advertises', async () => {
    const book = new ContactBook()
    const p = await peer()
    const c = book.fromPeerId(p, ['/ip4/10.9.9.1/tcp/4001'])
    expect(c.ipGroup).toBe('10.9.9')
    book.noteSource(c, '/ip4/203.0.113.7/tcp/50123')
    expect(c.ipGroup).toBe('203.0.113')
    // What the peer then says about itself (identify) changes its addresses, not its group.
    book.updateAddrs(p, ['/ip4/198.51.100.4/tcp/4001'])
    expect(c.addrs).toEqual(['/ip4/198.51.100.4/tcp/4001'])
    expect(c.ipGroup).toBe('203.0.113')
  })

  it('keeps the advertised group of a peer never seen on a connection', async () => {
    const book = new ContactBook()
    const p = await peer()
    const c = book.fromPeerId(p)
    book.updateAddrs(p, ['/ip4/198.51.100.4/tcp/4001'])
    expect(c.ipGroup).toBe('198.51.100')
  })
})
