// coalesceSocketWrites: the writes of one event-loop turn are held (corked) and flushed together
// after the turn; bytes and their order are unchanged.
import { createServer, connect, type Socket, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { coalesceSocketWrites } from '../../src/node/host/coalesce-writes.js'

let server: Server | undefined
const sockets: Socket[] = []

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
  server = undefined
})

/** A connected pair on 127.0.0.1: [client (writes coalesced), server side (collects bytes)]. */
async function pair(): Promise<{ out: Socket; received: () => Buffer }> {
  const chunks: Buffer[] = []
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer((s) => {
      s.on('data', (d: Buffer) => chunks.push(d))
      resolve(s)
    })
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()))
  const port = (server!.address() as { port: number }).port
  const out = connect(port, '127.0.0.1')
  await new Promise<void>((r) => out.once('connect', () => r()))
  sockets.push(out, await accepted)
  coalesceSocketWrites(out)
  return { out, received: () => Buffer.concat(chunks) }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('coalesceSocketWrites', () => {
  it('holds the writes of a turn, including those from microtasks, and flushes them after it', async () => {
    const { out } = await pair()
    out.write(Buffer.from('a'))
    expect(out.writableCorked).toBe(1)
    await Promise.resolve()
    out.write(Buffer.from('b')) // a later microtask of the same turn: still held
    expect(out.writableLength).toBe(2)
    await turn()
    expect(out.writableCorked).toBe(0)
  })

  it('delivers every byte in order across many turns', async () => {
    const { out, received } = await pair()
    const sent: Buffer[] = []
    for (let t = 0; t < 20; t++) {
      for (let i = 0; i < 5; i++) {
        const b = Buffer.from(`${t}:${i};`)
        sent.push(b)
        out.write(b)
      }
      await turn()
    }
    const all = Buffer.concat(sent)
    for (let i = 0; i < 200 && received().length < all.length; i++) await new Promise((r) => setTimeout(r, 5))
    expect(received().equals(all)).toBe(true)
  })

  it('does not cork a destroyed socket', async () => {
    const { out } = await pair()
    out.destroy()
    out.write(Buffer.from('x'), () => undefined)
    expect(out.writableCorked).toBe(0)
  })
})
