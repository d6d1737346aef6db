// Undialable and data-centre peers (reachability.ts) and what the network does with them: a
// request to an undialable peer is dropped as "unreachable" (the sender times out), its answers
// and its own requests pass, and with the stack model a connection it opened itself carries
// requests to it too. Placement draws from its own streams: seeded, and reproducible.
import { describe, expect, it } from 'vitest'
import { Network } from '../../src/sim/network.js'
import { SeededRng } from '../../src/engine/rng.js'
import { stackSpec } from '../../src/netmodel/stack.js'
import { pickUnreachable, placeHosted } from '../../src/sim/reachability.js'
import type { Message } from '../../src/engine/types.js'

const REQ: Message = { kind: 'request', rpcId: 1, type: 'FIND_NODE', key: new Uint8Array(32) } as unknown as Message
const RESP: Message = { kind: 'response', rpcId: 1, type: 'PING', closer: [], providers: [] }

function net(stack: boolean): Network {
  return new Network({
    regionOf: Uint8Array.from([0, 0, 0]),
    accessMs: Float32Array.from([5, 7, 11]),
    regionNames: ['a'],
    oneWayMs: Float64Array.from([10]),
    jitterMedianMs: 0,
    jitterSigma: 1,
    loss: 0,
    rng: new SeededRng('reach'),
    unreachable: Uint8Array.from([0, 1, 0]),
    ...(stack ? { stack: stackSpec() } : {}),
  })
}

describe('undialable peers on the network', () => {
  it('requests to them are dropped as "unreachable"; their answers and their own requests pass', () => {
    const n = net(false)
    expect(n.route(0, 1, REQ, 0)).toBe(-1)
    expect(n.dropsByReason.get('unreachable')).toBe(1)
    expect(n.route(1, 0, REQ, 0)).toBe(10 + 7 + 5)
    expect(n.route(0, 1, RESP, 0)).toBe(10 + 5 + 7)
    expect(n.route(0, 2, REQ, 0)).toBe(10 + 5 + 11)
    expect(n.packetsDropped).toBe(1)
  })

  it('with the stack model, a connection the undialable peer opened carries requests to it', () => {
    const n = net(true)
    expect(n.route(0, 1, REQ, 0)).toBe(-1)
    expect(n.stack!.connected(0, 1)).toBe(false)
    expect(n.route(1, 0, REQ, 0)).toBeGreaterThan(0) // it dials out: the connection is up
    expect(n.route(0, 1, REQ, 1000)).toBeGreaterThan(0)
    expect(n.dropsByReason.get('unreachable')).toBe(1)
    n.stack!.closeAll(1)
    expect(n.route(0, 1, REQ, 2000)).toBe(-1)
  })
})

describe('placement', () => {
  it('unreachable: about the share of non-bootstrap, non-hosted peers; never a bootstrap or a hosted peer', () => {
    const hosted = new Uint8Array(10_000)
    for (let i = 0; i < hosted.length; i += 4) hosted[i] = 1
    const u = pickUnreachable(new SeededRng('u'), 10_000, 10, 0.3, hosted)
    let n = 0
    for (let i = 0; i < u.length; i++) {
      if (i < 10 || hosted[i] === 1) expect(u[i]).toBe(0)
      n += u[i]!
    }
    expect(n / (10_000 * 0.75)).toBeGreaterThan(0.28)
    expect(n / (10_000 * 0.75)).toBeLessThan(0.32)
    expect(pickUnreachable(new SeededRng('u'), 10_000, 10, 0.3, hosted)).toEqual(u)
  })

  it('hosted: the share gets the hosted access latency, the others keep theirs', () => {
    const access = new Float32Array(10_000).fill(20)
    const h = placeHosted(new SeededRng('h'), access, 0.3, { median: 1, sigma: 0 })
    let n = 0
    for (let i = 0; i < access.length; i++) {
      expect(access[i]).toBe(h[i] === 1 ? 1 : 20)
      n += h[i]!
    }
    expect(n / 10_000).toBeGreaterThan(0.28)
    expect(n / 10_000).toBeLessThan(0.32)
  })
})
