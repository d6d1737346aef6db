// The request budget asked when a stream is opened, on 127.0.0.1 with no allow list: a peer over
// its budget has its stream reset at the SYN, before the node's muxer allocates a stream for it
// (a refusal costs a RST, not a stream, a listener and a negotiation); a stream that turns out to
// be another protocol (identify) gives its token back; and one source address is held to its
// own budget however many peer ids it uses.
import { afterEach, describe, expect, it } from 'vitest'
import type { Connection, StreamMuxer } from '@libp2p/interface'
import type { NodeLimits } from '../../src/node/host/limits.js'
import { dialIdentified, kadRequest as ping, startBed, type Bed } from '../helpers/armor-bed.js'
import { eventually, metricValue } from './helpers.js'

async function pings(conn: Connection, n: number): Promise<number> {
  let answered = 0
  for (let i = 0; i < n; i++) if (await ping(conn)) answered++
  return answered
}

/** A budget that does not refill within a test: what the bucket holds is all a peer gets. */
function budget(over: Partial<NodeLimits>): Partial<NodeLimits> {
  return { requestsPerPeerPerS: 0.001, requestsPerIpPerS: 0.001, ...over }
}

describe('the request budget at the stream opening', () => {
  let bed: Bed | undefined

  afterEach(async () => {
    await bed?.stop()
    bed = undefined
  })

  it('refuses a peer over its budget before its stream exists, and its identify cost it nothing', async () => {
    bed = await startBed({ budgeted: true, limits: budget({ requestBurstPerPeer: 3, requestBurstPerIp: 100 }) })
    const { node } = bed
    const client = bed.clients[0]!
    const conn = await dialIdentified(client, bed.addr)
    // The node's side of the connection: count the streams its muxer hands to libp2p.
    const nodeSide = await eventually('the node sees the connection', () => node.stack.getConnections(client.peerId)[0])
    const muxer = (nodeSide as unknown as { muxer: StreamMuxer }).muxer
    let allocated = 0
    muxer.addEventListener('stream', () => allocated++)

    const answered = await pings(conn, 8)
    // The identify stream was charged when it opened and given back once it named its protocol.
    expect(answered).toBe(3)
    expect(allocated).toBe(3)
    expect(await metricValue(node, 'rejected_total{reason="rate-limited"}')).toBe(5)
    expect(conn.status).toBe('open')
  })

  it('holds one address to its own budget whatever peer ids it dials from', async () => {
    bed = await startBed({ budgeted: true, clients: 2, limits: budget({ requestBurstPerPeer: 4, requestBurstPerIp: 6 }) })
    const [a, b] = bed.clients
    const ca = await dialIdentified(a!, bed.addr)
    const cb = await dialIdentified(b!, bed.addr)
    expect(await pings(ca, 6)).toBe(4)
    // The second identity from the same address gets what the address has left, not a fresh 4.
    expect(await pings(cb, 6)).toBe(2)
    expect(await metricValue(bed.node, 'rejected_total{reason="rate-limited"}')).toBe(2)
    expect(await metricValue(bed.node, 'rejected_total{reason="ip-rate-limited"}')).toBe(4)
  })
})
