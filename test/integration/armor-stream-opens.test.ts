// The request budget asked when a stream is opened, on 127.0.0.1 with no allow list: a peer over
// its budget has its stream reset at the SYN, before the node's muxer allocates a stream for it
// (a refusal costs a RST, not a stream, a listener and a negotiation); a stream that turns out to
// be another protocol (identify) gives its token back; and one source address is held to its
// own budget however many peer ids it uses.
import { afterEach, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p, StreamMuxer } from '@libp2p/interface'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { DEFAULT_LIMITS, type NodeLimits } from '../../src/node/host/limits.js'
import { frame } from '../../src/node/host/index.js'
import { MessageType } from '../../src/wire/message.js'
import { eventually, loopbackAddr, metricValue, startOurNode, startRawClient } from './helpers.js'

/** One PING on a fresh stream: true when answered, false when the stream was reset. */
async function ping(conn: Connection): Promise<boolean> {
  let s
  try {
    s = await conn.newStream(KAD_PROTOCOL)
  } catch {
    return false
  }
  const answered = new Promise<boolean>((resolve) => {
    s.addEventListener('message', () => resolve(true), { once: true })
    s.addEventListener('close', () => resolve(false), { once: true })
  })
  try {
    s.send(frame({ type: MessageType.PING, closerPeers: [], providerPeers: [] }))
  } catch {
    return false
  }
  const ok = await answered
  s.abort(new Error('done'))
  return ok
}

/** Dials the node and waits until the client's identify (a stream into the node) has finished. */
async function dialIdentified(client: Libp2p, node: DhtNode): Promise<Connection> {
  const identified = new Promise<void>((resolve) => client.addEventListener('peer:identify', () => resolve(), { once: true }))
  const conn = await client.dial(multiaddr(loopbackAddr(node.multiaddrs)))
  await identified
  return conn
}

async function pings(conn: Connection, n: number): Promise<number> {
  let answered = 0
  for (let i = 0; i < n; i++) if (await ping(conn)) answered++
  return answered
}

/** A budget that does not refill within a test: what the bucket holds is all a peer gets. */
function budget(over: Partial<NodeLimits>): NodeLimits {
  return { ...DEFAULT_LIMITS, requestsPerPeerPerS: 0.001, requestsPerIpPerS: 0.001, ...over }
}

describe('the request budget at the stream opening', () => {
  let node: DhtNode | undefined
  const clients: Libp2p[] = []

  afterEach(async () => {
    await Promise.allSettled([node?.drain(), ...clients.map((c) => c.stop())])
    clients.length = 0
  })

  it('refuses a peer over its budget before its stream exists, and its identify cost it nothing', async () => {
    node = await startOurNode({ allow: [], limits: budget({ requestBurstPerPeer: 3, requestBurstPerIp: 100 }) })
    const client = await startRawClient()
    clients.push(client)
    const conn = await dialIdentified(client, node)
    // The node's side of the connection: count the streams its muxer hands to libp2p.
    const nodeSide = await eventually('the node sees the connection', () => node!.stack.getConnections(client.peerId)[0])
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
    node = await startOurNode({ allow: [], limits: budget({ requestBurstPerPeer: 4, requestBurstPerIp: 6 }) })
    const a = await startRawClient()
    const b = await startRawClient()
    clients.push(a, b)
    const ca = await dialIdentified(a, node)
    const cb = await dialIdentified(b, node)
    expect(await pings(ca, 6)).toBe(4)
    // The second identity from the same address gets what the address has left, not a fresh 4.
    expect(await pings(cb, 6)).toBe(2)
    expect(await metricValue(node, 'rejected_total{reason="rate-limited"}')).toBe(2)
    expect(await metricValue(node, 'rejected_total{reason="ip-rate-limited"}')).toBe(4)
  })
})
