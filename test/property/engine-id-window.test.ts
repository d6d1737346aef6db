// IdWindow (the engine's pending RPCs and running lookups) behaves as a Map for ids issued in
// increasing order: the same answers on arbitrary sequences of sets, deletes and lookups.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { IdWindow } from '../../src/engine/id-window.js'

type Op = { kind: 'set'; gap: number } | { kind: 'delete'; back: number } | { kind: 'probe'; id: number } | { kind: 'clear' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), gap: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('delete' as const), back: fc.nat(60) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('probe' as const), id: fc.oneof(fc.integer({ min: -5, max: 3000 }), fc.double(), fc.constant(2 ** 40)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
)

describe('IdWindow', () => {
  it('answers like a Map for increasing ids, whatever the window grows to', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 1, max: 64 }), (ops, capacity) => {
        const w = new IdWindow<string>(capacity)
        const m = new Map<number, string>()
        let next = 1
        for (const o of ops) {
          if (o.kind === 'set') {
            next += o.gap - 1
            w.set(next, `v${next}`)
            m.set(next, `v${next}`)
            next++
          } else if (o.kind === 'delete') {
            const id = next - 1 - o.back
            expect(w.delete(id)).toBe(m.delete(id))
          } else if (o.kind === 'probe') {
            expect(w.get(o.id)).toBe(m.get(o.id))
            expect(w.has(o.id)).toBe(m.has(o.id))
          } else {
            w.clear()
            m.clear()
          }
          expect(w.size).toBe(m.size)
        }
        expect(w.values()).toEqual([...m.values()])
        for (const id of m.keys()) expect(w.get(id)).toBe(m.get(id))
      }),
    )
  })

  it('refuses an id that is not above the last one set', () => {
    const w = new IdWindow<number>()
    w.set(5, 5)
    w.delete(5)
    expect(() => w.set(5, 5)).toThrow(/not above/)
    expect(() => w.set(6.5, 6)).toThrow(/not above/)
  })

  it('keeps a long-lived entry while thousands of later ones come and go', () => {
    const w = new IdWindow<number>(4)
    w.set(1, 1)
    for (let id = 2; id < 5000; id++) {
      w.set(id, id)
      w.delete(id)
    }
    expect(w.get(1)).toBe(1)
    expect(w.size).toBe(1)
    expect(w.delete(1)).toBe(true)
    w.set(5000, 5000)
    expect(w.values()).toEqual([5000])
  })

  it('goes back to its first size once empty, and grows again as needed', () => {
    const w = new IdWindow<number>(16)
    for (let id = 1; id <= 300; id++) w.set(id, id)
    expect(w.capacity).toBeGreaterThanOrEqual(300)
    for (let id = 1; id < 300; id++) w.delete(id)
    // One entry left: the ring keeps its size (it slides; it is not copied).
    expect(w.capacity).toBeGreaterThanOrEqual(300)
    w.delete(300)
    expect(w.capacity).toBe(16)
    for (let id = 301; id <= 340; id++) w.set(id, id)
    expect(w.capacity).toBe(64)
    expect(w.values()).toEqual(Array.from({ length: 40 }, (_, i) => 301 + i))
    expect(w.get(300)).toBeUndefined()
  })
})
