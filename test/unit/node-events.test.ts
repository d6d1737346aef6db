// The event tail's bus: a bounded ring for late readers, topic filters, and a slow subscriber
// dropped (told why) instead of buffering without bound.
import { describe, expect, it } from 'vitest'
import { EventBus, parseTopics, type NodeEvent } from '../../src/node/events.js'

describe('EventBus', () => {
  it('keeps the last `capacity` events, oldest first, numbered without gaps', () => {
    const bus = new EventBus(4)
    for (let i = 0; i < 6; i++) bus.emit('lookup', { i })
    const r = bus.recent(10)
    expect(r.map((e) => e.i)).toEqual([2, 3, 4, 5])
    expect(r.map((e) => e.seq)).toEqual([3, 4, 5, 6])
    expect(bus.recent(2).map((e) => e.i)).toEqual([4, 5])
  })

  it('filters by topic, in the ring and live', () => {
    const bus = new EventBus(8)
    const got: NodeEvent[] = []
    bus.subscribe({ topics: new Set(['pq']), push: (e) => (got.push(e), true), dropped: () => undefined })
    bus.emit('lookup', {})
    bus.emit('pq', { event: 'pq_authenticated' })
    bus.emit('security', {})
    expect(got.map((e) => e.topic)).toEqual(['pq'])
    expect(bus.recent(10, new Set(['security', 'lookup'])).map((e) => e.topic)).toEqual(['lookup', 'security'])
  })

  it('drops a subscriber that cannot keep up, once, and counts it', () => {
    const bus = new EventBus(8)
    let drops = 0
    bus.onDrop = () => drops++
    const reasons: string[] = []
    let room = 2
    bus.subscribe({ topics: new Set(), push: () => room-- > 0, dropped: (r) => reasons.push(r) })
    const fast: NodeEvent[] = []
    bus.subscribe({ topics: new Set(), push: (e) => (fast.push(e), true), dropped: () => undefined })
    for (let i = 0; i < 5; i++) bus.emit('peer', { i })
    expect(reasons).toEqual(['slow reader: buffer full'])
    expect(drops).toBe(1)
    expect(bus.subscribers).toBe(1)
    expect(fast).toHaveLength(5)
  })

  it('names an unknown topic in one line', () => {
    expect([...parseTopics('pq, security')]).toEqual(['pq', 'security'])
    expect(parseTopics('').size).toBe(0)
    expect(() => parseTopics('pq,bogus')).toThrow(/unknown topic "bogus"/)
  })
})
