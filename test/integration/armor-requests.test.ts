// One peer flooding requests, on 127.0.0.1: past its budget its streams are reset before the
// request is read (counted in rejected_total{reason="rate-limited"}), and another peer is still
// answered. The node has no allow list here, so the budget applies to loopback peers too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { kadRequest, metricMatch, startBed, type Bed } from '../helpers/armor-bed.js'

describe('a per-peer request budget', () => {
  let bed: Bed

  beforeAll(async () => {
    bed = await startBed({ budgeted: true, clients: 2, limits: { requestsPerPeerPerS: 2, requestBurstPerPeer: 5 } })
  })

  afterAll(async () => {
    await bed.stop()
  })

  it('refuses a flooding peer past its budget, and still answers another peer', async () => {
    const [flooder, honest] = bed.clients
    const conn = await flooder!.dial(multiaddr(bed.addr))
    const t0 = performance.now()
    // Eight at a time (yamux refuses a burst of more than ten unacknowledged streams).
    const results: boolean[] = []
    for (let i = 0; i < 5; i++) results.push(...(await Promise.all(Array.from({ length: 8 }, () => kadRequest(conn)))))
    const elapsedS = (performance.now() - t0) / 1000
    const answered = results.filter(Boolean).length
    // The bucket holds 5 and refills 2 a second.
    expect(answered).toBeGreaterThan(0)
    expect(answered).toBeLessThanOrEqual(5 + Math.ceil(2 * elapsedS))
    expect(await metricMatch(bed.node, /rejected_total\{reason="rate-limited"\} (\d+)/)).toBe(40 - answered)
    const hc = await honest!.dial(multiaddr(bed.addr))
    expect(await kadRequest(hc)).toBe(true)
  })
})
