// The table's defences against a Sybil cluster packed around a node's id (the victim eclipse):
// at most maxPerIdQuarter contacts per quarter of a bucket's id range, self-announcements
// remembered apart from the buckets, so that a FIND_NODE for exactly an announcer's id names it,
// and a node inside such a cluster repeating its self-lookup.
import { describe, expect, it } from 'vitest'
import { RoutingTable } from '../../src/engine/routing-table.js'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig, STRICT_POLICY } from '../../src/engine/config.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, Request } from '../../src/engine/types.js'
import { ANNOUNCE_INTERVAL_MS, ANNOUNCE_TTL_MS } from '../../src/engine/constants.js'
import { Mesh } from '../helpers/mesh.js'

const self = new Uint8Array(32) // all zeros
const open = { maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity }

/** A contact in bucket `b` (shares b leading zero bits with self, then a 1), whose next two bits are `quarter`, tail `i`. */
function inBucket(b: number, quarter: number, i: number, prefix = 'p'): Contact {
  const id = new Uint8Array(32)
  const set = (bit: number): void => {
    id[bit >> 3]! |= 0x80 >> (bit & 7)
  }
  set(b)
  if (quarter & 2) set(b + 1)
  if (quarter & 1) set(b + 2)
  id[30] = i >> 8
  id[31] = i & 255
  return { id, peer: `${prefix}${b}-${quarter}-${i}`, addrs: [], ipGroup: `${11 + (i % 80)}.${i}.1` }
}

describe('routing table: at most maxPerIdQuarter contacts per quarter of a bucket', () => {
  it('a cluster in one quarter takes that quarter only, the other quarters still fill', () => {
    for (const b of [0, 13, 14, 15, 30]) {
      // b = 14 and 15 put the two quarter bits across the hi/lo columns of the id prefix.
      const t = new RoutingTable(self, 20, 4, { ...open, maxPerIdQuarter: 5 })
      const verdicts = Array.from({ length: 8 }, (_, i) => t.observe(inBucket(b, 3, i), 1).kind)
      expect(verdicts, `bucket ${b}`).toEqual(['added', 'added', 'added', 'added', 'added', 'rejected', 'rejected', 'rejected'])
      for (const q of [0, 1, 2]) expect(t.observe(inBucket(b, q, 100), 1).kind, `bucket ${b} quarter ${q}`).toBe('added')
      expect(t.bucketSize(b)).toBe(8)
      expect(t.checkInvariants()).toBeUndefined()
    }
  })

  it('without the limit the cluster takes the whole bucket', () => {
    const t = new RoutingTable(self, 20, 4, open)
    for (let i = 0; i < 20; i++) t.observe(inBucket(0, 3, i), 1)
    expect(t.bucketSize(0)).toBe(20)
    expect(t.observe(inBucket(0, 0, 100), 1).kind).toBe('full')
  })

  it('the strict profile sets the limit; the default one does not', () => {
    expect(STRICT_POLICY.maxPerIdQuarter).toBe(5)
    expect(engineConfig().policy.maxPerIdQuarter).toBeUndefined()
  })
})

describe('routing table: self-announcements', () => {
  // A bucket full of others (the cluster came first), and the victim, whose id is in it.
  const victim = inBucket(0, 3, 999, 'v')
  const fullTable = (announced?: number): RoutingTable => {
    const t = new RoutingTable(self, 4, 2, { ...open, ...(announced === undefined ? {} : { announcedPeers: announced }) })
    for (let i = 0; i < 4; i++) t.observe(inBucket(0, 3, i), 1)
    expect(t.observe(victim, 2).kind).toBe('full')
    return t
  }

  it('names an announcer to a FIND_NODE for exactly its id, in place of the farthest answer', () => {
    const t = fullTable(8)
    expect(t.closestSet(victim.id, 4, undefined, true, 10).map((c) => c.peer)).not.toContain(victim.peer)
    t.noteAnnounce(victim, 10)
    const answer = t.closestSet(victim.id, 4, undefined, true, 20)
    expect(answer).toHaveLength(4)
    expect(answer.map((c) => c.peer)).toContain(victim.peer)
    // The one left out is the contact farthest from the victim's id.
    const others = [0, 1, 2, 3].map((i) => inBucket(0, 3, i))
    const farthest = others.reduce((a, c) => (Buffer.compare(xorOf(a.id, victim.id), xorOf(c.id, victim.id)) >= 0 ? a : c))
    expect(answer.map((c) => c.peer)).not.toContain(farthest.peer)
    // Only for its own id, never to itself, and only within the TTL.
    expect(t.closestSet(inBucket(0, 3, 998).id, 4, undefined, true, 20).map((c) => c.peer)).not.toContain(victim.peer)
    expect(t.closestSet(victim.id, 4, victim.peer, true, 20).map((c) => c.peer)).not.toContain(victim.peer)
    expect(t.closestSet(victim.id, 4, undefined, true, 10 + ANNOUNCE_TTL_MS + 1).map((c) => c.peer)).not.toContain(victim.peer)
    expect(t.checkInvariants()).toBeUndefined()
  })

  it('keeps nothing when the policy asks for no announcements', () => {
    const t = fullTable()
    t.noteAnnounce(victim, 10)
    expect(t.closestSet(victim.id, 4, undefined, true, 20).map((c) => c.peer)).not.toContain(victim.peer)
  })

  it('keeps the most recent announcers, up to its capacity', () => {
    const t = fullTable(2)
    const a = inBucket(1, 0, 1, 'a')
    const b = inBucket(1, 0, 2, 'b')
    t.noteAnnounce(victim, 1)
    t.noteAnnounce(a, 2)
    t.noteAnnounce(victim, 3) // renewed: now the most recent
    t.noteAnnounce(b, 4) // a, the oldest, leaves
    expect(t.closestSet(victim.id, 4, undefined, true, 5).map((c) => c.peer)).toContain(victim.peer)
    expect(t.closestSet(a.id, 4, undefined, true, 5).map((c) => c.peer)).not.toContain(a.peer)
    expect(t.closestSet(b.id, 4, undefined, true, 5).map((c) => c.peer)).toContain(b.peer)
  })

  it('engine: a self-lookup reaching a strict node makes it name the announcer to others', () => {
    const e = new DhtEngine({ self: { id: self, peer: 'me', addrs: [], ipGroup: '' }, config: engineConfig({ k: 4, policy: STRICT_POLICY }), rng: new SeededRng(1) })
    e.step(0, { kind: 'start', bootstraps: [] })
    const ask = (from: Contact, target: Uint8Array, rpcId: number): string[] => {
      const req: Request = { kind: 'request', rpcId, type: 'FIND_NODE', key: target, target, providers: [] }
      const m = e.step(1_000 + rpcId, { kind: 'message', from, msg: req }).sends[0]!.msg
      return m.kind === 'response' ? m.closer.map((c) => c.peer) : []
    }
    // The cluster fills the bucket first (one per quarter: the quarter limit admits them).
    for (let i = 0; i < 4; i++) ask(inBucket(0, i, i), inBucket(0, i, i).id, 1 + i)
    const asker = inBucket(2, 0, 7, 'q')
    expect(ask(asker, victim.id, 10)).not.toContain(victim.peer)
    ask(victim, self, 11) // not a self-lookup: the victim asks for another id
    expect(ask(asker, victim.id, 12)).not.toContain(victim.peer)
    ask(victim, victim.id, 13) // its self-lookup
    expect(e.contacts().map((c) => c.peer)).not.toContain(victim.peer) // the bucket is still full of others
    expect(ask(asker, victim.id, 14)).toContain(victim.peer)
  })
})

describe('engine: a node inside a cluster re-announces itself', () => {
  // Node 1 is the victim; nodes 2..16 share 40 bits with its id (the cluster); the rest are spread.
  const run = (policy: typeof STRICT_POLICY | undefined): Map<number, number[]> => {
    const selfLookups = new Map<number, number[]>()
    let victimId: Uint8Array | undefined
    const mesh = new Mesh({
      n: 60,
      seed: 'announce',
      config: policy === undefined ? {} : { policy },
      contact: (i, id) => {
        if (i === 1) victimId = id
        const own = i >= 2 && i <= 16 ? Uint8Array.from(id, (b, j) => (j < 5 ? victimId![j]! : b)) : id
        return { id: own, peer: `p${i}`, addrs: [], ipGroup: `${11 + (i % 80)}.${i}.1` }
      },
      onDeliver: (_to, from, msg, atMs) => {
        if (msg.kind !== 'request' || msg.type !== 'FIND_NODE' || !msg.target.every((b, j) => b === from.id[j])) return
        const n = Number(from.peer.slice(1))
        const times = selfLookups.get(n) ?? []
        // One entry per self-lookup: its first request.
        if (times.length === 0 || atMs - times[times.length - 1]! > 5_000) times.push(atMs)
        selfLookups.set(n, times)
      },
    })
    mesh.startAll(20)
    mesh.runUntil(30_000 + 6 * ANNOUNCE_INTERVAL_MS)
    return selfLookups
  }

  it('strict: the victim repeats its self-lookup each interval; a node outside the cluster does not', () => {
    const s = run(STRICT_POLICY)
    expect(s.get(1)!.length).toBeGreaterThanOrEqual(5)
    for (const n of [20, 30, 40, 50]) expect(s.get(n)?.length ?? 0, `node ${n}`).toBeLessThanOrEqual(1)
  })

  it('default profile: no re-announcement', () => {
    expect(run(undefined).get(1)?.length ?? 0).toBeLessThanOrEqual(1)
  })
})

function xorOf(a: Uint8Array, b: Uint8Array): Buffer {
  return Buffer.from(a.map((x, i) => x ^ b[i]!))
}
