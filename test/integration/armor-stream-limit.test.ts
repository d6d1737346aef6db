// A peer that keeps opening streams past its per-connection limit, on 127.0.0.1 with no allow
// list: each stream over the limit is reset at its SYN and counted, and, like requests over the
// budget, the refusals are struck against the peer, so that a peer flooding with stream opens
// ends up in the penalty box (its connection closed, its new ones refused) while its request
// budget was never touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stream, StreamMuxer } from '@libp2p/interface'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { dialAndPing, dialIdentified, startBed, type Bed } from '../helpers/armor-bed.js'
import { eventually, metricValue } from './helpers.js'

const LIMIT = 4
const REFUSALS = 10

function mssLine(s: string): Uint8Array {
  const b = new TextEncoder().encode(`${s}\n`)
  return Uint8Array.from([b.length, ...b])
}
/** The protocol lines and nothing after: the node echoes them and waits for a request. */
const MSS = Uint8Array.from([...mssLine('/multistream/1.0.0'), ...mssLine(KAD_PROTOCOL)])

/** Opens a stream on the muxer itself and names the protocol (no request follows). */
async function openHeld(muxer: StreamMuxer): Promise<Stream> {
  const s = await muxer.createStream()
  s.send(MSS)
  return s
}

describe('streams past the per-connection limit', () => {
  let bed: Bed

  beforeAll(async () => {
    // A request budget far above what the test uses: only the stream limit refuses.
    bed = await startBed({ budgeted: true, clients: 2, limits: { streamsPerConnection: LIMIT, penaltyRefusals: REFUSALS, penaltyMs: 60_000 } })
  })

  afterAll(async () => {
    await bed.stop()
  })

  it('are reset, counted and struck: the peer that keeps opening them is penalized', async () => {
    const [flooder, other] = bed.clients
    const conn = await dialIdentified(flooder!, bed.addr)
    const muxer = (conn as unknown as { muxer: StreamMuxer }).muxer
    // The limit's worth of streams, held open by the node waiting for their requests.
    const held: Stream[] = []
    for (let i = 0; i < LIMIT; i++) held.push(await openHeld(muxer))
    // Then one more at a time, each waited for until the node resets it, until the node cuts the
    // peer off (or far past the threshold, if it never does).
    let refused = 0
    while (conn.status === 'open' && refused < 4 * REFUSALS) {
      const s = await openHeld(muxer)
      await new Promise<void>((resolve) => s.addEventListener('close', () => resolve(), { once: true }))
      refused++
    }
    await eventually('the node holds no connection of the flooder', () => (bed.node.stack.getConnections(flooder!.peerId).length === 0 ? true : undefined))
    expect(await metricValue(bed.node, 'rejected_total{reason="streams-per-connection"}')).toBe(REFUSALS)
    expect(await metricValue(bed.node, 'rejected_total{reason="rate-limited"}')).toBe(0)
    const events = bed.node.events.recent(50, new Set(['security']))
    expect(events.map((e) => [e.event, e.peer_id])).toContainEqual(['peer_penalized', flooder!.peerId.toString()])
    // Its new connection is refused at the gater; another peer on the same address is served.
    expect(await dialAndPing(flooder!, bed.addr)).toBe(false)
    expect(await metricValue(bed.node, 'rejected_total{reason="penalized"}')).toBeGreaterThanOrEqual(1)
    expect(await dialAndPing(other!, bed.addr)).toBe(true)
  })
})
