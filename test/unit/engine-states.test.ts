// Named candidate states and their one transition table; inputs the engine has no use for are
// counted, not dropped unseen; a broken invariant stops the engine with an InvariantError.
import { describe, expect, it } from 'vitest'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import { SeededRng } from '../../src/engine/rng.js'
import { InvariantError } from '../../src/engine/errors.js'
import type { Contact, Request } from '../../src/engine/types.js'
import { ANSWERED, FAILED, INFLIGHT, SLOW, SUSPECT, WAITING, moveTo } from '../../src/engine/query/candidate-state.js'
import type { CandidateState } from '../../src/engine/query/candidate-state.js'
import { Mesh } from '../helpers/mesh.js'

function contact(label: string): Contact {
  return { id: new SeededRng(label).bytes(32), peer: label, addrs: [], ipGroup: label }
}

describe('lookup candidate states', () => {
  const cand = (state: CandidateState) => ({ contact: contact('c'), state })

  it('allows the moves of the table', () => {
    const moves: [CandidateState, CandidateState][] = [
      [WAITING, INFLIGHT], [INFLIGHT, ANSWERED], [INFLIGHT, SLOW], [INFLIGHT, FAILED], [SLOW, ANSWERED], [SLOW, FAILED],
      [WAITING, SUSPECT], [INFLIGHT, SUSPECT], [SLOW, SUSPECT], [ANSWERED, SUSPECT], [FAILED, SUSPECT],
    ]
    for (const [from, to] of moves) {
      const c = cand(from)
      moveTo(c, to)
      expect(c.state).toBe(to)
    }
  })

  it('throws on any move not in the table, naming both states', () => {
    const c = cand(ANSWERED)
    expect(() => moveTo(c, INFLIGHT)).toThrow(InvariantError)
    expect(() => moveTo(c, INFLIGHT)).toThrow('no transition answered -> inflight')
    expect(c.state).toBe(ANSWERED)
    for (const [from, to] of [[WAITING, ANSWERED], [FAILED, ANSWERED], [SUSPECT, WAITING], [SLOW, INFLIGHT], [WAITING, WAITING]] as const) {
      expect(() => moveTo(cand(from), to)).toThrow(InvariantError)
    }
  })

  it('keeps every candidate move inside the table through real lookups (the mesh checks invariants every 7 steps)', () => {
    // Far peers turn queries Slow and hedged; dead ones make them fail.
    const mesh = new Mesh({ n: 60, seed: 'states', far: new Set([3, 4, 5, 6, 7, 8]), farExtraMs: 400 })
    mesh.startAll()
    mesh.runUntil(10_000)
    for (const d of [10, 11, 12, 13]) mesh.dead.add(d)
    const rng = new SeededRng('t')
    for (let t = 0; t < 30; t++) mesh.lookup(20 + t, t % 3 === 0 ? 'GET_PROVIDERS' : 'FIND_NODE', rng.bytes(32), t)
    mesh.runUntil(60_000)
    expect(mesh.results()).toHaveLength(30)
    for (const e of mesh.nodes) expect(e.checkInvariants()).toBeUndefined()
  })
})

describe('inputs the engine has no use for', () => {
  const mk = () => new DhtEngine({ self: contact('me'), config: engineConfig(), rng: new SeededRng(1) })

  it('counts a second start and inputs after stop', () => {
    const e = mk()
    e.step(0, { kind: 'start', bootstraps: [contact('boot')] })
    e.step(1, { kind: 'start', bootstraps: [contact('boot')] })
    expect(e.ignoredInputs().repeatedStart).toBe(1)
    e.step(2, { kind: 'stop' })
    const out = e.step(3, { kind: 'timer' })
    e.step(4, { kind: 'lookup', op: 'FIND_NODE', key: contact('x').id, target: contact('x').id, tag: 1 })
    expect(out.sends).toHaveLength(0)
    expect(e.ignoredInputs().afterStop).toBe(2)
  })

  it('counts a transport failure and a response that match no pending request', () => {
    const e = mk()
    const boot = contact('boot')
    const start = e.step(0, { kind: 'start', bootstraps: [boot] })
    const join = start.sends.find((s) => s.msg.kind === 'request')!.msg as Request
    e.step(1, { kind: 'rpc-failed', to: contact('other'), rpcId: join.rpcId, reason: 'x' })
    e.step(1, { kind: 'rpc-failed', to: boot, rpcId: join.rpcId + 1000, reason: 'x' })
    expect(e.ignoredInputs().unknownRpcFailure).toBe(2)
    e.step(2, { kind: 'message', from: boot, msg: { kind: 'response', rpcId: join.rpcId + 1000, type: 'FIND_NODE', closer: [], providers: [] } })
    expect(e.ignoredInputs().lateResponse).toBe(1)
  })
})

describe('invariant checks while running', () => {
  it('a check that finds nothing broken passes on a fresh and a joined engine', () => {
    const e = new DhtEngine({ self: contact('me'), config: engineConfig(), rng: new SeededRng(1), checkInvariantsEvery: 1 })
    const boot = contact('boot')
    const start = e.step(0, { kind: 'start', bootstraps: [boot] })
    const join = start.sends.find((s) => s.msg.kind === 'request')!.msg as Request
    e.step(5, { kind: 'message', from: boot, msg: { kind: 'response', rpcId: join.rpcId, type: join.type, closer: [contact('a'), contact('b')], providers: [] } })
    expect(e.checkInvariants()).toBeUndefined()
  })

  it('a broken invariant throws an InvariantError naming the peer, the time and what broke', () => {
    const e = new DhtEngine({ self: contact('me'), config: engineConfig(), rng: new SeededRng(1), checkInvariantsEvery: 2 })
    e.step(0, { kind: 'start', bootstraps: [contact('boot')] })
    // Break the engine's bookkeeping from outside (nothing inside may do this).
    ;(e as unknown as { core: { bootstrapCount: number } }).core.bootstrapCount = 5
    expect(e.checkInvariants()).toMatch(/bootstrap bookkeeping/)
    expect(() => e.step(10, { kind: 'timer' })).toThrow(/engine of me at 10 ms: bootstrap bookkeeping: 1 bootstraps, count 5/)
  })
})

describe('stop', () => {
  it('ends every running and queued user lookup with "stopped", and starts none', () => {
    const cfg = engineConfig({ maxInflightLookups: 1, maxQueuedLookups: 4 })
    const e = new DhtEngine({ self: contact('me'), config: cfg, rng: new SeededRng(1), checkInvariantsEvery: 1 })
    const boot = contact('boot')
    const start = e.step(0, { kind: 'start', bootstraps: [boot] })
    const join = start.sends.find((s) => s.msg.kind === 'request')!.msg as Request
    e.step(5, { kind: 'message', from: boot, msg: { kind: 'response', rpcId: join.rpcId, type: join.type, closer: [contact('a')], providers: [] } })
    for (let t = 1; t <= 3; t++) e.step(10, { kind: 'lookup', op: 'FIND_NODE', key: contact(`k${t}`).id, target: contact(`k${t}`).id, tag: t })
    expect(e.stats(10).queuedLookups).toBeGreaterThan(0)
    const out = e.step(20, { kind: 'stop' })
    expect(out.sends).toHaveLength(0)
    const done = out.events.filter((ev) => ev.kind === 'lookup-done')
    expect(done.map((ev) => (ev.kind === 'lookup-done' ? [ev.tag, ev.error] : [])).sort()).toEqual([[1, 'stopped'], [2, 'stopped'], [3, 'stopped']])
    expect(e.stats(20).inflightLookups).toBe(0)
    expect(e.checkInvariants()).toBeUndefined()
  })
})
