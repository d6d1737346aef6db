// Joining through a slow first contact, and a network smaller than the warm threshold, with real
// nodes on 127.0.0.1.
//
// The slow first contact: the bootstrap sits behind a TCP relay that holds each new connection's
// bytes for HOLD_MS (longer than the per-hop timeout) before passing them on, so the dial, Noise,
// yamux and multistream cannot finish sooner. (The bootstrap's inbound upgrade timeout is raised
// above the hold, or it would close the held connection first.) With the first-contact budget the join's first round
// waits for the set-up and succeeds; charged to the per-hop timeout alone (budget = per-hop
// timeout), the same join fails its first round and needs a retry. No timing is asserted: the
// relay guarantees the set-up is slower than a hop, and the budget is far larger than that.
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, connect, type Server, type Socket } from 'node:net'
import type { DhtNode, DhtNodeOptions } from '../../src/node/dht-node.js'
import { engineConfig } from '../../src/engine/index.js'
import { DEFAULT_LIMITS } from '../../src/node/host/limits.js'
import { eventually, getJson, httpUrl, loopbackAddr, metricValue, startOurNode, testEngineConfig } from './helpers.js'

const HOLD_MS = 3_000
const HOP_MS = 2_000

/** A relay to 127.0.0.1:port that holds every new connection's bytes, both ways, for holdMs. */
async function slowRelay(port: number, holdMs: number): Promise<{ server: Server; port: number; held: () => number }> {
  let held = 0
  const sockets: Socket[] = []
  const server = createServer((client) => {
    held++
    const upstream = connect(port, '127.0.0.1')
    sockets.push(client, upstream)
    client.pause()
    upstream.pause()
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    setTimeout(() => {
      client.pipe(upstream)
      upstream.pipe(client)
    }, holdMs)
  })
  server.on('close', () => sockets.forEach((s) => s.destroy()))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { server, port: (server.address() as { port: number }).port, held: () => held }
}

describe('first contact', () => {
  const nodes: DhtNode[] = []
  const servers: Server[] = []

  afterEach(async () => {
    await Promise.allSettled(nodes.splice(0).map((n) => n.drain()))
    for (const s of servers.splice(0)) {
      s.close()
      s.emit('close')
    }
  })

  async function joinThroughSlowRelay(firstContactTimeoutMs: number, onRpc?: DhtNodeOptions['onRpc']): Promise<{ node: DhtNode; failedRounds: number; held: number }> {
    const boot = await startOurNode({ engine: testEngineConfig({ warmTableSize: 1, rpcTimeoutMs: HOP_MS }), limits: { ...DEFAULT_LIMITS, handshakeTimeoutMs: 30_000 } })
    nodes.push(boot)
    const direct = loopbackAddr(boot.multiaddrs)
    const port = Number(/\/tcp\/(\d+)\//.exec(direct)![1])
    const relay = await slowRelay(port, HOLD_MS)
    servers.push(relay.server)
    const viaRelay = `/ip4/127.0.0.1/tcp/${relay.port}/p2p/${boot.peerId}`
    const node = await startOurNode({ bootstraps: [viaRelay], engine: testEngineConfig({ warmTableSize: 1, rpcTimeoutMs: HOP_MS, firstContactTimeoutMs }), ...(onRpc !== undefined ? { onRpc } : {}) })
    nodes.push(node)
    await eventually('joined through the relay', async () => ((await getJson(httpUrl(node, '/readyz'))).status === 200 ? true : undefined), 60_000)
    return { node, failedRounds: await metricValue(node, 'ron_dht_bootstrap_rounds_failed_total'), held: relay.held() }
  }

  it('a join whose connection set-up is slower than a hop succeeds in its first round', async () => {
    const timed: { ms: number; first: boolean }[] = []
    const r = await joinThroughSlowRelay(30_000, (_type, ms, first) => timed.push({ ms, first }))
    expect(r.held).toBeGreaterThanOrEqual(1) // the join did go through the slow relay
    expect(r.failedRounds).toBe(0)
    // The node timed its answered requests: the first, which set the connection up through the
    // relay, took the relay's hold; the later ones, on the open connection, did not.
    expect(timed[0]).toMatchObject({ first: true })
    expect(timed[0]!.ms).toBeGreaterThanOrEqual(HOLD_MS)
    // A lookup now goes out on the connection the join opened.
    const seen = timed.length
    await r.node.lookup('FIND_NODE', new Uint8Array(32).fill(7), 'after-join')
    const later = timed.slice(seen)
    expect(later.length).toBeGreaterThan(0)
    for (const t of later) expect(t).toMatchObject({ first: false })
    expect(Math.max(...later.map((t) => t.ms))).toBeLessThan(HOLD_MS)
  })

  it('the same join charged to the per-hop timeout alone fails its first round (what the budget prevents)', async () => {
    const r = await joinThroughSlowRelay(HOP_MS)
    expect(r.held).toBeGreaterThanOrEqual(1)
    expect(r.failedRounds).toBeGreaterThanOrEqual(1)
  })

  it('a network of fewer nodes than the warm threshold becomes ready, and says why', async () => {
    // The default threshold (8 contacts) against a network of 4: each table can hold only 3.
    const engine = engineConfig({ rpcTimeoutMs: 3_000 })
    expect(engine.warmTableSize).toBeGreaterThan(3)
    const a = await startOurNode({ engine })
    nodes.push(a)
    const boot = loopbackAddr(a.multiaddrs)
    for (let i = 0; i < 3; i++) nodes.push(await startOurNode({ engine, bootstraps: [boot] }))
    for (const n of nodes) {
      const r = await eventually('ready', async () => {
        const x = await getJson(httpUrl(n, '/readyz'))
        return x.status === 200 ? x : undefined
      }, 60_000)
      expect(n.engine.stats(n.host.now()).tableSize).toBeLessThan(engine.warmTableSize)
      expect(String(r.body.reason)).toContain('whole network')
    }
  })
})
