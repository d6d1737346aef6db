// One peer against the node's inbound stream buffers, on 127.0.0.1: bytes a peer sends after its
// last request, or many half-sent frames at once, must not be held without limit. The node
// either stops granting window or resets the stream; the peer never gets to park megabytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { frame } from '../../src/node/host/index.js'
import { MessageType } from '../../src/wire/message.js'
import { kadRequest, metricMatch, startBed, type Bed } from '../helpers/armor-bed.js'
import { eventually } from './helpers.js'

const MiB = 1 << 20

/**
 * Writes `total` bytes in 64 KiB chunks, honouring back-pressure. Returns the bytes the node
 * took: all of them if it kept granting window, fewer if it reset the stream or stopped reading
 * (no window for `stallMs`).
 */
async function pump(s: Stream, total: number, stallMs = 3_000): Promise<number> {
  const chunk = new Uint8Array(64 * 1024).fill(0x41)
  let sent = 0
  let closed = s.status !== 'open'
  s.addEventListener('close', () => (closed = true))
  while (sent < total && !closed) {
    const part = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent)
    try {
      if (!s.send(part)) await s.onDrain({ signal: AbortSignal.timeout(stallMs) })
      // A send the stream takes without backpressure does not wait: yield, so that the node's
      // reset (and the stream's 'close') can arrive between chunks, as it would for a real sender.
      else await new Promise((resolve) => setImmediate(resolve))
    } catch {
      break
    }
    sent += part.length
  }
  return sent
}

describe('inbound stream buffers are bounded per stream and per peer', () => {
  let bed: Bed
  let node: DhtNode
  let client: Libp2p
  let addr: string

  beforeAll(async () => {
    bed = await startBed({ clientListen: ['/ip4/127.0.0.1/tcp/0'] })
    node = bed.node
    addr = bed.addr
    client = bed.clients[0]!
  })

  afterAll(async () => {
    await bed.stop()
  })

  it('bytes after a finished ADD_PROVIDER are refused, not buffered', async () => {
    const s = await client.dialProtocol(multiaddr(addr), KAD_PROTOCOL)
    const me = { id: client.peerId.toMultihash().bytes, addrs: client.getMultiaddrs().map((a) => a.bytes) }
    s.send(frame({ type: MessageType.ADD_PROVIDER, key: new Uint8Array(34).fill(7), closerPeers: [], providerPeers: [me] }))
    // 32 MiB after the request: the node has finished reading this stream.
    const took = await pump(s, 32 * MiB)
    expect(took).toBeLessThan(32 * MiB)
    await eventually('trailing bytes counted', async () => ((await metricMatch(node, /rejected_total\{reason="trailing-bytes"\} (\d+)/)) >= 1 ? true : undefined))
  })

  it('many half-sent frames from one peer stop at the per-peer budget', async () => {
    // Each stream announces a 1 MiB frame and sends all of it but the last byte.
    const conn = await client.dial(multiaddr(addr))
    const streams: Stream[] = []
    for (let i = 0; i < 16; i++) streams.push(await conn.newStream(KAD_PROTOCOL))
    const prefix = Uint8Array.from([0x80, 0x80, 0x40]) // 1 MiB
    const took = await Promise.all(
      streams.map(async (s) => {
        s.send(prefix)
        return pump(s, MiB - 1)
      }),
    )
    const held = took.reduce((a, b) => a + b, 0)
    // The node refused some of them: a budget, counted by reason.
    await eventually('budget refusals counted', async () => ((await metricMatch(node, /rejected_total\{reason="buffer-budget"\} (\d+)/)) >= 1 ? true : undefined))
    const buffered = await metricMatch(node, /ron_dht_inbound_buffered_bytes (\d+)/)
    const perPeer = await metricMatch(node, /ron_dht_limit\{name="buffered_bytes_per_peer"\} (\d+)/)
    expect(perPeer).toBeGreaterThan(0)
    expect(buffered).toBeLessThanOrEqual(perPeer)
    expect(held).toBeGreaterThan(0)
    for (const s of streams) s.abort(new Error('done'))
  })

  it('a peer giving up on a stream before its request is no rejection', async () => {
    const conn = await client.dial(multiaddr(addr))
    const before = await metricMatch(node, /rejected_total\{reason="reset"\} (\d+)/)
    const gaveUp = await conn.newStream(KAD_PROTOCOL)
    gaveUp.abort(new Error('our own timeout'))
    // A PING on the same connection after it: once it is answered, the reset has been handled.
    const s = await conn.newStream(KAD_PROTOCOL)
    const answered = new Promise<boolean>((resolve) => {
      s.addEventListener('message', () => resolve(true), { once: true })
      s.addEventListener('close', () => resolve(false), { once: true })
    })
    s.send(frame({ type: MessageType.PING, closerPeers: [], providerPeers: [] }))
    expect(await answered).toBe(true)
    await s.close()
    expect(await metricMatch(node, /rejected_total\{reason="reset"\} (\d+)/)).toBe(before)
  })

  it('still answers a PING from the same peer afterwards', async () => {
    const s = await client.dialProtocol(multiaddr(addr), KAD_PROTOCOL)
    const answered = new Promise<boolean>((resolve) => {
      s.addEventListener('message', () => resolve(true), { once: true })
      s.addEventListener('close', () => resolve(false), { once: true })
    })
    s.send(frame({ type: MessageType.PING, closerPeers: [], providerPeers: [] }))
    expect(await answered).toBe(true)
    await s.close()
  })
})

describe('a client that opens many streams the moment it connects', () => {
  let bed: Bed

  beforeAll(async () => {
    bed = await startBed()
  })

  afterAll(async () => {
    await bed.stop()
  })

  it('gets every answer, up to the per-connection stream budget', async () => {
    // Streams that arrive before the node has set the connection up are held (libp2p's default
    // of 10 would abort the connection and every stream on it).
    const conn = await bed.clients[0]!.dial(multiaddr(bed.addr))
    const answers = await Promise.all(Array.from({ length: 30 }, () => kadRequest(conn)))
    expect(answers.filter((a) => a).length).toBe(30)
  })
})
