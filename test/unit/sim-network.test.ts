import { describe, expect, it } from 'vitest'
import { Network, PASS, pickWeighted, type PacketRule } from '../../src/sim/network.js'
import { SeededRng } from '../../src/engine/rng.js'
import { parseRegionCsv, regionMatrix } from '../../src/netmodel/regions.js'
import type { Message } from '../../src/engine/types.js'

const MSG: Message = { kind: 'response', rpcId: 1, type: 'PING', closer: [], providers: [] }

function net(opts: { loss?: number; jitter?: number } = {}): Network {
  return new Network({
    regionOf: Uint8Array.from([0, 0, 1]),
    accessMs: Float32Array.from([5, 7, 11]),
    regionNames: ['a', 'b'],
    oneWayMs: Float64Array.from([10, 45, 45, 12]),
    jitterMedianMs: opts.jitter ?? 0,
    jitterSigma: 1,
    loss: opts.loss ?? 0,
    rng: new SeededRng('net-test'),
  })
}

describe('Network', () => {
  it('delay = region one-way + both access latencies (no jitter)', () => {
    const n = net()
    expect(n.route(0, 1, MSG, 0)).toBe(10 + 5 + 7)
    expect(n.route(0, 2, MSG, 0)).toBe(45 + 5 + 11)
    expect(n.route(2, 2, MSG, 0)).toBe(12 + 22)
  })

  it('adds a positive, skewed jitter', () => {
    const n = net({ jitter: 2 })
    const d = Array.from({ length: 4000 }, () => n.route(0, 1, MSG, 0) - 22).sort((a, b) => a - b)
    expect(d[0]!).toBeGreaterThan(0)
    const median = d[2000]!
    expect(median).toBeGreaterThan(1.8)
    expect(median).toBeLessThan(2.2)
    // Log-normal: mean above median, long right tail.
    expect(d[3960]! / median).toBeGreaterThan(5)
  })

  it('drops about `loss` of the packets, counted by reason', () => {
    const n = net({ loss: 0.2 })
    let dropped = 0
    for (let i = 0; i < 10_000; i++) if (n.route(0, 1, MSG, 0) < 0) dropped++
    expect(dropped / 10_000).toBeGreaterThan(0.18)
    expect(dropped / 10_000).toBeLessThan(0.22)
    expect(n.dropsByReason.get('loss')).toBe(dropped)
    expect(n.packetsSent).toBe(10_000)
    expect(n.packetsDropped).toBe(dropped)
  })

  it('applies rules in order; the first verdict that is not pass wins', () => {
    const n = net()
    const seen: number[] = []
    const passAll: PacketRule = (p) => {
      seen.push(p.toPeer)
      return PASS
    }
    const cutRegionB: PacketRule = (p) => (p.toRegion === 1 || p.fromRegion === 1 ? { verdict: 'drop', reason: 'partition' } : PASS)
    const slow: PacketRule = () => ({ verdict: 'delay', ms: 300 })
    const neverReached: PacketRule = () => {
      throw new Error('rules after a verdict must not run')
    }
    n.rules.push(passAll, cutRegionB, slow, neverReached)
    expect(n.route(0, 2, MSG, 0)).toBe(-1)
    expect(n.dropsByReason.get('partition')).toBe(1)
    expect(n.route(0, 1, MSG, 0)).toBe(22 + 300)
    expect(seen).toEqual([2, 1])
  })
})

describe('regions', () => {
  it('reads the bundled matrix: symmetric, NA diagonal filled with the median intra-region RTT', () => {
    const m = regionMatrix()
    expect(m.names).toContain('europe-west')
    const n = m.names.length
    const sa = m.names.indexOf('south-america')
    const ew = m.names.indexOf('europe-west')
    const nae = m.names.indexOf('north-america-east')
    expect(m.rttMs[ew * n + nae]).toBe(90)
    expect(m.rttMs[sa * n + sa]).toBe(22)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(m.rttMs[i * n + j]).toBe(m.rttMs[j * n + i])
  })

  it('rejects a malformed matrix', () => {
    expect(() => parseRegionCsv('region,a,b\na,1,2\n')).toThrow(/expected 2 rows/)
    expect(() => parseRegionCsv('region,a,b\na,1,x\nb,2,1\n')).toThrow(/bad value "x"/)
  })

  it('pickWeighted follows the weights', () => {
    const rng = new SeededRng('w')
    const counts = [0, 0, 0]
    for (let i = 0; i < 9000; i++) counts[pickWeighted(rng, [1, 2, 0])]!++
    expect(counts[2]).toBe(0)
    expect(counts[1]! / counts[0]!).toBeGreaterThan(1.8)
    expect(counts[1]! / counts[0]!).toBeLessThan(2.2)
  })
})
