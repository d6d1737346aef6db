// The inbound fast path (src/node/host/inbound-fast-path.ts) with dialers that negotiate in
// every way multistream-select allows: full (libp2p's newStream), optimistic (protocol lines and
// request in one write), line by line (header alone first), another protocol on the same
// connection (ping, through libp2p's handler) and an unknown one (refused with "na").
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p, Stream, StreamMuxer } from '@libp2p/interface'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { frame } from '../../src/node/host/index.js'
import { decodeMessage, MessageType } from '../../src/wire/message.js'
import { eventually, httpUrl, loopbackAddr, startOurNode, startRawClient } from './helpers.js'

async function streamsByPath(node: DhtNode): Promise<{ fast: number; libp2p: number }> {
  const text = await (await fetch(httpUrl(node, '/metrics'))).text()
  const get = (path: string): number => Number(new RegExp(`ron_dht_inbound_streams_total\\{path="${path}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
  return { fast: get('fast'), libp2p: get('libp2p') }
}

function line(text: string): Uint8Array {
  const b = Buffer.from(`${text}\n`)
  return Buffer.concat([Buffer.from([b.length]), b])
}
const HEADER = line('/multistream/1.0.0')
const KAD = line(KAD_PROTOCOL)
const PING_REQUEST = frame({ type: MessageType.PING, closerPeers: [], providerPeers: [] })

/** Collects a stream's bytes; `take(n)` resolves with the next n bytes (undefined at the end). */
function collect(s: Stream): { take(n: number): Promise<Buffer | undefined> } {
  let buf = Buffer.alloc(0)
  let ended = false
  let wake: (() => void) | undefined
  s.addEventListener('message', (evt) => {
    const d = evt.data
    buf = Buffer.concat([buf, d instanceof Uint8Array ? d : d.subarray()])
    wake?.()
  })
  const end = (): void => {
    ended = true
    wake?.()
  }
  s.addEventListener('remoteCloseWrite', end)
  s.addEventListener('close', end)
  return {
    async take(n) {
      while (buf.length < n && !ended) await new Promise<void>((r) => (wake = r))
      if (buf.length < n) return undefined
      const out = buf.subarray(0, n)
      buf = buf.subarray(n)
      return out
    },
  }
}

/** Reads one varint-framed message (frames here are < 16 KiB: at most 2 length bytes). */
async function readFrame(inbox: ReturnType<typeof collect>): Promise<Uint8Array | undefined> {
  const b0 = await inbox.take(1)
  if (b0 === undefined) return undefined
  let len = b0[0]! & 0x7f
  if ((b0[0]! & 0x80) !== 0) {
    const b1 = await inbox.take(1)
    if (b1 === undefined) return undefined
    len += b1[0]! << 7
  }
  return inbox.take(len)
}

/** The next frame is a well-formed PING answer. */
async function expectPingAnswer(inbox: ReturnType<typeof collect>): Promise<void> {
  const res = decodeMessage((await readFrame(inbox))!)
  expect(res.ok && res.value.type).toBe(MessageType.PING)
}

describe('inbound kad streams: every way of negotiating works', () => {
  let node: DhtNode
  let client: Libp2p
  let conn: Connection
  let muxer: StreamMuxer

  beforeAll(async () => {
    node = await startOurNode()
    client = await startRawClient()
    conn = await client.dial(multiaddr(loopbackAddr(node.multiaddrs)))
    muxer = (conn as unknown as { muxer: StreamMuxer }).muxer
  })

  afterAll(async () => {
    await Promise.allSettled([node.drain(), client.stop()])
  })

  it('full negotiation through libp2p (what stock kad clients do) takes the fast path', async () => {
    const before = await streamsByPath(node)
    const s = await conn.newStream(KAD_PROTOCOL)
    const inbox = collect(s)
    s.send(PING_REQUEST)
    await expectPingAnswer(inbox)
    await s.close()
    // If a libp2p upgrade moves the internals the fast path relies on, it steps aside quietly and
    // libp2p's registrar serves the stream instead: this is where that shows.
    const after = await streamsByPath(node)
    expect(after.fast - before.fast).toBe(1)
    expect(after.libp2p - before.libp2p).toBe(0)
  })

  it('the fast path answers: both protocol lines echoed in one frame (libp2p sends two)', async () => {
    const s = await muxer.createStream()
    const first = new Promise<number>((resolve) => {
      s.addEventListener('message', (evt) => resolve(evt.data.byteLength), { once: true })
    })
    s.send(Buffer.concat([HEADER, KAD]))
    expect(await first).toBe(HEADER.length + KAD.length)
    s.abort(new Error('done'))
  })

  it('optimistic: protocol lines and the request in one write', async () => {
    const s = await muxer.createStream()
    const inbox = collect(s)
    s.send(Buffer.concat([HEADER, KAD, PING_REQUEST]))
    expect(Buffer.from((await inbox.take(HEADER.length + KAD.length))!)).toEqual(Buffer.concat([HEADER, KAD]))
    await expectPingAnswer(inbox)
    await s.close()
  })

  it('optimistic with the write side closed in the same breath', async () => {
    const s = await muxer.createStream()
    const inbox = collect(s)
    s.send(Buffer.concat([HEADER, KAD, PING_REQUEST]))
    await s.close()
    await inbox.take(HEADER.length + KAD.length)
    await expectPingAnswer(inbox)
  })

  it('line by line: the header alone, then the protocol after the echo', async () => {
    const s = await muxer.createStream()
    const inbox = collect(s)
    s.send(HEADER)
    expect(Buffer.from((await inbox.take(HEADER.length))!)).toEqual(Buffer.from(HEADER))
    s.send(KAD)
    expect(Buffer.from((await inbox.take(KAD.length))!)).toEqual(Buffer.from(KAD))
    s.send(PING_REQUEST)
    await expectPingAnswer(inbox)
    await s.close()
  })

  it('an unknown protocol is refused with "na" and the connection keeps working', async () => {
    const s = await muxer.createStream()
    const inbox = collect(s)
    s.send(Buffer.concat([HEADER, line('/no/such/1.0.0')]))
    expect(Buffer.from((await inbox.take(HEADER.length))!)).toEqual(Buffer.from(HEADER))
    expect(Buffer.from((await inbox.take(4))!)).toEqual(Buffer.from(line('na')))
    s.abort(new Error('done'))
    // Another libp2p protocol on the same connection still goes through libp2p's handler.
    const ps = await conn.newStream('/ipfs/ping/1.0.0')
    const pingInbox = collect(ps)
    const payload = Buffer.alloc(32, 7)
    ps.send(payload)
    expect(Buffer.from((await pingInbox.take(32))!)).toEqual(payload)
    await ps.close()
  })

  it('a stream being served counts as in flight for the overload monitor until it ends', async () => {
    expect(node.host.inboundServing).toBe(0)
    const s = await conn.newStream(KAD_PROTOCOL)
    // Negotiated, no request yet: the node holds the stream open, waiting for its frame.
    await eventually('the stream counted', () => (node.host.inboundServing === 1 ? true : undefined), 5_000)
    const inbox = collect(s)
    s.send(PING_REQUEST)
    await expectPingAnswer(inbox)
    await s.close()
    await eventually('the stream released', () => (node.host.inboundServing === 0 ? true : undefined), 5_000)
  })
})

describe('/metrics of a node in a process of many nodes (processMetrics off)', () => {
  it('keeps process_start_time_seconds and drops the per-process collectors', async () => {
    const node = await startOurNode({ processMetrics: false })
    try {
      const text = await (await fetch(httpUrl(node, '/metrics'))).text()
      const start = Number(/^process_start_time_seconds (\d+)$/m.exec(text)?.[1])
      expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5)
      expect(text).not.toMatch(/^process_open_fds /m)
      expect(text).not.toMatch(/^nodejs_active_handles /m)
      expect(text).toMatch(/^ron_dht_routing_table_peers /m)
    } finally {
      await node.drain()
    }
  })
})
