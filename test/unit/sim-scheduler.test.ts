import { describe, expect, it } from 'vitest'
import { Scheduler } from '../../src/sim/scheduler.js'
import { InvariantError } from '../../src/engine/errors.js'
import { SeededRng } from '../../src/engine/rng.js'

function drain(s: Scheduler): [number, number][] {
  const out: [number, number][] = []
  while (s.pop()) out.push([s.nowMs, s.curNode])
  return out
}

describe('Scheduler', () => {
  it('pops events in time order and advances the clock', () => {
    const s = new Scheduler()
    s.push(30, 1, 3, 0)
    s.push(10, 1, 1, 0)
    s.push(20, 1, 2, 0)
    expect(drain(s)).toEqual([
      [10, 1],
      [20, 2],
      [30, 3],
    ])
    expect(s.nowMs).toBe(30)
  })

  it('breaks ties by scheduling order (sequence), also across heap growth', () => {
    const s = new Scheduler()
    // 5,000 events at 4 distinct times: more than the initial capacity, so the heap grows.
    for (let i = 0; i < 5000; i++) s.push((i * 7919) % 4, 1, i, 0)
    const out = drain(s)
    for (let i = 1; i < out.length; i++) {
      const [t0, n0] = out[i - 1]!
      const [t1, n1] = out[i]!
      expect(t1 > t0 || (t1 === t0 && n1 > n0)).toBe(true)
    }
    expect(out).toHaveLength(5000)
  })

  it('orders random pushes interleaved with pops like a sorted reference', () => {
    const rng = new SeededRng('sched')
    const s = new Scheduler()
    const ref: { t: number; seq: number; node: number }[] = []
    let seq = 0
    const popped: number[] = []
    const expected: number[] = []
    for (let round = 0; round < 2000; round++) {
      const n = rng.int(4)
      for (let j = 0; j < n; j++) {
        const t = s.nowMs + rng.int(50)
        s.push(t, 2, seq, 7)
        ref.push({ t, seq, node: seq })
        seq++
      }
      if (rng.next() < 0.6 && ref.length > 0) {
        ref.sort((a, b) => a.t - b.t || a.seq - b.seq)
        expected.push(ref.shift()!.node)
        s.pop()
        popped.push(s.curNode)
        expect(s.curKind).toBe(2)
        expect(s.curAux).toBe(7)
      }
    }
    expect(popped).toEqual(expected)
  })

  it('carries kind, aux and payload by reference', () => {
    const s = new Scheduler()
    const payload = { hello: 1 }
    s.push(5, 9, 4, -3, payload)
    expect(s.pop()).toBe(true)
    expect([s.curKind, s.curNode, s.curAux]).toEqual([9, 4, -3])
    expect(s.curPayload).toBe(payload)
    expect(s.pop()).toBe(false)
  })

  it('refuses events in the past or at Infinity', () => {
    const s = new Scheduler()
    s.push(100, 1, 0, 0)
    s.pop()
    expect(() => s.push(99, 1, 0, 0)).toThrow(InvariantError)
    expect(() => s.push(Infinity, 1, 0, 0)).toThrow(InvariantError)
    expect(() => s.push(NaN, 1, 0, 0)).toThrow(InvariantError)
    s.push(100, 1, 0, 0) // now is allowed
    expect(s.peekTimeMs()).toBe(100)
  })

  it('enforces its limits', () => {
    const s = new Scheduler({ maxEvents: 3, maxPending: 4 })
    for (let i = 0; i < 4; i++) s.push(i, 1, i, 0)
    expect(() => s.push(9, 1, 0, 0)).toThrow(/limit of 4 pending/)
    s.pop()
    s.pop()
    s.pop()
    expect(() => s.pop()).toThrow(/more than 3 events/)
  })
})
