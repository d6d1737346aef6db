import { describe, expect, it } from 'vitest'
import { RoutingTable } from '../../src/engine/routing-table.js'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, Request } from '../../src/engine/types.js'
import { LIVENESS_CHECK_AFTER_MS } from '../../src/engine/constants.js'

const self = new Uint8Array(32) // all zeros
/** A contact in bucket 0 (first bit set) with a distinct tail. */
const far = (i: number, group = `10.0.${i}`): Contact => {
  const id = new Uint8Array(32)
  id[0] = 0x80
  id[31] = i
  return { id, peer: `p${i}`, addrs: [], ipGroup: group }
}
/** A minute after a head silent since 0 becomes due for a liveness check. */
const T0 = LIVENESS_CHECK_AFTER_MS + 60_000
const noPolicy = { maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity }

describe('k-bucket', () => {
  it('keeps least-recently-seen order and moves a seen contact to the tail', () => {
    const t = new RoutingTable(self, 3, 2, noPolicy)
    for (const i of [1, 2, 3]) expect(t.observe(far(i), i).kind).toBe('added')
    expect(t.observe(far(1), 10).kind).toBe('updated')
    const r = t.observe(far(4), 11)
    expect(r.kind).toBe('full')
    if (r.kind === 'full') expect(r.head.contact.peer).toBe('p2') // p2 is now the stalest
    expect(t.all().map((c) => c.peer)).toEqual(['p2', 'p3', 'p1'])
  })

  it('counts failures beside the id prefix: up to 0xffff, cleared when heard from, the order by distance unchanged', () => {
    const t = new RoutingTable(self, 2, 0, noPolicy)
    t.observe(far(1), 1)
    t.observe(far(2), 2)
    const head = (): { peer: string; failures: number } => {
      const e = t.headEntry(0)
      return { peer: e.contact.peer, failures: e.failures }
    }
    for (let i = 0; i < 70_000; i++) expect(t.fail(far(1), 3, Infinity)).toBe(false)
    expect(head()).toEqual({ peer: 'p1', failures: 0xffff })
    // A suspect is left out of closest() when asked; the other keeps its place by distance.
    expect(t.closest(far(0).id, 2).map((c) => c.peer)).toEqual(['p1', 'p2'])
    expect(t.closestSet(far(0).id, 2, undefined, true, 3).map((c) => c.peer)).toEqual(['p2'])
    t.observe(far(1), 4)
    expect(t.headEntry(0).failures).toBe(0)
    expect(t.closestSet(far(0).id, 2, undefined, true, 4).map((c) => c.peer).sort()).toEqual(['p1', 'p2'])
  })

  it('evicts a failed head and promotes the freshest replacement', () => {
    const t = new RoutingTable(self, 2, 2, noPolicy)
    t.observe(far(1), 1)
    t.observe(far(2), 2)
    t.observe(far(3), 3) // replacement
    t.observe(far(4), 4) // replacement (freshest)
    t.observe(far(5), 5) // pushes p3 out of the 2-slot cache
    expect(t.fail(far(1), 6, 2)).toBe(false) // one failure is tolerated
    expect(t.fail(far(1), 7, 2)).toBe(true)
    expect(t.all().map((c) => c.peer)).toEqual(['p2', 'p5'])
    expect(t.fail(far(2), 8, 2, true)).toBe(true)
    expect(t.all().map((c) => c.peer)).toEqual(['p5', 'p4'])
    expect(t.checkInvariants()).toBeUndefined()
  })

  it('applies the /24 diversity filter per bucket and per table', () => {
    const t = new RoutingTable(self, 20, 2, { maxPerGroupPerBucket: 2, maxPerGroupPerTable: 3 })
    expect(t.observe(far(1, 'g'), 1).kind).toBe('added')
    expect(t.observe(far(2, 'g'), 1).kind).toBe('added')
    expect(t.observe(far(3, 'g'), 1)).toEqual({ kind: 'rejected', reason: 'diversity-bucket' })
    const near = (i: number): Contact => ({ id: Uint8Array.from({ length: 32 }, (_, j) => (j === 0 ? 0x40 : j === 31 ? i : 0)), peer: `n${i}`, addrs: [], ipGroup: 'g' })
    expect(t.observe(near(1), 1).kind).toBe('added')
    expect(t.observe(near(2), 1)).toEqual({ kind: 'rejected', reason: 'diversity-table' })
  })

  it('applies the /16 limits per bucket and per table to contacts from distinct /24s of one /16', () => {
    const t = new RoutingTable(self, 20, 2, { maxPerGroupPerBucket: 2, maxPerGroupPerTable: 10, maxPer16PerBucket: 3, maxPer16PerTable: 4 })
    for (const i of [1, 2, 3]) expect(t.observe(far(i, `11.7.${i}`), 1).kind).toBe('added')
    expect(t.observe(far(4, '11.7.4'), 1)).toEqual({ kind: 'rejected', reason: 'diversity-bucket' })
    // Another /16 whose name starts alike is another group.
    expect(t.observe(far(5, '11.70.5'), 1).kind).toBe('added')
    const near = (i: number, g: string): Contact => ({ id: Uint8Array.from({ length: 32 }, (_, j) => (j === 0 ? 0x40 : j === 31 ? i : 0)), peer: `n${i}`, addrs: [], ipGroup: g })
    expect(t.observe(near(1, '11.7.9'), 1).kind).toBe('added')
    expect(t.observe(near(2, '11.7.10'), 1)).toEqual({ kind: 'rejected', reason: 'diversity-table' })
    // A contact that leaves frees its /16's place.
    expect(t.fail(far(1, '11.7.1'), 2, 1, true)).toBe(true)
    expect(t.observe(near(2, '11.7.10'), 3).kind).toBe('added')
    expect(t.checkInvariants()).toBeUndefined()
  })
})

describe('engine liveness check and inbound policy', () => {
  const mk = (config = {}) => new DhtEngine({ self: { id: self, peer: 'me', addrs: [], ipGroup: '' }, config: engineConfig({ k: 2, ...config }), rng: new SeededRng(1) })
  const req = (rpcId: number, type: Request['type'], providers: Contact[] = []): Request => ({ kind: 'request', rpcId, type, key: self, target: self, providers })

  it('pings a stale bucket head when a newcomer arrives, evicts it when the ping times out', () => {
    const e = mk()
    e.step(0, { kind: 'start', bootstraps: [] })
    e.step(0, { kind: 'message', from: far(1), msg: req(1, 'PING') })
    e.step(0, { kind: 'message', from: far(2), msg: req(2, 'PING') })
    const out = e.step(T0, { kind: 'message', from: far(3), msg: req(3, 'PING') })
    const ping = out.sends.find((s) => s.msg.kind === 'request')
    expect(ping?.to.peer).toBe('p1')
    expect(e.contacts().map((c) => c.peer)).toEqual(['p1', 'p2'])
    e.step(T0 + 1_000, { kind: 'timer' }) // the 750 ms ping timeout passed
    expect(e.contacts().map((c) => c.peer)).toEqual(['p2', 'p3'])
  })

  it('keeps a head that answers the liveness ping', () => {
    const e = mk()
    e.step(0, { kind: 'start', bootstraps: [] })
    e.step(0, { kind: 'message', from: far(1), msg: req(1, 'PING') })
    e.step(0, { kind: 'message', from: far(2), msg: req(2, 'PING') })
    const out = e.step(T0, { kind: 'message', from: far(3), msg: req(3, 'PING') })
    const ping = out.sends.find((s) => s.msg.kind === 'request')!
    e.step(T0 + 10, { kind: 'message', from: far(1), msg: { kind: 'response', rpcId: ping.msg.rpcId, type: 'PING', closer: [], providers: [] } })
    e.step(T0 + 1_000, { kind: 'timer' })
    expect(e.contacts().map((c) => c.peer)).toEqual(['p2', 'p1'])
  })

  it('rate-limits a chatty peer with an explicit refusal, and counts it', () => {
    const e = mk({ policy: { perPeerRatePerS: 1, perPeerBurst: 2 } })
    e.step(0, { kind: 'start', bootstraps: [] })
    const answers = [1, 2, 3].map((i) => e.step(0, { kind: 'message', from: far(1), msg: req(i, 'FIND_NODE') }).sends[0]!.msg)
    expect(answers.map((m) => (m.kind === 'response' ? m.error ?? 'ok' : '?'))).toEqual(['ok', 'ok', 'rate-limited'])
    expect(e.stats(0).rejected['rate-limited']).toBe(1)
    // tokens refill with time
    const later = e.step(2_000, { kind: 'message', from: far(1), msg: req(4, 'FIND_NODE') }).sends[0]!.msg
    expect(later.kind === 'response' ? later.error : 'not a response').toBeUndefined()
  })

  it('refuses ADD_PROVIDER for someone else and ignores unsolicited responses', () => {
    const e = mk()
    e.step(0, { kind: 'start', bootstraps: [] })
    const out = e.step(0, { kind: 'message', from: far(1), msg: req(1, 'ADD_PROVIDER', [far(9)]) })
    expect(out.events).toContainEqual({ kind: 'peer-misbehaved', peer: 'p1', reason: 'provider-not-sender' })
    expect(e.stats(0).providerRecords).toBe(0)
    e.step(0, { kind: 'message', from: far(1), msg: req(2, 'ADD_PROVIDER', [far(1)]) })
    expect(e.stats(0).providerRecords).toBe(1)
    const stray = e.step(1, { kind: 'message', from: far(2), msg: { kind: 'response', rpcId: 777, type: 'FIND_NODE', closer: [far(5)], providers: [] } })
    expect(stray.sends).toHaveLength(0)
    expect(e.contacts().map((c) => c.peer)).not.toContain('p5')
  })

  it('readiness: not ready before start, ready after joining through a live bootstrap, not ready after stop', () => {
    const e = mk({ warmTableSize: 1 })
    expect(e.readiness(0)).toMatchObject({ ready: false })
    const boot = far(1)
    const out = e.step(0, { kind: 'start', bootstraps: [boot] })
    expect(e.readiness(0).reason).toContain('not joined')
    const q = out.sends.find((s) => s.to.peer === 'p1')!
    const res = e.step(20, { kind: 'message', from: boot, msg: { kind: 'response', rpcId: q.msg.rpcId, type: 'FIND_NODE', closer: [], providers: [] } })
    expect(res.events).toContainEqual({ kind: 'ready-changed', ready: true, reason: 'ready' })
    expect(e.readiness(20)).toMatchObject({ ready: true, liveBootstraps: 1, joined: true })
    // the bootstrap goes silent: after the live window, readiness drops
    expect(e.readiness(20 + 6 * 60_000)).toMatchObject({ ready: false, liveBootstraps: 0 })
    e.step(30, { kind: 'stop' })
    expect(e.readiness(30).ready).toBe(false)
  })

  it('liveBootstraps is 0 exactly when the latest bootstrap answer is older than the live window', () => {
    const e = mk({ warmTableSize: 1 })
    const boots = [far(1), far(2), far(3)]
    const windowMs = e.config.bootstrapLiveWindowMs
    const rng = new SeededRng('bootstrap-window')
    let inflight = [...e.step(0, { kind: 'start', bootstraps: boots }).sends]
    let t = 0
    const outcomes = new Set<boolean>()
    for (let i = 0; i < 400; i++) {
      t += rng.next() * (windowMs / 3)
      const silent = t - e.lastBootstrapAnswerMs > windowMs
      expect(e.liveBootstraps(t) === 0).toBe(silent)
      expect(e.readiness(t).liveBootstraps).toBe(e.liveBootstraps(t))
      outcomes.add(silent)
      // Bootstraps answer in bursts and fall silent for longer than the window in between.
      const answering = Math.floor(t / (2 * windowMs)) % 2 === 0
      if (answering && inflight.length > 0 && rng.next() < 0.5) {
        const s = inflight.splice(rng.int(inflight.length), 1)[0]!
        const msg = { kind: 'response', rpcId: s.msg.rpcId, type: s.msg.type, closer: [], providers: [] } as const
        inflight.push(...e.step(t, { kind: 'message', from: s.to, msg }).sends)
      } else {
        inflight.push(...e.step(t, { kind: 'timer' }).sends)
      }
      inflight = inflight.filter((s) => boots.some((b) => b.peer === s.to.peer))
    }
    expect([...outcomes].sort()).toEqual([false, true])
  })

  it('retries the join with back-off when no bootstrap answers', () => {
    const e = mk()
    e.step(0, { kind: 'start', bootstraps: [far(1)] })
    const out = e.step(1_000, { kind: 'timer' })
    const failed = out.events.find((ev) => ev.kind === 'bootstrap-round-failed')
    expect(failed).toMatchObject({ kind: 'bootstrap-round-failed', attempt: 1 })
    const retry = failed && failed.kind === 'bootstrap-round-failed' ? failed.retryInMs : 0
    expect(retry).toBeGreaterThanOrEqual(500)
    expect(retry).toBeLessThanOrEqual(1_500)
    const again = e.step(1_000 + retry, { kind: 'timer' })
    expect(again.sends.some((s) => s.to.peer === 'p1')).toBe(true)
  })
})
