// The join's lookup of our own id, as a peer receives it: its FIND_NODE key must be our peer id's
// multihash (whose SHA-256 is our id), as stock kad-dht sends it. With the id itself as the key,
// every peer answered about SHA-256(id), a random point (src/node/host/lookup-keys.ts).
import { afterAll, describe, expect, it } from 'vitest'
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { sha256 } from '../../src/node/host/contacts.js'
import { FrameDecoder } from '../../src/wire/frame.js'
import { decodeMessage, MessageType } from '../../src/wire/message.js'
import { eventually, LOOPBACK, loopbackAddr, startOurNode, startRawClient } from './helpers.js'

describe('FIND_NODE keys on the wire', () => {
  const nodes: DhtNode[] = []
  const clients: Libp2p[] = []
  afterAll(async () => {
    await Promise.allSettled([...nodes.map((n) => n.drain()), ...clients.map((c) => c.stop())])
  })

  it('the join asks its bootstrap for our own peer id, not for our id', async () => {
    // A bootstrap that records the FIND_NODE requests it gets and answers none.
    const keys: Uint8Array[] = []
    const boot = await startRawClient([LOOPBACK])
    clients.push(boot)
    await boot.handle(KAD_PROTOCOL, (stream) => {
      const frames = new FrameDecoder()
      stream.addEventListener('message', (evt) => {
        for (const f of frames.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray())) {
          if (!f.ok) return
          const m = decodeMessage(f.value)
          if (m.ok && m.value.type === MessageType.FIND_NODE && m.value.key !== undefined) keys.push(m.value.key)
        }
      })
    })
    const n = await startOurNode({ bootstraps: [loopbackAddr(boot.getMultiaddrs().map((a) => a.toString()))] })
    nodes.push(n)
    const key = await eventually('a FIND_NODE at the bootstrap', () => keys[0])
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
    expect(hex(key)).toBe(hex(peerIdFromString(n.peerId).toMultihash().bytes))
    expect(hex(sha256(key))).toBe(hex(n.book.fromPeerId(peerIdFromString(n.peerId)).id))
  })
})
