// Bytes from peers never crash the node, and never leave anything held: fuzzed kad frames
// (well-formed messages, mutated ones and raw bytes) on negotiated kad streams, fuzzed
// multistream lines on fresh muxer streams, and raw bytes on bare TCP connections, all against
// one real node on 127.0.0.1. Afterwards the node still answers, and every byte budget is back
// to zero. The count is bounded for CI and seeded; the seed is printed.
// More cases of these layers: FUZZ_RUNS=<n> FUZZ_SEED=<n> npx vitest run test/property/node-fuzz.test.ts
// The long run (10^6 frames, yamux and noise frames too, memory after GC) is bench/fuzz.ts.
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p, Stream, StreamMuxer } from '@libp2p/interface'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { frame } from '../../src/node/host/index.js'
import { encodeMessage, encodedSize, MessageType } from '../../src/wire/message.js'
import { eventually, loopbackAddr, startOurNode, startRawClient } from '../integration/helpers.js'
import { arbWireMessage } from './wire-arbitraries.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 80)
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)

function line(text: string): Uint8Array {
  const b = Buffer.from(`${text}\n`)
  return Buffer.concat([Buffer.from([b.length]), b])
}

/** A frame's bytes: a valid message, that message mutated, or bytes with a plausible prefix. */
const arbFrameBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  arbWireMessage.map((m) => frame(m)),
  fc
    .tuple(arbWireMessage, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }))
    .map(([m, flips]) => {
      const b = Uint8Array.from(frame(m))
      for (const [at, v] of flips) b[at % b.length] = v
      return b
    }),
  fc.uint8Array({ maxLength: 300 }).map((body) => Buffer.concat([Buffer.from([body.length & 0x7f]), body])),
  fc.uint8Array({ minLength: 1, maxLength: 64 }),
)

/** Writes bytes, optionally closes, and waits (bounded) until the node has dealt with the stream. */
async function throwAt(s: Stream, chunks: Uint8Array[], closeWrite: boolean): Promise<void> {
  const done = new Promise<void>((resolve) => {
    s.addEventListener('close', () => resolve(), { once: true })
    s.addEventListener('remoteCloseWrite', () => resolve(), { once: true })
    // Not waiting long for streams the node keeps open (it waits for more bytes): we abort them.
    setTimeout(resolve, 100).unref()
  })
  try {
    for (const c of chunks) s.send(c)
    if (closeWrite) await s.close()
  } catch {
    // the node may reset the stream mid-write
  }
  await done
  s.abort(new Error('done'))
}

describe(`fuzzed bytes from a peer (seed ${SEED}, ${RUNS} runs per layer)`, () => {
  let node: DhtNode
  let client: Libp2p
  let conn: Connection
  let muxer: StreamMuxer
  let port: number

  beforeAll(async () => {
    console.log(`node fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`)
    node = await startOurNode()
    client = await startRawClient()
    conn = await client.dial(multiaddr(loopbackAddr(node.multiaddrs)))
    muxer = (conn as unknown as { muxer: StreamMuxer }).muxer
    port = Number(/\/tcp\/(\d+)/.exec(loopbackAddr(node.multiaddrs))![1])
  })

  afterAll(async () => {
    await Promise.allSettled([node.drain(), client.stop()])
  })

  async function liveConn(): Promise<Connection> {
    if (conn.status !== 'open') {
      conn = await client.dial(multiaddr(loopbackAddr(node.multiaddrs)))
      muxer = (conn as unknown as { muxer: StreamMuxer }).muxer
    }
    return conn
  }

  it('kad frames, whole, mutated or random, in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbFrameBytes, { minLength: 1, maxLength: 4 }), fc.boolean(), async (frames, closeWrite) => {
        const s = await (await liveConn()).newStream(KAD_PROTOCOL)
        await throwAt(s, frames, closeWrite)
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('multistream lines: the protocol header and line, mangled', async () => {
    const good = Buffer.concat([line('/multistream/1.0.0'), line(KAD_PROTOCOL)])
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 80 }),
          fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, v]) => {
            const b = Buffer.from(good)
            b[at] = v
            return b
          }),
          fc.nat(good.length - 1).map((n) => good.subarray(0, n + 1)),
        ),
        fc.boolean(),
        async (bytes, closeWrite) => {
          await liveConn()
          const s = await muxer.createStream()
          await throwAt(s, [bytes], closeWrite)
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('raw bytes on a bare TCP connection (below noise and yamux)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        await new Promise<void>((resolve) => {
          const sock = connect({ host: '127.0.0.1', port })
          const end = (): void => {
            sock.destroy()
            resolve()
          }
          sock.on('error', end)
          sock.on('close', end)
          sock.on('connect', () => sock.end(bytes))
          setTimeout(end, 300).unref()
        })
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 3) },
    )
  })

  it('afterwards the node still answers and holds no buffered bytes', async () => {
    const s = await (await liveConn()).newStream(KAD_PROTOCOL)
    const answered = new Promise<boolean>((resolve) => {
      s.addEventListener('message', () => resolve(true), { once: true })
      s.addEventListener('close', () => resolve(false), { once: true })
    })
    s.send(frame({ type: MessageType.PING, closerPeers: [], providerPeers: [] }))
    expect(await answered).toBe(true)
    s.abort(new Error('done'))
    await eventually('budgets released', () => (node.host.buffers.bytes === 0 ? true : undefined))
    // Sanity: the encoder agrees with itself on a message (the arbitraries are not all garbage).
    const m = { type: MessageType.FIND_NODE, key: new Uint8Array(8), closerPeers: [], providerPeers: [] } as const
    expect(encodeMessage(m, 0).length).toBe(encodedSize(m))
  })
})
