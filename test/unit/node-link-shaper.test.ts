// The node's link shaper: the simulator's latency model and link faults, per remote peer.
import { describe, expect, it } from 'vitest'
import { DROP, ShaperInputError, UserSpaceShaper, type PeerPlace } from '../../src/node/shaper/link-shaper.js'
import { faultSchema, type FaultSpec } from '../../src/netmodel/faults.js'
import { regionMatrix } from '../../src/netmodel/regions.js'

const fault = (f: Record<string, unknown>): FaultSpec => faultSchema.parse({ at_s: 0, for_s: 60, ...f })

function rtt(a: string, b: string): number {
  const m = regionMatrix()
  return m.rttMs[m.names.indexOf(a) * m.names.length + m.names.indexOf(b)]!
}

function make(opts: { now?: () => number; ingress?: boolean } = {}): UserSpaceShaper {
  const dir = new Map<string, PeerPlace>([
    ['boot', { region: 'europe-west', accessMs: 1, bootstrap: true }],
    ['far', { region: 'north-america-east', accessMs: 3 }],
    ['near', { region: 'europe-west', accessMs: 2, groups: ['replica-b'] }],
  ])
  return new UserSpaceShaper({ self: 'me', place: { region: 'europe-west', accessMs: 2 }, directory: dir, jitter: { median: 0, sigma: 0 }, ...opts })
}

describe('link shaper', () => {
  it('holds a frame for the modelled one-way delay: RTT/2 of the regions plus both access latencies', () => {
    const s = make()
    expect(s.outbound('far')).toBeCloseTo(rtt('europe-west', 'north-america-east') / 2 + 2 + 3, 9)
    expect(s.outbound('near')).toBeCloseTo(rtt('europe-west', 'europe-west') / 2 + 2 + 2, 9)
    // A peer the directory does not list gets no base latency (faults still apply).
    expect(s.outbound('stranger')).toBe(0)
  })

  it('adds jitter from the same log-normal as the simulator (never negative, varies per frame)', () => {
    const s = new UserSpaceShaper({ self: 'me', place: { region: 'europe-west', accessMs: 0 }, directory: new Map([['p', { region: 'europe-west', accessMs: 0 }]]), jitter: { median: 1, sigma: 1 }, seed: 's' })
    const base = rtt('europe-west', 'europe-west') / 2
    const v = Array.from({ length: 50 }, () => s.outbound('p') - base)
    expect(Math.min(...v)).toBeGreaterThan(0)
    expect(new Set(v).size).toBe(50)
  })

  it('cuts the links between a partitioned group and the rest, both ways, and refuses dials across', () => {
    const s = make()
    s.inject(fault({ id: 'cut', kind: 'partition', targets: 'replica:replica-b' }))
    expect(s.outbound('near')).toBe(DROP)
    expect(s.outbound('far')).toBeGreaterThan(0)
    expect(s.dialAllowed('near')).toBe(false)
    expect(s.dialAllowed('far')).toBe(true)
    expect(s.drops.get('cut')).toBe(1)
    expect(s.clear('cut')).toBe(true)
    expect(s.outbound('near')).toBeGreaterThan(0)
    expect(s.dialAllowed('near')).toBe(true)
  })

  it('an inbound partition drops only what goes into the group', () => {
    const s = make({ ingress: true })
    s.inject(fault({ id: 'in', kind: 'partition', direction: 'inbound', targets: 'bootstrap' }))
    expect(s.outbound('boot')).toBe(DROP) // me -> bootstrap: into the group
    expect(s.inbound('boot')).toBe(0) // bootstrap -> me: out of it
    expect(s.dialAllowed('boot')).toBe(false)
  })

  it('loses the given share of frames on the target links, from its own seeded stream', () => {
    const count = (): number => {
      const s = make()
      s.inject(fault({ id: 'l', kind: 'loss', percent: 50, targets: 'bootstrap' }))
      let dropped = 0
      for (let i = 0; i < 1000; i++) if (s.outbound('boot') === DROP) dropped++
      for (let i = 0; i < 100; i++) expect(s.outbound('far')).not.toBe(DROP)
      return dropped
    }
    const d = count()
    expect(d).toBeGreaterThan(400)
    expect(d).toBeLessThan(600)
    expect(count()).toBe(d)
  })

  it('a latency fault adds its delay; a partition decides before it whatever the injection order', () => {
    const s = make()
    const base = s.outbound('far')
    s.inject(fault({ id: 'slow', kind: 'latency', add_ms: 300, targets: 'inter-region' }))
    expect(s.outbound('far')).toBeCloseTo(base + 300, 9)
    expect(s.outbound('near')).toBeCloseTo(rtt('europe-west', 'europe-west') / 2 + 4, 9)
    s.inject(fault({ id: 'cut', kind: 'partition', targets: 'region:north-america-east' }))
    expect(s.outbound('far')).toBe(DROP)
  })

  it('removes a fault when its for_s has passed', () => {
    let t = 0
    const s = make({ now: () => t })
    s.inject(fault({ id: 'cut', kind: 'partition', targets: 'region:europe-west', direction: 'outbound', for_s: 10 }))
    expect(s.outbound('far')).toBe(DROP)
    expect(s.list()).toEqual([{ id: 'cut', kind: 'partition', targets: 'region:europe-west', remaining_s: 10 }])
    t = 10_000
    expect(s.outbound('far')).toBeGreaterThan(0)
    expect(s.list()).toEqual([])
  })

  it('targets explicit members when given, and shapes received requests only with ingress on', () => {
    const off = make()
    off.inject(fault({ id: 'l', kind: 'loss', percent: 100, targets: 'fraction:0.5' }), ['far'])
    expect(off.outbound('far')).toBe(DROP)
    expect(off.outbound('near')).not.toBe(DROP)
    expect(off.inbound('far')).toBe(0)
    const on = make({ ingress: true })
    on.inject(fault({ id: 'l', kind: 'loss', percent: 100, targets: 'all' }))
    expect(on.inbound('far')).toBe(DROP)
  })

  it('applies the uniform base loss of the scenario to every frame sent', () => {
    const s = new UserSpaceShaper({ self: 'me', loss: 0.2, seed: 'l' })
    let dropped = 0
    for (let i = 0; i < 1000; i++) if (s.outbound('x') === DROP) dropped++
    expect(dropped).toBeGreaterThan(150)
    expect(dropped).toBeLessThan(250)
    expect(s.drops.get('loss')).toBe(dropped)
  })

  it('refuses what it cannot apply, naming the field', () => {
    const s = make()
    expect(() => s.inject(fault({ id: 'c', kind: 'cpu', service_ms: 5, targets: 'all' }))).toThrow(ShaperInputError)
    expect(() => s.inject(fault({ id: 'c', kind: 'cpu', service_ms: 5, targets: 'all' }))).toThrow(/^kind: /)
    expect(() => s.inject(fault({ id: 'f', kind: 'loss', percent: 5, targets: 'fraction:0.1' }))).toThrow(/^targets: fraction:0\.1 needs an explicit "members"/)
    expect(() => new UserSpaceShaper({ self: 'x', place: { region: 'atlantis' } })).toThrow(/unknown region "atlantis"/)
  })
})
