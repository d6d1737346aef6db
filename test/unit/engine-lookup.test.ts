import { describe, expect, it } from 'vitest'
import { Mesh } from '../helpers/mesh.js'
import { compareDistance, toHex } from '../../src/engine/ids.js'
import { SeededRng } from '../../src/engine/rng.js'

function trueClosest(mesh: Mesh, target: Uint8Array, n: number, exclude = new Set<number>()): string[] {
  return mesh.contacts
    .filter((_, i) => !exclude.has(i))
    .map((c) => c)
    .sort((a, b) => compareDistance(a.id, b.id, target))
    .slice(0, n)
    .map((c) => c.peer)
}

describe('engine on an in-memory mesh', () => {
  it('joins, becomes ready and finds the true k closest on a static network', () => {
    const mesh = new Mesh({ n: 200, seed: 's1' })
    mesh.startAll(20)
    mesh.runUntil(30_000)
    const ready = mesh.nodes.filter((n) => n.readiness(mesh.nowMs).ready).length
    expect(ready).toBe(200)
    const rng = new SeededRng('targets')
    for (let t = 0; t < 20; t++) {
      const target = rng.bytes(32)
      mesh.lookup(1 + t, 'FIND_NODE', target, t)
    }
    mesh.runUntil(60_000)
    for (let t = 0; t < 20; t++) {
      const r = mesh.result(t)!
      expect(r.success).toBe(true)
      const want = trueClosest(mesh, r.target, 20, new Set([1 + t]))
      expect(r.closest.map((c) => c.peer)).toEqual(want)
      expect(r.hops).toBeGreaterThanOrEqual(1)
      expect(r.hops).toBeLessThanOrEqual(5)
      expect(r.messages).toBeGreaterThan(0)
    }
  })

  it('provides and finds providers', () => {
    const mesh = new Mesh({ n: 120, seed: 's2' })
    mesh.startAll(20)
    mesh.runUntil(20_000)
    const key = new SeededRng('k').bytes(32)
    mesh.lookup(5, 'PROVIDE', key, 1)
    mesh.runUntil(25_000)
    const p = mesh.result(1)!
    expect(p.success).toBe(true)
    expect(p.messages).toBeGreaterThan(20) // lookup + ADD_PROVIDER to k peers
    mesh.lookup(77, 'GET_PROVIDERS', key, 2)
    mesh.runUntil(30_000)
    const g = mesh.result(2)!
    expect(g.success).toBe(true)
    expect(g.providers.map((c) => c.peer)).toContain('p5')
    // a key nobody provided is not found, and the lookup still terminates
    mesh.lookup(77, 'GET_PROVIDERS', new SeededRng('other').bytes(32), 3)
    mesh.runUntil(35_000)
    expect(mesh.result(3)).toMatchObject({ success: false, error: 'not-found' })
  })

  it('routes around dead peers, evicts them, and converges back to the true closest', () => {
    const mesh = new Mesh({ n: 150, seed: 's3' })
    mesh.startAll(20)
    mesh.runUntil(20_000)
    for (let i = 100; i < 150; i++) mesh.dead.add(i)
    const rng = new SeededRng('t3')
    // first round right after the crash: lookups still terminate and hold the nearest live peer;
    // crashed peers that were among the k closest may still be in a result (silent, not yet
    // known dead), and every peer in it is one of the true close ones
    for (let t = 0; t < 40; t++) mesh.lookup(t, 'FIND_NODE', rng.bytes(32), t)
    mesh.runUntil(60_000)
    for (let t = 0; t < 40; t++) {
      const r = mesh.result(t)!
      expect(r.success).toBe(true)
      const live = trueClosest(mesh, r.target, 20, new Set([...mesh.dead, t]))
      const all = trueClosest(mesh, r.target, 40, new Set([t]))
      expect(r.closest.map((c) => c.peer)).toContain(live[0])
      for (const c of r.closest) expect(all).toContain(c.peer)
    }
    const sizes = mesh.nodes.slice(0, 100).map((n) => n.stats(mesh.nowMs).tableSize)
    expect(Math.max(...sizes)).toBeLessThan(100) // dead peers were evicted from tables
    // after the failures were noticed, lookups find the exact live k closest again
    for (let t = 100; t < 110; t++) mesh.lookup(t - 90, 'FIND_NODE', rng.bytes(32), t)
    mesh.runUntil(90_000)
    let overlap = 0
    for (let t = 100; t < 110; t++) {
      const r = mesh.result(t)!
      const want = trueClosest(mesh, r.target, 20, new Set([...mesh.dead, t - 90]))
      // a crashed peer that others still list may be in a result until someone finds it silent
      const live = r.closest.filter((c) => !mesh.dead.has(Number(c.peer.slice(1))))
      expect(live[0]!.peer).toBe(want[0])
      overlap += live.filter((c) => want.includes(c.peer)).length / live.length
    }
    expect(overlap / 10).toBeGreaterThanOrEqual(0.9)
  })

  it('does not wait on far peers among the k closest: they are in the result, and get PROVIDE records when they answer', () => {
    const key = new SeededRng('far-key').bytes(32)
    const issuer = 7
    const ids = new Mesh({ n: 150, seed: 's-far' })
    const far = new Set(trueClosest(ids, key, 6, new Set([issuer])).map((p) => Number(p.slice(1))))
    const stored: number[] = []
    const mesh = new Mesh({
      n: 150, seed: 's-far', far, farExtraMs: 300,
      onDeliver: (to, from, msg) => {
        if (from.peer === `p${issuer}` && msg.kind === 'request' && msg.type === 'ADD_PROVIDER') stored.push(to)
      },
    })
    mesh.startAll(20)
    mesh.runUntil(30_000)
    const nearest = trueClosest(mesh, key, 20, new Set([issuer]))
    mesh.lookup(issuer, 'FIND_NODE', key, 1)
    mesh.runUntil(35_000)
    const r = mesh.result(1)!
    expect(r.success).toBe(true)
    expect(r.endMs - r.startMs).toBeLessThan(620) // one round trip to a far peer is 620 ms
    expect(r.closest[0]!.peer).toBe(nearest[0]) // the nearest is far, and still in the result
    expect(r.closest.filter((c) => far.has(Number(c.peer.slice(1)))).length).toBe(far.size)
    mesh.lookup(issuer, 'PROVIDE', key, 2)
    mesh.runUntil(38_000)
    const p = mesh.result(2)!
    expect(p.endMs - p.startMs).toBeLessThan(620)
    // every one of the k closest got the record: the near ones at once, the far ones on their late answers
    expect([...new Set(stored)].sort((a, b) => a - b)).toEqual(nearest.map((x) => Number(x.slice(1))).sort((a, b) => a - b))
  })

  it('sheds lookups beyond the queue bound with reason busy', () => {
    const mesh = new Mesh({ n: 30, seed: 's4', config: { maxInflightLookups: 2, maxQueuedLookups: 3 } })
    mesh.startAll(10)
    mesh.runUntil(10_000)
    const rng = new SeededRng('t4')
    for (let t = 0; t < 10; t++) mesh.lookup(3, 'FIND_NODE', rng.bytes(32), t)
    mesh.runUntil(20_000)
    const rs = mesh.results()
    expect(rs).toHaveLength(10)
    expect(rs.filter((r) => r.error === 'busy')).toHaveLength(5)
    expect(rs.filter((r) => r.success)).toHaveLength(5)
    expect(mesh.nodes[3]!.stats(mesh.nowMs).rejected['busy']).toBe(5)
  })

  it('is deterministic: same seed, same events', () => {
    const run = () => {
      const mesh = new Mesh({ n: 60, seed: 'det' })
      mesh.startAll(15)
      const rng = new SeededRng('td')
      for (let t = 0; t < 10; t++) mesh.lookup(t + 1, 'FIND_NODE', rng.bytes(32), t)
      mesh.runUntil(15_000)
      return mesh.results().map((r) => `${r.tag}:${r.hops}:${r.messages}:${r.endMs}:${r.closest.map((c) => c.peer).join(',')}`).join('|') + toHex(mesh.contacts[0]!.id)
    }
    expect(run()).toBe(run())
  })
})

describe('Sybil-density detection', () => {
  it('detects a cluster packed around a key, looks beyond it, and still finds the honest provider', () => {
    // 160 honest peers plus 20 "Sybils" whose ids share 40 bits with the key. The Sybils run the
    // honest engine here (so they answer), but refuse nothing: detection alone must route around
    // them, i.e. PROVIDE and GET_PROVIDERS both go to the peers beyond the packed cluster.
    const key = new SeededRng('eclipse-key').bytes(32)
    const n = 180
    const sybil = (i: number) => i >= 160
    const mk = (detect: boolean) =>
      new Mesh({
        n,
        seed: 'sybil',
        config: { policy: { sybilDetection: detect, sybilDensityFactor: 4, maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity, maxPer16PerBucket: Infinity, maxPer16PerTable: Infinity, perPeerRatePerS: Infinity, perPeerBurst: Infinity } },
        contact: (i, id) => {
          if (sybil(i)) {
            id.set(key.subarray(0, 5))
          }
          return { id, peer: `p${i}`, addrs: [], ipGroup: `10.${i}.0` }
        },
      })
    const run = (detect: boolean) => {
      const mesh = mk(detect)
      mesh.startAll(20)
      mesh.runUntil(20_000)
      // warm the size estimators with ordinary lookups
      const rng = new SeededRng('warm')
      for (let t = 0; t < 60; t++) mesh.lookup(t % 150, 'FIND_NODE', rng.bytes(32), 1000 + t)
      mesh.runUntil(40_000)
      mesh.lookup(3, 'PROVIDE', key, 1)
      mesh.runUntil(45_000)
      // the Sybils "lose" every record (drop their stores by killing them) — an eclipse
      for (let i = 160; i < n; i++) mesh.dead.add(i)
      mesh.lookup(99, 'GET_PROVIDERS', key, 2)
      mesh.runUntil(60_000)
      const suspected = mesh.events.filter((e) => e.ev.kind === 'sybil-suspected').length
      return { found: mesh.result(2)!.providers.some((p) => p.peer === 'p3'), suspected }
    }
    const on = run(true)
    expect(on.suspected).toBeGreaterThan(0)
    expect(on.found).toBe(true)
    const off = run(false)
    expect(off.suspected).toBe(0)
    expect(off.found).toBe(false) // without the defence, the records sat only on the cluster
  })
})
