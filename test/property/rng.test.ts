// The simulator's randomness is seedrandom's alea: SeededRng seeds it with the library and steps
// the recurrence itself (src/engine/rng.ts). Every report depends on the two giving the same
// numbers, so they are compared here draw by draw, on arbitrary seeds and on the labels forks make.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import seedrandom from 'seedrandom'
import { SeededRng } from '../../src/engine/rng.js'

/** The first n draws of the library's own alea for this seed. */
function libraryDraws(seed: string, n: number): number[] {
  const prng = seedrandom.alea(seed)
  return Array.from({ length: n }, () => prng())
}

describe('SeededRng against seedrandom.alea', () => {
  it('gives the library sequence, draw for draw, for arbitrary seeds', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 300 }), (seed, n) => {
        const rng = new SeededRng(seed)
        const ours = Array.from({ length: n }, () => rng.next())
        expect(ours).toEqual(libraryDraws(seed, n))
      }),
    )
  })

  it('forks into the stream the library gives the forked label, and int() and bytes() read that stream', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 9 }), (seed, peer, gen) => {
        const fork = new SeededRng(seed).fork(`engine/${peer}/${gen}`)
        expect(fork.seed).toBe(`${seed}/engine/${peer}/${gen}`)
        const lib = libraryDraws(fork.seed, 40)
        const ints = Array.from({ length: 8 }, () => fork.int(1000))
        expect(ints).toEqual(lib.slice(0, 8).map((u) => Math.floor(u * 1000)))
        expect(Array.from(fork.bytes(32))).toEqual(lib.slice(8, 40).map((u) => Math.floor(u * 256)))
      }),
    )
  })

  it('draws in [0, 1) over a long stream', () => {
    const rng = new SeededRng('long')
    let min = 1
    let max = 0
    for (let i = 0; i < 1_000_000; i++) {
      const u = rng.next()
      if (u < min) min = u
      if (u > max) max = u
    }
    expect(min).toBeGreaterThanOrEqual(0)
    expect(max).toBeLessThan(1)
    // A million draws reach within a thousandth of both ends.
    expect(min).toBeLessThan(0.001)
    expect(max).toBeGreaterThan(0.999)
  })
})
