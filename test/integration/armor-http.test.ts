// The HTTP listener under abuse, on 127.0.0.1: silent sockets are closed after the idle time,
// connections beyond the cap are closed at accept, and an oversized body is refused with 413
// and the connection closed without reading the upload.
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DhtNode } from '../../src/node/dht-node.js'
import { startBed, type Bed } from '../helpers/armor-bed.js'
import { eventually, httpUrl } from './helpers.js'

function openSocket(port: number): { sock: Socket; closed: () => boolean; data: () => string } {
  const sock = connect({ host: '127.0.0.1', port })
  let closed = false
  let data = ''
  sock.on('error', () => undefined)
  sock.on('data', (d) => (data += d.toString('latin1')))
  sock.on('close', () => (closed = true))
  return { sock, closed: () => closed, data: () => data }
}

describe('HTTP connections are budgeted', () => {
  const beds: Bed[] = []
  let quick: DhtNode
  let capped: DhtNode

  beforeAll(async () => {
    beds.push(await startBed({ clients: 0, limits: { httpIdleTimeoutMs: 1_000 } }), await startBed({ clients: 0, limits: { httpConnections: 8, httpIdleTimeoutMs: 60_000 } }))
    quick = beds[0]!.node
    capped = beds[1]!.node
  })

  afterAll(async () => {
    await Promise.allSettled(beds.map((b) => b.stop()))
  })

  it('a socket that never sends a request is closed after the idle time', async () => {
    const socks = Array.from({ length: 5 }, () => openSocket(quick.httpPort))
    // Node's default sweep runs every 30 s; the node sweeps every second.
    await eventually('silent sockets closed', () => (socks.every((s) => s.closed()) ? true : undefined), 10_000)
    expect((await fetch(httpUrl(quick, '/healthz'))).status).toBe(200)
  })

  it('connections beyond the cap are closed at accept and counted', async () => {
    const socks = Array.from({ length: 12 }, () => openSocket(capped.httpPort))
    const refused = await eventually('extra sockets closed', () => {
      const n = socks.filter((s) => s.closed()).length
      return n >= 4 ? n : undefined
    })
    expect(refused).toBeGreaterThanOrEqual(4)
    expect(socks.filter((s) => !s.closed()).length).toBeLessThanOrEqual(8)
    for (const s of socks) s.sock.destroy()
    const text = await eventually('metrics after the flood', async () => {
      try {
        return await (await fetch(httpUrl(capped, '/metrics'))).text()
      } catch {
        return undefined
      }
    })
    expect(Number(/rejected_total\{reason="http-connections"\} (\d+)/.exec(text)?.[1] ?? 0)).toBeGreaterThanOrEqual(4)
  })

  it('a 64 MB body is refused from its Content-Length and the upload is not read', async () => {
    const total = 64 << 20
    const s = openSocket(capped.httpPort)
    s.sock.write(`POST /v1/providers/b3:${'ab'.repeat(32)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`)
    // Upload as fast as the node takes it: a node that drains the body takes all of it.
    const chunk = Buffer.alloc(256 * 1024, 0x20)
    let sent = 0
    while (sent < total && !s.closed() && !s.sock.destroyed) {
      const more = s.sock.write(chunk)
      sent += chunk.length
      if (!more) {
        await new Promise<void>((r) => {
          s.sock.once('drain', r)
          s.sock.once('close', r)
        })
      }
    }
    await eventually('closed', () => (s.closed() ? true : undefined), 10_000)
    expect(s.data()).toMatch(/^HTTP\/1\.1 413/)
    expect(sent).toBeLessThan(total)
  })
})
