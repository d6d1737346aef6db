// The timer heap (each engine's timers and the simulator's event queue): order by (time, push
// order) across growth and shrinking, and arrays that give back what a burst grew them to.
import { describe, expect, it } from 'vitest'
import { TimerHeap } from '../../src/engine/timer-heap.js'
import { SeededRng } from '../../src/engine/rng.js'

describe('TimerHeap', () => {
  it('pops in (time, push order) through bursts that grow and shrink it', () => {
    const rng = new SeededRng('timer-heap')
    const heap = new TimerHeap<number>()
    const ref: { t: number; seq: number }[] = []
    let seq = 0
    const popped: number[] = []
    const expected: number[] = []
    const popSome = (keep: number): void => {
      ref.sort((a, b) => a.t - b.t || a.seq - b.seq)
      while (ref.length > keep) {
        expected.push(ref.shift()!.seq)
        popped.push(heap.popDuePayload(Infinity)!)
      }
    }
    for (let round = 0; round < 20; round++) {
      const burst = 1 + rng.int(300)
      for (let i = 0; i < burst; i++) {
        // Coarse times: many ties, which only the push order breaks.
        const t = rng.int(50)
        heap.push(t, seq)
        ref.push({ t, seq })
        seq++
      }
      popSome(rng.int(4))
      expect(heap.size).toBe(ref.length)
    }
    popSome(0)
    expect(popped).toEqual(expected)
    expect(heap.popDuePayload(Infinity)).toBeUndefined()
  })

  it('gives back what a burst grew it to once it holds a few timers again', () => {
    const heap = new TimerHeap<number>()
    for (let i = 0; i < 500; i++) heap.push(i, i)
    expect(heap.capacity).toBeGreaterThanOrEqual(500)
    for (let i = 0; i < 497; i++) heap.drop()
    expect(heap.size).toBe(3)
    expect(heap.capacity).toBe(16)
    expect([heap.popDuePayload(Infinity), heap.popDuePayload(Infinity), heap.popDuePayload(Infinity)]).toEqual([497, 498, 499])
  })

  it('does not shrink while it holds more than a quarter of its room', () => {
    const heap = new TimerHeap<number>()
    for (let i = 0; i < 100; i++) heap.push(i, i)
    for (let i = 0; i < 70; i++) heap.drop()
    expect(heap.capacity).toBe(100)
  })
})
