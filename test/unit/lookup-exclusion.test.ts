// A lookup's exclusion of a suspected cluster: only the keyspace of the dense window is excluded,
// so honest peers nearer to the key than a cluster placed a few spacings away stay in the result
// (they hold the key's records), and a cluster member heard of after the exclusion is never taken.
// With detection on, a key's records are stored on 2k peers instead of k, and a GET_PROVIDERS that
// finds nothing looks at 2k, then 4k peers.
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import { Lookup } from '../../src/engine/query/lookup.js'
import { distanceFractionFull } from '../../src/engine/query/density-evidence.js'
import { idAtDistance } from '../../src/sim/adversary/plan.js'
import type { Contact } from '../../src/engine/types.js'
import { Mesh } from '../helpers/mesh.js'

const N = 1000
const K = 20

function lookup(target: Uint8Array, op: 'GET_PROVIDERS' | 'FIND_NODE' = 'GET_PROVIDERS'): Lookup {
  return new Lookup(1, op, target, target, 1, 0, 'user', 'self', {
    k: K, alpha: 3, beta: 0, hedgeDelayMs: 1000, disjointPaths: 1, maxQueries: 160,
    maxCandidatesPerPath: 200, providersWanted: 1, quorum: 3, fullNeighbourhood: true,
  })
}

describe('lookup: exclusion of a suspected cluster', () => {
  it('excludes the window only: nearer peers stay in the result, later-heard cluster members are refused', () => {
    const rng = new SeededRng('exclusion')
    const key = rng.bytes(32)
    const at = (peer: string, spacings: number): Contact => ({ id: idAtDistance(key, spacings / N, rng.fork(peer)), peer, addrs: [], ipGroup: peer })
    // Two honest peers in front (0.3 and 0.7 spacings), a cluster of 30 from 1 to 4 spacings
    // (10x the honest density), honest peers beyond it from 5 spacings on.
    const near = [at('h-near-0', 0.3), at('h-near-1', 0.7)]
    const cluster = Array.from({ length: 30 }, (_, i) => at(`s${i}`, 1 + (3 * i) / 30))
    const far = Array.from({ length: 25 }, (_, i) => at(`h-far-${i}`, 5 + i))
    const l = lookup(key)
    const unheard = new Set(['s5', 's7'])
    l.seed([...near, ...cluster.slice(0, 20).filter((c) => !unheard.has(c.peer)), ...far])
    // Everyone the lookup knows answers (with no new contacts).
    for (let round = 0; round < 20; round++) for (const c of l.nextQueries(round)) l.answered(c, [], [])
    expect(l.result(1000).map((c) => c.contact.peer).filter((p) => p.startsWith('s'))).toHaveLength(18)
    // The check found the window s0..s19 (ranks after the two nearer peers).
    const lo = distanceFractionFull(near[1]!.id, key)
    const hi = distanceFractionFull(cluster[19]!.id, key) * (1 + 1e-9)
    expect(l.excludeRange(lo, hi)).toBe(18)
    expect(l.suspects).toBe(18)
    // Heard of after the exclusion: two cluster members inside the range (refused), two beyond
    // it (taken: the next check judges them) and an honest peer.
    const q = l.nextQueries(100)
    expect(q.length).toBeGreaterThan(0)
    expect(q.every((c) => c.contact.peer.startsWith('h-'))).toBe(true)
    l.answered(q[0]!, [cluster[5]!, cluster[7]!, cluster[20]!, cluster[21]!, at('h-late', 4.5)], [])
    for (let round = 0; round < 20; round++) for (const c of l.nextQueries(200 + round)) l.answered(c, [], [])
    const result = l.result(1000).map((c) => c.contact.peer)
    expect(result.slice(0, 4)).toEqual(['h-near-0', 'h-near-1', 's20', 's21'])
    expect(result).toContain('h-late')
    expect(result.filter((p) => /^s([0-9]|1[0-9])$/.test(p))).toEqual([])
  })

  it('a window from the key excludes everything up to its end, except a peer whose id is the target', () => {
    const rng = new SeededRng('exclusion-0')
    const key = rng.bytes(32)
    const at = (peer: string, spacings: number): Contact => ({ id: idAtDistance(key, spacings / N, rng.fork(peer)), peer, addrs: [], ipGroup: peer })
    const self: Contact = { id: new Uint8Array(key), peer: 'victim', addrs: [], ipGroup: 'v' }
    const cluster = Array.from({ length: 20 }, (_, i) => at(`s${i}`, 0.001 * (i + 1)))
    const far = Array.from({ length: 25 }, (_, i) => at(`h-far-${i}`, 1 + i))
    const l = lookup(key, 'FIND_NODE')
    l.seed([self, ...cluster, ...far])
    for (let round = 0; round < 20; round++) for (const c of l.nextQueries(round)) l.answered(c, [], [])
    expect(l.excludeRange(-1, 0.5 / N)).toBe(20)
    for (let round = 0; round < 20; round++) for (const c of l.nextQueries(100 + round)) l.answered(c, [], [])
    const result = l.result(1000).map((c) => c.contact.peer)
    expect(result[0]).toBe('victim')
    expect(result.slice(1)).toEqual(far.slice(0, K - 1).map((c) => c.peer))
  })
})

describe('lookup: the wider region of a key that Sybils may hold', () => {
  it('with detection on, a PROVIDE stores on 2k peers and a GET_PROVIDERS that finds nothing looks further; off, k', () => {
    const run = (detect: boolean) => {
      const mesh = new Mesh({
        n: 120,
        seed: 'wide',
        config: { policy: { sybilDetection: detect, sybilDensityFactor: 4, maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity, maxPer16PerBucket: Infinity, maxPer16PerTable: Infinity, perPeerRatePerS: Infinity, perPeerBurst: Infinity } },
      })
      mesh.startAll(20)
      mesh.runUntil(20_000)
      const key = new SeededRng('wide-key').bytes(32)
      mesh.lookup(5, 'PROVIDE', key, 1)
      mesh.runUntil(25_000)
      mesh.lookup(77, 'GET_PROVIDERS', new SeededRng('nobody-provides').bytes(32), 2)
      mesh.runUntil(30_000)
      mesh.lookup(78, 'GET_PROVIDERS', key, 3)
      mesh.runUntil(35_000)
      // Only this key is provided: a node holds a record of it when it holds any.
      const holders = mesh.nodes.filter((nd, i) => i !== 5 && nd.stats(mesh.nowMs).providerRecords > 0).length
      return { provide: mesh.result(1)!, miss: mesh.result(2)!, hit: mesh.result(3)!, holders }
    }
    const on = run(true)
    const off = run(false)
    expect(off.provide.closest).toHaveLength(K)
    // The caller is answered at the k nearest (provide-early-answer.test.ts); the store goes wider.
    expect(on.provide.closest).toHaveLength(K)
    expect(off.holders).toBe(K)
    expect(on.holders).toBeGreaterThan(K)
    expect(on.holders).toBeLessThanOrEqual(2 * K)
    expect(off.miss).toMatchObject({ success: false, error: 'not-found' })
    expect(on.miss).toMatchObject({ success: false, error: 'not-found' })
    expect(off.miss.closest).toHaveLength(K)
    // (at most 4k: the peers the answers name near an unprovided key in a 120-node mesh are few,
    // so the widened lookups hear from barely more than k here)
    expect(on.miss.closest.length).toBeGreaterThan(K)
    expect(on.miss.closest.length).toBeLessThanOrEqual(4 * K)
    // A GET that finds the record among the k nearest does not widen.
    expect(on.hit.success).toBe(true)
    expect(on.hit.closest.length).toBeLessThanOrEqual(K)
  })
})
