// A request refused by the per-peer budget costs the node no read of its body: the stream is
// reset once the dialer has named the protocol, before the echo, so the frame that came with
// it is never decoded. Shown with a frame the node would count as malformed had it read it:
// sent within budget it is counted (the control), sent over budget it is not, and the refusal is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Stream, StreamMuxer } from '@libp2p/interface'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { startBed, type Bed } from '../helpers/armor-bed.js'
import { eventually, metricValue } from './helpers.js'

function mssLine(s: string): Uint8Array {
  const b = new TextEncoder().encode(`${s}\n`)
  return Uint8Array.from([b.length, ...b])
}

/** The protocol lines and a length-prefixed body that is no kad message, in one write. */
const OPTIMISTIC = Uint8Array.from([...mssLine('/multistream/1.0.0'), ...mssLine(KAD_PROTOCOL), 4, 0xff, 0xff, 0xff, 0xff])

/**
 * Opens a stream on the muxer itself (no negotiation round trip: the request rides with the
 * protocol lines, as an optimistic dialer sends it) and resolves when the node has ended it.
 */
async function sendOptimistic(conn: Connection): Promise<void> {
  const muxer = (conn as unknown as { muxer?: StreamMuxer }).muxer
  if (muxer === undefined) throw new Error('no muxer on the connection')
  const s: Stream = await muxer.createStream()
  const closed = new Promise<void>((resolve) => s.addEventListener('close', () => resolve(), { once: true }))
  s.send(OPTIMISTIC)
  await closed
}

describe('a refused request', () => {
  let bed: Bed

  beforeAll(async () => {
    // One request's worth of budget, hardly refilled; no penalty box, so the connection stays.
    bed = await startBed({ budgeted: true, limits: { requestsPerPeerPerS: 0.001, requestBurstPerPeer: 1, penaltyRefusals: 0 } })
  })

  afterAll(async () => {
    await bed.stop()
  })

  it('is reset before its body is read', async () => {
    const node = bed.node
    const conn = await bed.clients[0]!.dial(multiaddr(bed.addr))
    // Within budget: the body is read, and refused as malformed.
    await sendOptimistic(conn)
    await eventually('the control frame is read and counted malformed', async () => ((await metricValue(node, 'rejected_total{reason="malformed"}')) === 1 ? true : undefined))
    expect(await metricValue(node, 'rejected_total{reason="rate-limited"}')).toBe(0)
    // Over budget: the same bytes, reset unread.
    for (let i = 0; i < 3; i++) await sendOptimistic(conn)
    await eventually('three refusals counted', async () => ((await metricValue(node, 'rejected_total{reason="rate-limited"}')) === 3 ? true : undefined))
    expect(await metricValue(node, 'rejected_total{reason="malformed"}')).toBe(1)
    expect(node.host.buffers.bytes).toBe(0)
    expect(conn.status).toBe('open')
  })
})
