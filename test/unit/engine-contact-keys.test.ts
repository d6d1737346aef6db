// A contact's derived keys (contact-keys.ts) are a cache: the engine must behave exactly the same
// whether its contacts carry them or not (the simulator's do, the node's and most tests' do not).
import { describe, expect, it } from 'vitest'
import { hashString, hasId, idHiOf, idLoOf, isPeer, peerHashOf, samePeer, wellFormedId, withKeys } from '../../src/engine/contact-keys.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, Message } from '../../src/engine/types.js'
import { RoutingTable } from '../../src/engine/routing-table.js'
import { engineConfig } from '../../src/engine/config.js'
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

describe("an answer's closer keys (CloserKeys)", () => {
  it('are the keys of the contacts closestSet() answers, the announced peer among them', () => {
    const cfg = engineConfig({})
    const rng = new SeededRng('closer-keys')
    const self = rng.bytes(32)
    const table = new RoutingTable(self, 20, 8, { ...cfg.policy, announcedPeers: 4 })
    for (let i = 0; i < 300; i++) {
      const c: Contact = { id: rng.bytes(32), peer: `p${i}`, addrs: [], ipGroup: `10.${i & 255}.${i >> 8}` }
      table.observeCode(i % 2 === 0 ? withKeys(c) : c, i) // keyed or not: the table's columns are the same
    }
    const announcer = withKeys({ id: rng.bytes(32), peer: 'announcer', addrs: [], ipGroup: '10.9.9' })
    table.noteAnnounce(announcer, 1000)
    for (const [target, nowMs] of [[rng.bytes(32), 1000], [announcer.id, 1000], [self, undefined]] as const) {
      const plainAnswer = table.closestSet(target, 20, 'p7', true, nowMs)
      const ck = table.closestSetKeyed(target, 20, 'p7', true, nowMs)
      expect(ck.contacts).toEqual(plainAnswer)
      expect(ck.keys).toEqual(ck.contacts.flatMap((c) => [idHiOf(c), idLoOf(c), peerHashOf(c)]))
    }
    expect(table.closestSetKeyed(announcer.id, 20, 'p7', true, 1000).contacts).toContain(announcer)
  })

  it('change no lookup: with them, without them, or voided by a driver that replaced the contacts', () => {
    let keyed = 0
    const run = (rewrite?: (msg: Message) => Message) => {
      const mesh = new Mesh({ n: 120, seed: 'closer-keys', contact: (i, id) => withKeys({ id, peer: `p${i}`, addrs: [], ipGroup: `10.0.${i >> 8}` }), rewrite })
      mesh.startAll(20)
      mesh.runUntil(20_000)
      const rng = new SeededRng('targets')
      for (let t = 0; t < 40; t++) mesh.lookup((t * 7) % 120, t % 3 === 0 ? 'PROVIDE' : t % 3 === 1 ? 'GET_PROVIDERS' : 'FIND_NODE', rng.bytes(32), t)
      mesh.runUntil(60_000)
      const results = mesh.results().map((r) => [r.tag, r.success, r.hops, r.messages, r.endMs, r.closest.map((c) => c.peer), r.providers.map((c) => c.peer)])
      return { results, delivered: mesh.delivered, tables: mesh.nodes.map((e) => e.contacts().map((c) => c.peer)) }
    }
    const withThem = run((msg) => {
      if (msg.kind === 'response' && msg.closerKeys !== undefined && msg.closer.length > 0) keyed++
      return msg
    })
    expect(keyed).toBeGreaterThan(1000) // the engines' answers do carry them
    expect(withThem.results).toHaveLength(40)
    expect(run((msg) => (msg.kind === 'response' ? { ...msg, closerKeys: undefined } : msg))).toEqual(withThem)
    // A copy of the contacts (as a codec's decode makes): the keys no longer describe `closer`.
    expect(run((msg) => (msg.kind === 'response' ? { ...msg, closer: [...msg.closer] } : msg))).toEqual(withThem)
  })

  it('are not read for contacts a driver put in their place: those are checked as any answer is', () => {
    const bad: Contact = { id: new Uint8Array(5), peer: 'bad', addrs: [], ipGroup: '' }
    let replaced = 0
    const mesh = new Mesh({
      n: 40,
      seed: 'closer-keys-void',
      rewrite: (msg) => {
        if (msg.kind !== 'response' || msg.closerKeys === undefined || msg.closer.length === 0) return msg
        replaced++
        // Same length, the keys kept: only their `contacts` tells they describe another list.
        return { ...msg, closer: [bad, ...msg.closer.slice(1)] }
      },
    })
    mesh.startAll(20)
    mesh.runUntil(20_000)
    expect(replaced).toBeGreaterThan(100)
    // Taken as a candidate, 'bad' would have been queried: it was dropped as malformed instead.
    expect(mesh.sentToUnknown).toBe(0)
    expect(mesh.nodes.map((e) => e.checkInvariants())).toEqual(mesh.nodes.map(() => undefined))
  })
})
