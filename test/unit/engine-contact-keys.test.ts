// A contact's derived keys (contact-keys.ts) are a cache: the engine must behave exactly the same
// whether its contacts carry them or not (the simulator's do, the node's and most tests' do not).
import { describe, expect, it } from 'vitest'
import { hashString, hasId, idHiOf, idLoOf, isPeer, peerHashOf, samePeer, wellFormedId, withKeys } from '../../src/engine/contact-keys.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact } from '../../src/engine/types.js'
import { Mesh } from '../helpers/mesh.js'

const plain = (id: Uint8Array, peer: string): Contact => ({ id, peer, addrs: [], ipGroup: '' })

describe('contact keys', () => {
  it('are the id prefix and the handle hash, read the same with or without them', () => {
    const id = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 150) & 255)
    const c = plain(id, 'p42')
    const k = withKeys(c)
    expect(k).not.toBe(c)
    expect([k.idHi, k.idLo, k.peerHash]).toEqual([(id[0]! << 8) | id[1]!, (id[2]! << 24) | (id[3]! << 16) | (id[4]! << 8) | id[5]!, hashString('p42')])
    expect(k.idLo).toBeLessThan(0) // id[2] >= 0x80: signed, as the routing table stores it
    for (const x of [c, k]) expect([idHiOf(x), idLoOf(x), peerHashOf(x)]).toEqual([k.idHi, k.idLo, k.peerHash])
  })

  it('are not set on a malformed id, which stays malformed to the engine', () => {
    const short = plain(new Uint8Array(5), 'p1')
    expect(withKeys(short)).toBe(short)
    expect(wellFormedId(short)).toBe(false)
    expect(wellFormedId(plain(new Uint8Array(32), 'p1'))).toBe(true)
  })

  it('name the same peer as the handles do', () => {
    const a = withKeys(plain(new Uint8Array(32), 'alice'))
    const a2 = plain(new Uint8Array(32).fill(1), 'alice')
    const b = withKeys(plain(new Uint8Array(32), 'bob'))
    expect([samePeer(a, a), samePeer(a, a2), samePeer(a2, a), samePeer(a, b), samePeer(a2, b)]).toEqual([true, true, true, false, false])
    expect([isPeer(a, 'alice', hashString('alice')), isPeer(a2, 'alice', hashString('alice')), isPeer(b, 'alice', hashString('alice'))]).toEqual([true, true, false])
  })

  it('compare ids as idEquals does, past the 48 bits the keys hold too', () => {
    const id = Uint8Array.from({ length: 32 }, (_, i) => i)
    const past = Uint8Array.from(id, (x, i) => (i === 31 ? x ^ 1 : x)) // the same keys
    const within = Uint8Array.from(id, (x, i) => (i === 4 ? x ^ 1 : x))
    for (const c of [plain(id, 'p'), withKeys(plain(id, 'p'))]) {
      expect([hasId(c, id), hasId(c, past), hasId(c, within), hasId(c, id.subarray(0, 6))]).toEqual([true, false, false, false])
    }
  })
})

describe('an engine network with keyed contacts', () => {
  it('joins and looks up exactly as with plain ones', () => {
    const run = (keyed: boolean) => {
      const mesh = new Mesh({
        n: 120,
        seed: 'keys',
        contact: (i, id) => {
          const c: Contact = { id, peer: `p${i}`, addrs: [`10.0.${i >> 8}.${i & 255}:1`], ipGroup: `10.0.${i >> 8}` }
          return keyed ? withKeys(c) : c
        },
      })
      mesh.startAll(20)
      mesh.runUntil(20_000)
      const rng = new SeededRng('targets')
      for (let t = 0; t < 40; t++) mesh.lookup((t * 7) % 120, t % 3 === 0 ? 'PROVIDE' : t % 3 === 1 ? 'GET_PROVIDERS' : 'FIND_NODE', rng.bytes(32), t)
      mesh.runUntil(60_000)
      const results = mesh.results().map((r) => [r.tag, r.success, r.hops, r.messages, r.endMs, r.closest.map((c) => c.peer), r.providers.map((c) => c.peer)])
      return { results, delivered: mesh.delivered, tables: mesh.nodes.map((e) => e.stats(60_000).tableSize) }
    }
    const keyed = run(true)
    expect(keyed.results).toHaveLength(40)
    expect(keyed.delivered).toBeGreaterThan(10_000)
    expect(keyed).toEqual(run(false))
  })
})
