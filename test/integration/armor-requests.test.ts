// One peer flooding requests, on 127.0.0.1: past its budget its streams are reset before the
// request is read (counted in rejected_total{reason="rate-limited"}), and another peer is still
// answered. The node has no allow list here, so the budget applies to loopback peers too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { DEFAULT_LIMITS } from '../../src/node/host/limits.js'
import { frame } from '../../src/node/host/index.js'
import { MessageType } from '../../src/wire/message.js'
import { httpUrl, loopbackAddr, startOurNode, startRawClient } from './helpers.js'

async function metricValue(node: DhtNode, pattern: RegExp): Promise<number> {
  const text = await (await fetch(httpUrl(node, '/metrics'))).text()
  const m = pattern.exec(text)
  return m ? Number(m[1]) : 0
}

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

describe('a per-peer request budget', () => {
  let node: DhtNode
  let flooder: Libp2p
  let honest: Libp2p

  beforeAll(async () => {
    node = await startOurNode({ allow: [], limits: { ...DEFAULT_LIMITS, requestsPerPeerPerS: 2, requestBurstPerPeer: 5 } })
    flooder = await startRawClient()
    honest = await startRawClient()
  })

  afterAll(async () => {
    await Promise.allSettled([node.drain(), flooder.stop(), honest.stop()])
  })

  it('refuses a flooding peer past its budget, and still answers another peer', async () => {
    const conn = await flooder.dial(multiaddr(loopbackAddr(node.multiaddrs)))
    const t0 = performance.now()
    // Eight at a time (yamux refuses a burst of more than ten unacknowledged streams).
    const results: boolean[] = []
    for (let i = 0; i < 5; i++) results.push(...(await Promise.all(Array.from({ length: 8 }, () => ping(conn)))))
    const elapsedS = (performance.now() - t0) / 1000
    const answered = results.filter(Boolean).length
    // The bucket holds 5 and refills 2 a second.
    expect(answered).toBeGreaterThan(0)
    expect(answered).toBeLessThanOrEqual(5 + Math.ceil(2 * elapsedS))
    expect(await metricValue(node, /rejected_total\{reason="rate-limited"\} (\d+)/)).toBe(40 - answered)
    const hc = await honest.dial(multiaddr(loopbackAddr(node.multiaddrs)))
    expect(await ping(hc)).toBe(true)
  })
})
