// Fault building blocks on their own: target resolution, which links a target covers, rule
// ordering on the Network, and the CPU service queue.
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import type { Message } from '../../src/engine/types.js'
import { Network } from '../../src/sim/network.js'
import { onTargetLink, resolveGroups, resolveTarget, type PeerLayout } from '../../src/sim/faults/targets.js'
import { latencyRule, lossRule, partitionRule, ruleKey, RuleSet } from '../../src/sim/faults/rules.js'
import { CpuModel } from '../../src/sim/faults/cpu.js'
import { RejectLog, rejectMetricName } from '../../src/sim/faults/reject-log.js'
import { chaosIssues, chaosSchema } from '../../src/sim/faults/chaos-schema.js'

const n = 20
const layout: PeerLayout = {
  n,
  bootstraps: 2,
  regionOf: Uint8Array.from({ length: n }, (_, i) => i % 2),
  regionNames: ['europe-west', 'north-america-east'],
  adversary: Uint8Array.from({ length: n }, (_, i) => (i === 19 ? 1 : 0)),
}

function net(): Network {
  return new Network({
    regionOf: layout.regionOf,
    accessMs: new Float32Array(n).fill(5),
    regionNames: layout.regionNames,
    oneWayMs: Float64Array.from([10, 40, 40, 10]),
    jitterMedianMs: 0,
    jitterSigma: 0,
    loss: 0,
    rng: new SeededRng('n'),
  })
}

const req: Message = { kind: 'request', rpcId: 1, type: 'FIND_NODE', key: new Uint8Array(32), target: new Uint8Array(32), providers: [] }

describe('targets', () => {
  it('resolves bootstrap, region, fraction and groups (never attackers or bootstraps in a group)', () => {
    const rng = new SeededRng('t')
    const groups = resolveGroups([{ name: 'g', count: 5 }], layout, rng)
    const g = groups.get('g')!
    expect(g.kind === 'peers' && g.count).toBe(5)
    if (g.kind === 'peers') {
      expect(g.member[0]! + g.member[1]! + g.member[19]!).toBe(0)
    }
    const boot = resolveTarget('bootstrap', layout, groups, rng)
    expect(boot.kind === 'peers' && [...boot.member].slice(0, 3)).toEqual([1, 1, 0])
    const region = resolveTarget('region:north-america-east', layout, groups, rng)
    expect(region.kind === 'peers' && region.count).toBe(10)
    const frac = resolveTarget('fraction:0.5', layout, groups, rng)
    expect(frac.kind === 'peers' && frac.count).toBe(Math.round(0.5 * 17))
    expect(resolveTarget('replica:g', layout, groups, rng)).toBe(g)
  })

  it('touch covers every link with a target end; cut only links across the boundary', () => {
    const t = resolveTarget('bootstrap', layout, new Map(), new SeededRng('x'))
    // 0 and 1 are targets, 5 is not.
    expect(onTargetLink(t, 0, 1, 0, 1, 'both', 'touch')).toBe(true)
    expect(onTargetLink(t, 0, 1, 0, 1, 'both', 'cut')).toBe(false)
    expect(onTargetLink(t, 5, 0, 1, 0, 'inbound', 'cut')).toBe(true)
    expect(onTargetLink(t, 0, 5, 0, 1, 'inbound', 'cut')).toBe(false)
    expect(onTargetLink(t, 0, 5, 0, 1, 'outbound', 'touch')).toBe(true)
    expect(onTargetLink(t, 5, 6, 1, 0, 'both', 'touch')).toBe(false)
    expect(onTargetLink({ kind: 'inter-region' }, 5, 6, 1, 0, 'both', 'touch')).toBe(true)
    expect(onTargetLink({ kind: 'inter-region' }, 5, 7, 1, 1, 'both', 'touch')).toBe(false)
  })
})

describe('rules on the network', () => {
  it('orders partition before loss before latency, whatever the install order; removal restores', () => {
    const nw = net()
    const t = resolveTarget('bootstrap', layout, new Map(), new SeededRng('x'))
    const rs = new RuleSet(nw)
    const lat = latencyRule({ kind: 'inter-region' }, 'both', 300, 0, new SeededRng('l'))
    const cut = partitionRule(t, 'both', 'fault:cut')
    rs.install(ruleKey('latency', 0), lat)
    rs.install(ruleKey('partition', 1), cut)
    expect(nw.rules).toEqual([cut, lat])
    const base = nw.baseDelayMs(2, 3)
    expect(nw.route(0, 3, req, 0)).toBe(-1) // cut wins over latency
    expect(nw.route(2, 3, req, 0)).toBe(base + 300)
    rs.remove(cut)
    expect(nw.route(0, 3, req, 0)).toBe(nw.baseDelayMs(0, 3) + 300)
    rs.remove(lat)
    expect(nw.rules).toEqual([])
    expect(nw.route(2, 3, req, 0)).toBe(base)
    expect(nw.dropsByReason.get('fault:cut')).toBe(1)
  })

  it('loss drops about its share, from its own stream', () => {
    const nw = net()
    const t = resolveTarget('all', layout, new Map(), new SeededRng('x'))
    new RuleSet(nw).install(0, lossRule(t, 'both', 25, new SeededRng('loss'), 'fault:l'))
    let dropped = 0
    for (let i = 0; i < 4000; i++) if (nw.route(2, 3, req, i) < 0) dropped++
    expect(dropped / 4000).toBeGreaterThan(0.22)
    expect(dropped / 4000).toBeLessThan(0.28)
  })
})

describe('cpu service model', () => {
  it('queues work FIFO at service_ms per unit, drops beyond the backstop with a reason, drains after unpeg', () => {
    const log = new RejectLog()
    const cpu = new CpuModel(log)
    expect(cpu.waitMs(3, 0)).toBe(-1) // not pegged: no queue, handled at once
    const p = cpu.peg(3, 100, 2)
    expect(cpu.waitMs(3, 0)).toBe(0)
    expect(cpu.charge(3, 0, 1)).toBe(100)
    expect(cpu.charge(3, 0, 0.5)).toBe(150) // a cheaper piece of work takes less of the queue
    expect(cpu.waitMs(3, 0)).toBe(150)
    expect(cpu.ahead(3, 150)).toBe(2)
    expect(cpu.full(3, 0, 150)).toBe(false)
    expect(cpu.charge(3, 0, 1)).toBe(250)
    expect(cpu.full(3, 0, cpu.waitMs(3, 0))).toBe(true) // 2.5 units waiting: the backstop is full
    expect(cpu.full(4, 0, 0)).toBe(false)
    expect(log.counts(0, 1)).toEqual({ rejected_queue_full: 1 })
    expect(cpu.peakQueue).toBe(2)
    expect(cpu.dropped).toBe(1)
    cpu.unpeg(3, p)
    expect(cpu.waitMs(3, 50)).toBe(200) // queued work still drains
    expect(cpu.charge(3, 50, 1)).toBe(250) // at no further cost once unpegged
    expect(cpu.waitMs(3, 300)).toBe(-1)
  })

  it('names reject metrics by reason', () => {
    expect(rejectMetricName('rate-limited')).toBe('rejected_rate_limited')
    expect(rejectMetricName('overloaded')).toBe('rejected_overloaded')
  })
})

describe('chaos schema', () => {
  it('checks ids, group names and windows across fields', () => {
    const c = chaosSchema.parse({
      groups: [{ name: 'a', fraction: 0.1 }],
      faults: [
        { id: 'f', at_s: 10, for_s: 5, kind: 'loss', percent: 10, targets: 'group:b' },
        { id: 'f', at_s: 500, for_s: 5, kind: 'cpu', service_ms: 1, targets: 'inter-region' },
      ],
    })
    const msgs = chaosIssues(c, 100, 50, 2).map((i) => `${i.path.join('.')}: ${i.message}`)
    expect(msgs).toContain('faults.0.targets: names no group of this scenario ("b")')
    expect(msgs).toContain('faults.1.id: duplicate fault id "f"')
    expect(msgs).toContain('faults.1.at_s: must be < duration_s (100) (got 500)')
    expect(msgs.some((m) => m.startsWith('faults.1.targets: inter-region'))).toBe(true)
    expect(chaosSchema.safeParse({ faults: [{ id: 'x', at_s: 1, for_s: 1, kind: 'loss', percent: 10, targets: 'nowhere' }] }).success).toBe(false)
  })
})
