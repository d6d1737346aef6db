// A node whose process is saturated, on 127.0.0.1: a CPU hog in its own process keeps the event
// loop busy most of the time while peers keep sending FIND_NODE requests. The node must stay up
// (/healthz 200), keep its memory bounded, refuse the requests that waited behind the hog with
// reason "overloaded" (rejected_total{reason="overloaded"}, the engine's own admission control fed
// the event-loop delay), and answer normally again once the hog stops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { frame } from '../../src/node/host/index.js'
import { MessageType, type WirePeer } from '../../src/wire/message.js'
import { kadRequest, startBed, type Bed } from '../helpers/armor-bed.js'
import { eventually, httpUrl, metricValue } from './helpers.js'

const OVERLOADED = 'rejected_total{reason="overloaded"}'

/** One FIND_NODE on a fresh stream: true when answered, false when refused (stream reset). */
function findNode(conn: Connection, i: number): Promise<boolean> {
  return kadRequest(conn, MessageType.FIND_NODE, new TextEncoder().encode(`key-${i}`))
}

/** One ADD_PROVIDER announcing the sender itself, on a fresh stream; resolves when the node is done with it. */
async function provide(conn: Connection, me: WirePeer, i: number): Promise<void> {
  let s
  try {
    s = await conn.newStream(KAD_PROTOCOL)
  } catch {
    return
  }
  const done = new Promise<void>((resolve) => {
    s.addEventListener('remoteCloseWrite', () => resolve(), { once: true })
    s.addEventListener('close', () => resolve(), { once: true })
  })
  try {
    s.send(frame({ type: MessageType.ADD_PROVIDER, key: new TextEncoder().encode(`provided-${i}`), closerPeers: [], providerPeers: [me] }))
    await s.close()
  } catch {
    return
  }
  await done
}

/** Keeps the event loop busy `busyMs` out of every `periodMs` (a CPU hog in the node's process). */
function startHog(busyMs: number, periodMs: number): { stop: () => void; blocks: () => number } {
  let blocks = 0
  const burn = (): void => {
    const until = performance.now() + busyMs
    while (performance.now() < until) {
      // burn
    }
    blocks++
  }
  const t = setInterval(burn, periodMs)
  return { stop: () => clearInterval(t), blocks: () => blocks }
}

/** `rounds` rounds of 8 requests at once on each connection (yamux takes ten unacknowledged streams). */
async function flood(conns: readonly Connection[], rounds: number): Promise<{ answered: number; refused: number }> {
  let answered = 0
  let refused = 0
  let n = 0
  for (let r = 0; r < rounds; r++) {
    const results = await Promise.all(conns.flatMap((c) => Array.from({ length: 8 }, () => findNode(c, n++))))
    for (const ok of results) if (ok) answered++
    else refused++
  }
  return { answered, refused }
}

describe('a saturated node (CPU hog in its process)', () => {
  let bed: Bed
  let node: DhtNode
  let clients: Libp2p[] = []
  let conns: Connection[] = []

  beforeAll(async () => {
    bed = await startBed({ clients: 3 })
    node = bed.node
    clients = bed.clients
    conns = await Promise.all(clients.map((c) => c.dial(multiaddr(bed.addr))))
  })

  afterAll(async () => {
    await bed.stop()
  })

  it('refuses work "overloaded" while pegged, stays alive with bounded memory, and recovers', async () => {
    // Healthy first: everything answered, nothing refused.
    const before = await flood(conns, 2)
    expect(before).toEqual({ answered: 48, refused: 0 })
    expect(await metricValue(node, OVERLOADED)).toBe(0)

    global.gc?.()
    const heapBefore = process.memoryUsage().heapUsed
    const hog = startHog(600, 650)
    let during: { answered: number; refused: number }
    let healthz: number
    let refusedOverloaded: number
    let provided = 0
    const me: WirePeer = { id: clients[0]!.peerId.toMultihash().bytes, addrs: [] }
    try {
      // However fast the node answers, the flood goes on until the hog has blocked a few times.
      during = { answered: 0, refused: 0 }
      while (hog.blocks() < 6) {
        const r = await flood(conns, 1)
        during = { answered: during.answered + r.answered, refused: during.refused + r.refused }
      }
      refusedOverloaded = await metricValue(node, OVERLOADED)
      // Provider records announced while pegged: those refused must not count as stored.
      const provideFrom = hog.blocks()
      for (let round = 0; round < 4 || hog.blocks() < provideFrom + 2; round++) {
        await Promise.all(Array.from({ length: 8 }, (_, i) => provide(conns[0]!, me, round * 8 + i)))
        provided += 8
      }
      healthz = (await fetch(httpUrl(node, '/healthz'))).status
    } finally {
      hog.stop()
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore

    // Throttled, never crashed: refusals by reason, the process and its HTTP side alive.
    expect(during.refused).toBeGreaterThan(0)
    expect(refusedOverloaded).toBeGreaterThan(0)
    expect(refusedOverloaded).toBeLessThanOrEqual(during.refused)
    expect(healthz).toBe(200)
    // The requests refused or answered leave no backlog behind.
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024)
    // Every refusal the engine counted (FIND_NODE and ADD_PROVIDER alike) is in rejected_total.
    expect(node.engine.stats(0).rejected['overloaded']).toBe(await metricValue(node, OVERLOADED))

    // Every ADD_PROVIDER is either stored (and counted ok) or refused (and counted rejected).
    const providedOk = await metricValue(node, 'requests_total{op="ADD_PROVIDER",result="ok"}')
    const providedRefused = await metricValue(node, 'requests_total{op="ADD_PROVIDER",result="rejected"}')
    expect(providedRefused).toBeGreaterThan(0)
    expect(providedOk).toBe(node.engine.stats(0).providerRecords)
    expect(providedOk + providedRefused).toBe(provided)

    // Recovery: once the hog is gone, requests are answered again and no more are refused.
    await eventually('requests answered again', async () => ((await flood(conns, 1)).refused === 0 ? true : undefined))
    const settled = await metricValue(node, OVERLOADED)
    expect(await flood(conns, 3)).toEqual({ answered: 72, refused: 0 })
    expect(await metricValue(node, OVERLOADED)).toBe(settled)
    expect((await fetch(httpUrl(node, '/healthz'))).status).toBe(200)
  })
})
