// The penalty box's arithmetic: who goes in, when they come out, and that its tables stay bounded.
import { describe, expect, it } from 'vitest'
import { MAX_TRACKED, PENALTY_WINDOW_MS, PenaltyBox } from '../../src/node/host/penalty-box.js'

describe('PenaltyBox', () => {
  it('boxes a peer on the refusal that reaches the threshold within one window, for the penalty', () => {
    const box = new PenaltyBox(5, 60_000)
    for (let i = 0; i < 4; i++) expect(box.strike('a', 100 + i)).toBe(false)
    expect(box.penalized('a', 200)).toBe(false)
    expect(box.strike('a', 200)).toBe(true)
    expect(box.penalized('a', 200)).toBe(true)
    expect(box.penalized('b', 200)).toBe(false)
    expect(box.penalized('a', 200 + 59_999)).toBe(true)
    expect(box.penalized('a', 200 + 60_000)).toBe(false)
    expect(box.boxed).toBe(0)
  })

  it('starts counting afresh in each window: a peer refused now and then is never boxed', () => {
    const box = new PenaltyBox(5, 60_000)
    // Four refusals in every window, for an hour.
    for (let w = 0; w < 360; w++) for (let i = 0; i < 4; i++) expect(box.strike('a', w * PENALTY_WINDOW_MS + i)).toBe(false)
    expect(box.penalized('a', 360 * PENALTY_WINDOW_MS)).toBe(false)
  })

  it('is off with a threshold of 0, and takes new thresholds without releasing anyone', () => {
    const off = new PenaltyBox(0, 60_000)
    for (let i = 0; i < 10_000; i++) expect(off.strike('a', i)).toBe(false)
    const box = new PenaltyBox(2, 1_000)
    box.strike('a', 0)
    expect(box.strike('a', 1)).toBe(true)
    box.configure(0, 5_000)
    expect(box.penalized('a', 500)).toBe(true)
    expect(box.strike('b', 2)).toBe(false)
    expect(box.strike('b', 3)).toBe(false)
    box.configure(2, 5_000)
    box.strike('c', 10)
    expect(box.strike('c', 11)).toBe(true)
    expect(box.penalized('c', 11 + 4_999)).toBe(true)
  })

  it('keeps at most MAX_TRACKED peers in each table, forgetting the oldest', () => {
    const n = MAX_TRACKED + 500
    const counting = new PenaltyBox(3, 60_000)
    for (let i = 0; i < n; i++) counting.strike(`p${i}`, 0)
    expect(counting.tracked).toBe(MAX_TRACKED)
    const box = new PenaltyBox(1, 10 * 60_000)
    for (let i = 0; i < n; i++) expect(box.strike(`p${i}`, i)).toBe(true)
    expect(box.boxed).toBe(MAX_TRACKED)
    expect(box.penalized(`p${n - 1}`, n)).toBe(true)
    expect(box.penalized('p0', n)).toBe(false)
  })
})
