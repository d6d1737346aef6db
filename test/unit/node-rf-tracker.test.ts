// The record-copy tracker behind ron_dht_missing_records and ron_dht_records_below_rf_target:
// the latest measurement of a key replaces the one before, and the oldest key goes past the bound.
import { describe, expect, it } from 'vitest'
import { RfTracker } from '../../src/node/repair/rf-tracker.js'

describe('RfTracker', () => {
  it('sums missing copies over the last measurement of each key', () => {
    const t = new RfTracker()
    t.note('a', 1, 3)
    t.note('b', 5, 3) // above the target: nothing missing
    expect([t.missing, t.belowTarget]).toEqual([2, 1])
    t.note('c', 0, 2)
    expect([t.missing, t.belowTarget]).toEqual([4, 2])
    t.note('a', 3, 3) // repaired: replaces the earlier look
    expect([t.missing, t.belowTarget, t.size]).toEqual([2, 1, 3])
  })

  it('forgets the oldest key past its bound', () => {
    const t = new RfTracker(2)
    t.note('a', 0, 3)
    t.note('b', 1, 3)
    t.note('c', 3, 3)
    expect([t.missing, t.belowTarget, t.size]).toEqual([2, 1, 2])
  })
})
