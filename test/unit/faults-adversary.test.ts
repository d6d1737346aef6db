// The adversary's pieces: who is an attacker, eclipse ids packed around the target, the
// colluders' "closest to X" directory, and the Sybil wrapper's misbehaviours.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { SeededRng } from '../../src/engine/rng.js'
import { commonPrefixLength, compareDistance } from '../../src/engine/ids.js'
import type { Contact, Input, Output, Request } from '../../src/engine/types.js'
import { adversarySchema } from '../../src/sim/faults/chaos-schema.js'
import { applyAdversaryPlan, ECLIPSE, idNear, planRoles, SYBIL } from '../../src/sim/adversary/plan.js'
import { Directory, SybilEngine } from '../../src/sim/adversary/sybil-engine.js'
import type { SimContact } from '../../src/sim/peers.js'

const contact = (i: number, id: Uint8Array): SimContact => ({ id, peer: `p${i}`, addrs: [`10.0.0.${i % 250}:9444`], ipGroup: '10.0.0', idx: i })

describe('adversary plan', () => {
  it('picks the fraction and the cluster among non-bootstrap peers, deterministically', () => {
    const spec = adversarySchema.parse({ fraction: 0.2, eclipse: { cluster: 10 } })
    const a = planRoles(spec, 200, 4, new SeededRng('s'))
    const b = planRoles(spec, 200, 4, new SeededRng('s'))
    expect([...a.role]).toEqual([...b.role])
    expect(a.role.slice(0, 4).every((r) => r === 0)).toBe(true)
    expect(a.role.filter((r) => r === SYBIL).length).toBe(Math.round(0.2 * 196))
    expect(a.role.filter((r) => r === ECLIPSE).length).toBe(10)
  })

  it('packs the eclipse cluster closer to the target than any honest peer and spreads addresses', () => {
    const rng = new SeededRng('x')
    const n = 500
    const contacts: SimContact[] = []
    for (let i = 0; i < n; i++) contacts.push(contact(i, rng.fork(`id/${i}`).bytes(32)))
    const key = rng.fork('key').bytes(32)
    const spec = adversarySchema.parse({ fraction: 0.1, addresses: 'concentrated', address_groups: 3, eclipse: { cluster: 20 } })
    const plan = applyAdversaryPlan(contacts, planRoles(spec, n, 4, rng), spec, key, rng)
    const cluster = contacts.filter((_, i) => plan.role[i] === ECLIPSE)
    const honest = contacts.filter((_, i) => plan.role[i] === 0)
    const nearestHonest = honest.reduce((best, c) => (compareDistance(c.id, best.id, key) < 0 ? c : best))
    for (const c of cluster) {
      expect(commonPrefixLength(c.id, key)).toBeGreaterThanOrEqual(Math.ceil(Math.log2(n)) + 8)
      expect(compareDistance(c.id, nearestHonest.id, key)).toBeLessThan(0)
    }
    expect(new Set(cluster.map((c) => c.ipGroup)).size).toBeGreaterThan(15) // spread
    const sybilGroups = new Set(contacts.filter((_, i) => plan.role[i] === SYBIL).map((c) => c.ipGroup))
    expect(sybilGroups.size).toBeLessThanOrEqual(3) // concentrated
  })

  it('idNear keeps exactly the requested prefix bits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 255 }), fc.string(), (t, bits, seed) => {
        expect(commonPrefixLength(idNear(t, bits, new SeededRng(seed)), t)).toBeGreaterThanOrEqual(bits)
      }),
    )
  })
})

describe('colluder directory', () => {
  it('returns exactly the k colluders closest to any target', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.string(), fc.integer({ min: 1, max: 25 }), (n, seed, k) => {
        const rng = new SeededRng(seed)
        const cs: Contact[] = []
        for (let i = 0; i < n; i++) cs.push(contact(i, rng.bytes(32)))
        const target = rng.bytes(32)
        const got = new Directory(cs).closest(target, k)
        const want = [...cs].sort((a, b) => compareDistance(a.id, b.id, target)).slice(0, k)
        expect(got.map((c) => c.peer)).toEqual(want.map((c) => c.peer))
      }),
      { numRuns: 60 },
    )
  })
})

describe('Sybil wrapper', () => {
  const rng = new SeededRng('w')
  const colluders: Contact[] = []
  for (let i = 0; i < 30; i++) colluders.push(contact(100 + i, rng.bytes(32)))
  const self = colluders[0]!
  const honest = contact(1, rng.bytes(32))
  const asker = contact(2, rng.bytes(32))
  /** A fake engine: answers every request with the honest contact and provider, deadline 5000. */
  const inner = {
    step(_now: number, input: Input): Output {
      if (input.kind === 'message' && input.msg.kind === 'request') {
        const m = input.msg
        if (m.type === 'ADD_PROVIDER') return { sends: [], events: [], nextDeadlineMs: 5000 }
        return { sends: [{ to: input.from, msg: { kind: 'response', rpcId: m.rpcId, type: m.type, closer: [honest], providers: [honest] } }], events: [], nextDeadlineMs: 5000 }
      }
      return { sends: [], events: [], nextDeadlineMs: 5000 }
    },
  }
  const req = (type: Request['type'], rpcId: number): Input => ({ kind: 'message', from: asker, msg: { kind: 'request', rpcId, type, key: self.id, target: self.id, providers: [asker] } })

  it('misroutes to colluders only, hides providers, refuses to store, answers PING', () => {
    const b = adversarySchema.parse({ behaviours: { misroute: true, providers: 'none', store: false } }).behaviours
    const s = new SybilEngine(inner, self, new Directory(colluders), b, new SeededRng('r'), 20)
    const fn = s.step(0, req('FIND_NODE', 1)).sends[0]!.msg
    expect(fn.kind === 'response' && fn.closer.length).toBe(20)
    if (fn.kind === 'response') for (const c of fn.closer) expect(colluders.includes(c) && c !== self).toBe(true)
    const gp = s.step(0, req('GET_PROVIDERS', 2)).sends[0]!.msg
    expect(gp.kind === 'response' && gp.providers.length).toBe(0)
    expect(s.step(0, req('ADD_PROVIDER', 3)).sends).toEqual([])
    const ping = s.step(0, req('PING', 4)).sends[0]!.msg
    expect(ping.kind === 'response' && ping.closer).toEqual([honest])
  })

  it('fakes providers with colluders when told to', () => {
    const b = adversarySchema.parse({ behaviours: { providers: 'fake' } }).behaviours
    const s = new SybilEngine(inner, self, new Directory(colluders), b, new SeededRng('r'), 20)
    const gp = s.step(0, req('GET_PROVIDERS', 2)).sends[0]!.msg
    expect(gp.kind === 'response' && gp.providers.length).toBe(3)
    if (gp.kind === 'response') for (const p of gp.providers) expect(colluders.includes(p)).toBe(true)
  })

  it('drops requests with the given probability and delays answers when slow', () => {
    const drop = new SybilEngine(inner, self, new Directory(colluders), adversarySchema.parse({ behaviours: { drop: 1 } }).behaviours, new SeededRng('r'), 20)
    expect(drop.step(0, req('FIND_NODE', 1)).sends).toEqual([])
    const slow = new SybilEngine(inner, self, new Directory(colluders), adversarySchema.parse({ behaviours: { slow_ms: 400 } }).behaviours, new SeededRng('r'), 20)
    const first = slow.step(100, req('FIND_NODE', 1))
    expect(first.sends).toEqual([])
    expect(first.nextDeadlineMs).toBe(500)
    expect(slow.step(499, { kind: 'timer' }).sends).toEqual([])
    const later = slow.step(500, { kind: 'timer' })
    expect(later.sends.length).toBe(1)
    expect(later.nextDeadlineMs).toBe(5000)
  })
})
