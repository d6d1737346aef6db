// Lookups always terminate, and on a static network they return exactly the k closest peers.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Mesh } from '../helpers/mesh.js'
import { compareDistance } from '../../src/engine/ids.js'
import { SeededRng } from '../../src/engine/rng.js'

describe('lookup properties', () => {
  it('terminates and finds the true k closest on a static network, whatever the seed, size, alpha and paths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 25, max: 90 }),
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        (n, seed, alpha, paths) => {
          const k = 8
          const mesh = new Mesh({ n, seed, config: { k, alpha, disjointPaths: paths, warmTableSize: 2 } })
          mesh.startAll(10)
          mesh.runUntil(n * 10 + 20_000)
          const rng = new SeededRng(seed + '/targets')
          const origin = 1 + rng.int(n - 1)
          const target = rng.bytes(32)
          mesh.lookup(origin, 'FIND_NODE', target, 1)
          mesh.runUntil(mesh.nowMs + 60_000)
          const r = mesh.result(1)
          expect(r).toBeDefined() // terminated
          const want = mesh.contacts
            .filter((_, i) => i !== origin)
            .sort((a, b) => compareDistance(a.id, b.id, target))
            .slice(0, k)
            .map((c) => c.peer)
          expect(r!.closest.map((c) => c.peer)).toEqual(want)
        },
      ),
      { numRuns: 25 },
    )
  })

  it('terminates when every peer but the origin is dead', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 40 }), fc.string({ maxLength: 6 }), (n, seed) => {
        const mesh = new Mesh({ n, seed })
        mesh.startAll(10)
        mesh.runUntil(20_000)
        for (let i = 1; i < n; i++) mesh.dead.add(i)
        mesh.lookup(0, 'FIND_NODE', new SeededRng(seed).bytes(32), 9)
        mesh.runUntil(mesh.nowMs + 120_000)
        const r = mesh.result(9)
        expect(r).toBeDefined()
        expect(r!.success).toBe(false)
        expect(r!.closest).toHaveLength(0)
      }),
      { numRuns: 20 },
    )
  })
})
