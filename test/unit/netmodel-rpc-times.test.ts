// Round trips of answered requests: split by first contact, nearest-rank quantiles, bounded, merged.
import { describe, expect, it } from 'vitest'
import { MAX_RPC_SAMPLES, RpcTimes } from '../../src/netmodel/rpc-times.js'

describe('RpcTimes', () => {
  it('splits first contacts from requests on an open connection', () => {
    const t = new RpcTimes()
    for (let i = 1; i <= 100; i++) t.add(i, false)
    t.add(500, true)
    t.add(300, true)
    const s = t.section()
    expect(s.open_connection).toEqual({ requests: 100, p50_ms: 50, p95_ms: 95, p99_ms: 99 })
    expect(s.first_contact).toEqual({ requests: 2, p50_ms: 300, p95_ms: 500, p99_ms: 500 })
    expect(s.all.requests).toBe(102)
    expect(s.all.p99_ms).toBe(300)
  })

  it('ignores figures that are not times, and is empty after a reset', () => {
    const t = new RpcTimes()
    t.add(Number.NaN, false)
    t.add(-1, true)
    t.add(Infinity, false)
    expect(t.section().all).toEqual({ requests: 0, p50_ms: null, p95_ms: null, p99_ms: null })
    t.add(5, false)
    t.reset()
    expect(t.section().all.requests).toBe(0)
  })

  it('merges a worker\'s samples as if they were added here', () => {
    const a = new RpcTimes()
    const b = new RpcTimes()
    a.add(10, true)
    a.add(20, false)
    b.merge(a.samples())
    expect(b.section()).toEqual(a.section())
  })

  it('counts past the sample bound without keeping more', () => {
    const t = new RpcTimes()
    for (let i = 0; i < MAX_RPC_SAMPLES + 10; i++) t.add(1, false)
    expect(t.section().open_connection.requests).toBe(MAX_RPC_SAMPLES + 10)
    expect(t.samples().open.length).toBe(MAX_RPC_SAMPLES)
  })
})
