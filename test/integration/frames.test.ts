// Untrusted bytes on a raw kad stream: garbage and oversized frames are counted in
// rejected_total{reason}, the stream is closed, and the node keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { FrameReader, frame } from '../../src/node/host/index.js'
import { decodeMessage, MessageType } from '../../src/wire/message.js'
import { eventually, httpUrl, loopbackAddr, startOurNode, startRawClient } from './helpers.js'

async function metricValue(node: DhtNode, pattern: RegExp): Promise<number> {
  const text = await (await fetch(httpUrl(node, '/metrics'))).text()
  const m = pattern.exec(text)
  return m ? Number(m[1]) : 0
}

async function streamClosed(s: Stream): Promise<boolean> {
  const r = await new FrameReader(s).next(10_000)
  return !r.ok && r.error !== 'timeout'
}

describe('garbage and oversized frames', () => {
  let node: DhtNode
  let client: Libp2p
  let addr: string

  beforeAll(async () => {
    node = await startOurNode()
    addr = loopbackAddr(node.multiaddrs)
    client = await startRawClient()
  })

  afterAll(async () => {
    await Promise.allSettled([node.drain(), client.stop()])
  })

  it('counts a malformed message, closes the stream and keeps serving', async () => {
    const s = await client.dialProtocol(multiaddr(addr), KAD_PROTOCOL)
    // A valid length prefix around bytes that are not a Message (field 0 is illegal).
    s.send(Uint8Array.from([4, 0x00, 0xff, 0xff, 0xff]))
    expect(await streamClosed(s)).toBe(true)
    await eventually('malformed counted', async () => ((await metricValue(node, /rejected_total\{reason="malformed"\} (\d+)/)) >= 1 ? true : undefined))
  })

  it('counts an oversized frame without buffering it, and closes the stream', async () => {
    const s = await client.dialProtocol(multiaddr(addr), KAD_PROTOCOL)
    // Announce 2 MiB (over the 1 MiB cap), then send a little of it.
    s.send(Uint8Array.from([0x80, 0x80, 0x80, 0x01, 1, 2, 3]))
    expect(await streamClosed(s)).toBe(true)
    await eventually('oversized counted', async () => ((await metricValue(node, /rejected_total\{reason="oversized"\} (\d+)/)) >= 1 ? true : undefined))
  })

  it('counts a length prefix that never ends', async () => {
    const s = await client.dialProtocol(multiaddr(addr), KAD_PROTOCOL)
    s.send(new Uint8Array(8).fill(0x80))
    expect(await streamClosed(s)).toBe(true)
    await eventually('bad length counted', async () => ((await metricValue(node, /rejected_total\{reason="bad-length"\} (\d+)/)) >= 1 ? true : undefined))
  })

  it('still answers a well-formed PING and FIND_NODE afterwards', async () => {
    for (const type of [MessageType.PING, MessageType.FIND_NODE]) {
      const s = await client.dialProtocol(multiaddr(addr), KAD_PROTOCOL)
      const reader = new FrameReader(s)
      s.send(frame({ type, key: client.peerId.toMultihash().bytes, closerPeers: [], providerPeers: [] }))
      const r = await reader.next(10_000)
      expect(r.ok).toBe(true)
      if (!r.ok) return
      const d = decodeMessage(r.frame)
      expect(d.ok && d.value.type).toBe(type)
      await s.close()
    }
    const res = await fetch(httpUrl(node, '/healthz'))
    expect(res.status).toBe(200)
  })
})
