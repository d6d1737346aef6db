// Connections under attack, on loopback: an attacker on 127.0.0.2 keeps a hundred TCP sockets
// open that never finish the handshake, while honest peers on 127.0.0.1 keep dialing. The node
// has no allow list here, so every libp2p limit applies to both.
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from '@libp2p/interface'
import type { DhtNode } from '../../src/node/dht-node.js'
import { metricMatch, startBed, type Bed } from '../helpers/armor-bed.js'
import { eventually, loopbackAddr, startRawClient } from './helpers.js'

/** Keeps `n` silent sockets from `from` to host:port open, reopening any the node closes. */
function halfOpenFlood(from: string, host: string, port: number, n: number): { stop(): void; opened(): number } {
  let stopped = false
  let opened = 0
  const socks = new Set<Socket>()
  const open = (): void => {
    if (stopped) return
    const s = connect({ host, port, localAddress: from })
    opened++
    socks.add(s)
    s.on('error', () => undefined)
    s.on('close', () => {
      socks.delete(s)
      // Reopen a little later: the attacker keeps its share of slots, without spinning.
      if (!stopped) setTimeout(open, 100).unref()
    })
  }
  for (let i = 0; i < n; i++) open()
  return {
    stop() {
      stopped = true
      for (const s of socks) s.destroy()
    },
    opened: () => opened,
  }
}

describe('a half-open flood from one address', () => {
  let bed: Bed | undefined
  let node: DhtNode
  let flood: ReturnType<typeof halfOpenFlood>

  beforeAll(async () => {
    bed = await startBed({ budgeted: true, clients: 0 })
    node = bed.node
    const m = /\/ip4\/127\.0\.0\.1\/tcp\/(\d+)/.exec(bed.addr)!
    flood = halfOpenFlood('127.0.0.2', '127.0.0.1', Number(m[1]), 100)
    // Wait until the attacker holds its slots.
    await eventually('flood established', () => (flood.opened() >= 100 ? true : undefined))
  })

  afterAll(async () => {
    flood?.stop()
    await bed?.stop()
  })

  it('honest peers from another address still connect (every dial of 20)', async () => {
    let ok = 0
    for (let i = 0; i < 20; i++) {
      const c: Libp2p = await startRawClient()
      try {
        await c.dial(multiaddr(loopbackAddr(node.multiaddrs)), { signal: AbortSignal.timeout(10_000) })
        ok++
      } catch {
        // counted as a failure
      } finally {
        await c.stop()
      }
    }
    expect(ok).toBe(20)
    // The attacker's surplus is refused by the per-IP budget, and said so.
    expect(await metricMatch(node, /rejected_total\{reason="connections-per-ip"\} (\d+)/)).toBeGreaterThan(0)
  })

  it('one identity keeps at most its share of connections', async () => {
    const c: Libp2p = await startRawClient()
    const limit = node.limits.connectionsPerPeer
    let opened = 0
    for (let i = 0; i < limit + 3; i++) {
      try {
        await c.dial(multiaddr(loopbackAddr(node.multiaddrs)), { force: true, signal: AbortSignal.timeout(10_000) })
        opened++
      } catch {
        // refused past the budget
      }
    }
    const held = await eventually('connections settled', () => {
      const n = node.stack.getConnections(c.peerId).length
      return n <= limit ? n : undefined
    })
    expect(held).toBeGreaterThan(0)
    expect(held).toBeLessThanOrEqual(limit)
    expect(opened).toBeGreaterThan(0)
    expect(await metricMatch(node, /rejected_total\{reason="connections-per-peer"\} (\d+)/)).toBeGreaterThan(0)
    await c.stop()
  })
})

describe('sockets that never finish their handshake are counted', () => {
  let bed: Bed | undefined
  const socks: Socket[] = []

  afterAll(async () => {
    for (const s of socks) s.destroy()
    await bed?.stop()
  })

  it('by the handshake slots they were refused, and by the handshake time they used up', async () => {
    bed = await startBed({ budgeted: true, clients: 0, limits: { pendingConnections: 4, handshakeTimeoutMs: 500 } })
    const node = bed.node
    const port = Number(/\/ip4\/127\.0\.0\.1\/tcp\/(\d+)/.exec(bed.addr)![1])
    // Six silent sockets at once: four take the node's handshake slots, two find them taken.
    for (let i = 0; i < 6; i++) {
      const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' })
      s.on('error', () => undefined)
      socks.push(s)
    }
    const refused = await eventually('slot refusals counted', async () => {
      const n = await metricMatch(node, /rejected_total\{reason="pending-connections"\} (\d+)/)
      return n >= 2 ? n : undefined
    })
    expect(refused).toBe(2)
    const timedOut = await eventually('handshake timeouts counted', async () => {
      const n = await metricMatch(node, /rejected_total\{reason="handshake-timeout"\} (\d+)/)
      return n >= 4 ? n : undefined
    })
    expect(timedOut).toBe(4)
    expect(await metricMatch(node, /rejected_total\{reason="handshake-failed"\} (\d+)/)).toBe(0)
    // An honest dial once the slots are free again is not counted as anything.
    const c = await startRawClient()
    await c.dial(multiaddr(loopbackAddr(node.multiaddrs)), { signal: AbortSignal.timeout(10_000) })
    await c.stop()
    expect(await metricMatch(node, /rejected_total\{reason="handshake-timeout"\} (\d+)/)).toBe(4)
    expect(await metricMatch(node, /rejected_total\{reason="handshake-failed"\} (\d+)/)).toBe(0)
  })
})
