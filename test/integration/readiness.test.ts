// Readiness transitions: 503 before the node has joined, 200 after; with a dead bootstrap the
// node stays not-ready, says why, and keeps retrying; on drain /readyz turns 503 first, while
// in-flight lookups still run.
import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { DhtNode } from '../../src/node/dht-node.js'
import { KAD_PROTOCOL } from '../../src/node/host/libp2p-node.js'
import { LOOPBACK, eventually, getJson, httpUrl, loopbackAddr, startOurNode, startRawClient, testEngineConfig } from './helpers.js'

describe('readiness', () => {
  const nodes: DhtNode[] = []
  const clients: Libp2p[] = []

  afterEach(async () => {
    await Promise.allSettled([...nodes.splice(0).map((n) => n.drain()), ...clients.splice(0).map((c) => c.stop())])
  })

  it('is 503 before the node joined and 200 after', async () => {
    const a = await startOurNode({ engine: testEngineConfig({ warmTableSize: 1 }) })
    nodes.push(a)
    const b = await startOurNode({ bootstraps: [loopbackAddr(a.multiaddrs)], engine: testEngineConfig({ warmTableSize: 1 }) })
    nodes.push(b)
    // No I/O has happened yet: the join lookup cannot have been answered.
    const before = b.readiness()
    expect(before.ready).toBe(false)
    expect(before.failing).toContain('bootstrap_answered')
    const after = await eventually('ready', async () => {
      const r = await getJson(httpUrl(b, '/readyz'))
      return r.status === 200 ? r : undefined
    })
    expect(after.body.failing).toEqual([])
  })

  it('stays 503 with a dead bootstrap, names the failing condition and keeps retrying', async () => {
    const ghost = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const n = await startOurNode({ bootstraps: [`/ip4/127.0.0.1/tcp/1/p2p/${ghost}`] })
    nodes.push(n)
    const failures = await eventually('a bootstrap round failed', async () => {
      const text = await (await fetch(httpUrl(n, '/metrics'))).text()
      const m = /ron_dht_bootstrap_rounds_failed_total (\d+)/.exec(text)
      return m && Number(m[1]) >= 1 ? Number(m[1]) : undefined
    })
    expect(failures).toBeGreaterThanOrEqual(1)
    const r = await getJson(httpUrl(n, '/readyz'))
    expect(r.status).toBe(503)
    expect(r.body.failing).toContain('bootstrap_answered')
    expect(r.body.conditions).toMatchObject({ listeners_bound: true, bootstrap_answered: false })
  })

  it('turns 503 at the start of a drain while a lookup is still in flight, then stops', async () => {
    // A peer that accepts kad streams and never answers holds our lookup open.
    const hole = await startRawClient([LOOPBACK])
    clients.push(hole)
    await hole.handle(KAD_PROTOCOL, () => undefined)
    const n = await startOurNode({ drainTimeoutMs: 20_000 })
    nodes.push(n)
    const holeContact = n.book.fromPeerId(hole.peerId, hole.getMultiaddrs().map((a) => a.toString()))
    n.host.input({ kind: 'seed-contacts', contacts: [holeContact] })
    let settled = false
    const lookup = n.host.lookup('FIND_NODE', hole.peerId.toMultihash().bytes).then((r) => {
      settled = true
      return r
    })
    expect(n.host.inflightLookups).toBe(1)
    const drained = n.drain()
    const r = await getJson(httpUrl(n, '/readyz'))
    expect(r.status).toBe(503)
    expect(r.body.failing).toContain('not_draining')
    expect(settled).toBe(false) // readiness flipped before the lookup ended
    await drained
    await lookup
    expect(settled).toBe(true)
  })

  /** A bootstrap `a`, and `b` (ready) that keeps its state in `dir`: `opts` starts `b` again. */
  async function bootstrapAndKeeper(dir: string) {
    const a = await startOurNode({ engine: testEngineConfig({ warmTableSize: 1 }) })
    nodes.push(a)
    const opts = { amnesia: false, dataDir: join(dir, 'data'), identityFile: join(dir, 'id.key'), bootstraps: [loopbackAddr(a.multiaddrs)], engine: testEngineConfig({ warmTableSize: 1 }) }
    const b = await startOurNode(opts)
    await eventually('b ready', () => (b.readiness().ready ? true : undefined))
    return { a, b, opts }
  }

  it('saves the routing table at shutdown and seeds it at restart (amnesia off)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dht-cache-'))
    try {
      const { b, opts } = await bootstrapAndKeeper(dir)
      const peer = b.peerId
      await b.drain()
      expect(existsSync(join(dir, 'data', 'routing-table.json'))).toBe(true)
      const again = await startOurNode(opts)
      nodes.push(again)
      expect(again.peerId).toBe(peer) // the identity file was kept
      // Seeded from the cache before any network I/O happened.
      expect(again.engine.stats(again.host.now()).tableSize).toBeGreaterThan(0)
      const metrics = await (await fetch(httpUrl(again, '/metrics'))).text()
      expect(metrics).toMatch(/service_restarts_total 1/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('keeps the keys it provides and the records it holds across a restart (amnesia off)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dht-content-'))
    try {
      const { a, b, opts } = await bootstrapAndKeeper(dir)
      const key = new TextEncoder().encode('records-across-restarts')
      expect((await b.host.lookup('PROVIDE', key)).success).toBe(true)
      // a announces its own key: b holds a's record.
      expect((await a.host.lookup('PROVIDE', new TextEncoder().encode('held-by-b'))).success).toBe(true)
      await eventually('b holds a record', () => (b.engine.content().records.some((r) => r.provider.peer === a.peerId) ? true : undefined))
      await b.drain()
      expect(existsSync(join(dir, 'data', 'provider-records.json'))).toBe(true)
      const again = await startOurNode(opts)
      nodes.push(again)
      // Seeded before any network I/O: the key it provides, and the record it held for a.
      const c = again.engine.content()
      expect(c.provided.map((p) => new TextDecoder().decode(p.key))).toEqual(['records-across-restarts'])
      expect(c.records.some((r) => r.provider.peer === a.peerId)).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('answers 429 when client calls in flight reach the bound, and serves again after', async () => {
    const hole = await startRawClient([LOOPBACK])
    clients.push(hole)
    await hole.handle(KAD_PROTOCOL, () => undefined)
    const n = await startOurNode({ maxClientInflight: 1, engine: testEngineConfig({ warmTableSize: 1, rpcTimeoutMs: 1_500 }) })
    nodes.push(n)
    n.host.input({ kind: 'seed-contacts', contacts: [n.book.fromPeerId(hole.peerId, hole.getMultiaddrs().map((a) => a.toString()))] })
    await eventually('ready', () => (n.readiness().ready ? true : undefined))
    const key = `b3:${'ef'.repeat(32)}`
    const first = getJson(httpUrl(n, `/v1/providers/${key}`)) // held by the silent peer
    await eventually('first call in flight', () => (n.http.clientInflight === 1 ? true : undefined))
    const second = await getJson(httpUrl(n, `/v1/providers/${key}`))
    expect(second.status).toBe(429)
    expect(second.body.error).toBe('rate-limited')
    expect((await first).status).toBe(404) // the silent peer timed out: no provider
    const third = await getJson(httpUrl(n, `/v1/providers/${key}`))
    expect(third.status).not.toBe(429)
  })
})
