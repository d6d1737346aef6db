// The penalty box on 127.0.0.1: a peer that keeps flooding past its request budget has its
// connection closed and cannot connect again until its penalty ends, while another peer is
// served throughout. The node has no allow list here, so its budgets apply to loopback peers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from '@libp2p/interface'
import { dialAndPing, kadRequest as ping, startBed, type Bed } from '../helpers/armor-bed.js'
import { eventually, metricValue } from './helpers.js'

const REFUSALS = 20
const PENALTY_MS = 4_000

describe('the penalty box', () => {
  let bed: Bed
  let node: Bed['node']
  let flooder: Libp2p
  let honest: Libp2p
  let addr: string

  beforeAll(async () => {
    bed = await startBed({
      budgeted: true,
      clients: 2,
      limits: { requestsPerPeerPerS: 2, requestBurstPerPeer: 5, penaltyRefusals: REFUSALS, penaltyMs: PENALTY_MS },
    })
    node = bed.node
    addr = bed.addr
    flooder = bed.clients[0]!
    honest = bed.clients[1]!
  })

  afterAll(async () => {
    await bed.stop()
  })

  it('cuts off a peer that keeps flooding, serves another, and lets the first back after its penalty', async () => {
    expect(await metricValue(node, 'ron_dht_limit{name="penalty_refusals"}')).toBe(REFUSALS)
    expect(await metricValue(node, 'ron_dht_limit{name="penalty_ms"}')).toBe(PENALTY_MS)
    const hc = await honest.dial(multiaddr(addr))
    const conn = await flooder.dial(multiaddr(addr))
    const penalizedAt = performance.now()
    // Eight at a time (yamux refuses a burst of more than ten unacknowledged streams), until the
    // node closes the connection.
    let sent = 0
    while (conn.status === 'open' && sent < 200) {
      await Promise.all(Array.from({ length: 8 }, () => ping(conn)))
      sent += 8
    }
    expect(conn.status).not.toBe('open')
    // Refused exactly up to the threshold: the refusal that reached it closed the connection.
    expect(await metricValue(node, 'rejected_total{reason="rate-limited"}')).toBe(REFUSALS)
    await eventually('the node holds no connection of the flooder', () => (node.stack.getConnections(flooder.peerId).length === 0 ? true : undefined))
    const events = node.events.recent(50, new Set(['security']))
    expect(events.map((e) => [e.event, e.peer_id, e.refusals, e.penalty_ms])).toContainEqual(['peer_penalized', flooder.peerId.toString(), REFUSALS, PENALTY_MS])

    // While penalized: a fresh connection is refused at the gater; the honest peer is served.
    expect(await dialAndPing(flooder, addr)).toBe(false)
    expect(await metricValue(node, 'rejected_total{reason="penalized"}')).toBeGreaterThanOrEqual(1)
    expect(await ping(hc)).toBe(true)
    expect(await metricValue(node, 'rejected_total{reason="rate-limited"}')).toBe(REFUSALS)

    // After the penalty the flooder is a peer like any other again (its bucket refilled meanwhile).
    const left = PENALTY_MS - (performance.now() - penalizedAt)
    if (left > 0) await new Promise((r) => setTimeout(r, left + 200))
    expect(await eventually('the flooder is served again after its penalty', async () => ((await dialAndPing(flooder, addr)) ? true : undefined), 10_000)).toBe(true)
  })

  it('takes new thresholds at run time (a reload), shown in ron_dht_limit', async () => {
    node.setPenalty(0, 120_000)
    expect(await metricValue(node, 'ron_dht_limit{name="penalty_refusals"}')).toBe(0)
    expect(await metricValue(node, 'ron_dht_limit{name="penalty_ms"}')).toBe(120_000)
    expect([node.host.penalty.threshold, node.host.penalty.durationMs]).toEqual([0, 120_000])
  })
})
