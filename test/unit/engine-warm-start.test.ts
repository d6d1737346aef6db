// A restart with a routing table seeded from a cache must be ready no later than a cold one.
// Readiness wants a bootstrap that answered; a warm join runs through the cached contacts nearest
// to us, which need not include a bootstrap, so the bootstraps are pinged at start instead of at
// the first poll a full interval later. Virtual time (the in-memory mesh), so the comparison of
// times to ready is exact, not a timed assertion.
import { describe, expect, it } from 'vitest'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, Output, Request } from '../../src/engine/types.js'
import { Mesh } from '../helpers/mesh.js'

const N = 120
const BOOTSTRAPS = 3

/** Restarts node `i` at the mesh's current time (cache = its table before, or none) and returns ms to ready. */
function restart(mesh: Mesh, i: number, cache: readonly Contact[] | undefined, seed: string): number {
  const boot = mesh.contacts.slice(0, BOOTSTRAPS)
  mesh.nodes[i] = new DhtEngine({ self: mesh.contacts[i]!, config: engineConfig(mesh.opts.config), rng: new SeededRng(seed) })
  const t0 = mesh.nowMs
  const from = mesh.events.length
  if (cache !== undefined) mesh.input(i, { kind: 'seed-contacts', contacts: cache }, t0)
  mesh.input(i, { kind: 'start', bootstraps: boot }, t0)
  mesh.runUntil(t0 + 120_000)
  const ev = mesh.events.slice(from).find((e) => e.node === i && e.ev.kind === 'ready-changed' && e.ev.ready)
  return ev === undefined ? Infinity : ev.atMs - t0
}

function network(seed: string): Mesh {
  const mesh = new Mesh({ n: N, seed, latencyMs: 15 })
  const boot = mesh.contacts.slice(0, BOOTSTRAPS)
  for (let i = 0; i < N; i++) mesh.input(i, { kind: 'start', bootstraps: boot.filter((b) => b !== mesh.contacts[i]) }, i * 20)
  mesh.runUntil(N * 20 + 30_000)
  return mesh
}

describe('warm restart', () => {
  it('pings the bootstraps at start when the table was seeded, not at the first poll', () => {
    const mesh = network('warm-ping')
    const i = N - 1
    const cache = mesh.nodes[i]!.contacts().filter((c) => !mesh.contacts.slice(0, BOOTSTRAPS).includes(c))
    const e = new DhtEngine({ self: mesh.contacts[i]!, config: engineConfig(), rng: new SeededRng('x') })
    e.step(0, { kind: 'seed-contacts', contacts: cache })
    const out = e.step(0, { kind: 'start', bootstraps: mesh.contacts.slice(0, BOOTSTRAPS) })
    const pinged = out.sends.filter((s) => s.msg.kind === 'request' && s.msg.type === 'PING').map((s) => s.to.peer)
    expect(pinged.sort()).toEqual(mesh.contacts.slice(0, BOOTSTRAPS).map((c) => c.peer).sort())
    // A cold start sends no ping: its join asks the bootstraps themselves.
    const cold = new DhtEngine({ self: mesh.contacts[i]!, config: engineConfig(), rng: new SeededRng('x') })
    const coldOut = cold.step(0, { kind: 'start', bootstraps: mesh.contacts.slice(0, BOOTSTRAPS) })
    expect(coldOut.sends.some((s) => s.msg.kind === 'request' && s.msg.type === 'PING')).toBe(false)
  })

  it('is ready no later than a cold restart, node after node', () => {
    const interval = engineConfig().bootstrapPingIntervalMs
    const rows: { warm: number; cold: number }[] = []
    for (const seed of ['w1', 'w2']) {
      const mesh = network(seed)
      for (const i of [BOOTSTRAPS + 5, BOOTSTRAPS + 40, N - 1]) {
        // Without the bootstraps (they are added at start anyway): the case where the warm join
        // does not happen to ask one.
        const cache = mesh.nodes[i]!.contacts().filter((c) => !mesh.contacts.slice(0, BOOTSTRAPS).includes(c))
        const cold = restart(mesh, i, undefined, `${seed}/${i}/cold`)
        const warm = restart(mesh, i, cache, `${seed}/${i}/warm`)
        rows.push({ warm, cold })
      }
    }
    for (const r of rows) {
      expect(r.cold).toBeLessThan(Infinity)
      expect(r.warm).toBeLessThanOrEqual(r.cold)
      expect(r.warm).toBeLessThan(interval)
    }
  })

  it('is joined once as many cached contacts as a warm table holds have answered', () => {
    const cfg = engineConfig()
    const rng = new SeededRng('cache')
    const cache: Contact[] = Array.from({ length: 15 }, (_, i) => ({ id: rng.bytes(32), peer: `c${i}`, addrs: [], ipGroup: `g${i}` }))
    const self: Contact = { id: rng.bytes(32), peer: 'self', addrs: [], ipGroup: 'self' }
    const e = new DhtEngine({ self, config: cfg, rng: new SeededRng('e') })
    e.step(0, { kind: 'seed-contacts', contacts: cache })
    let out: Output = e.step(0, { kind: 'start', bootstraps: [] })
    const waiting: { to: Contact; req: Request }[] = []
    const answered = new Set<string>()
    let t = 0
    for (;;) {
      for (const s of out.sends) if (s.msg.kind === 'request') waiting.push({ to: s.to, req: s.msg })
      const next = waiting.shift()
      expect(next).toBeDefined()
      if (next === undefined) break
      const joinedBefore = e.readiness(t).joined
      expect(joinedBefore).toBe(answered.size >= cfg.warmTableSize)
      if (joinedBefore) break
      t += 5
      out = e.step(t, { kind: 'message', from: next.to, msg: { kind: 'response', rpcId: next.req.rpcId, type: next.req.type, closer: [], providers: [] } })
      answered.add(next.to.peer)
    }
    // Joined on the eighth distinct answer, with cached contacts still unasked or unanswered.
    expect(answered.size).toBe(cfg.warmTableSize)
    expect(answered.size).toBeLessThan(cache.length)
  })

  describe('when the first bootstrap pings fail', () => {
    /**
     * One engine started warm (10 cached contacts) against two bootstraps, driven in virtual time:
     * every request is answered 5 ms later, except bootstrap PINGs, which fail while `bootsDown`
     * says so. Returns when each bootstrap PING was sent and when the node became ready.
     */
    function drive(bootsDown: (atMs: number) => boolean, untilMs: number): { pings: number[]; readyMs: number } {
      const cfg = engineConfig()
      const rng = new SeededRng('boot-retry')
      const mk = (peer: string): Contact => ({ id: rng.bytes(32), peer, addrs: [], ipGroup: peer })
      const cache = Array.from({ length: 10 }, (_, i) => mk(`c${i}`))
      const boots = [mk('b0'), mk('b1')]
      const e = new DhtEngine({ self: mk('self'), config: cfg, rng: new SeededRng('e') })
      e.step(0, { kind: 'seed-contacts', contacts: cache })
      const inbox: { atMs: number; input: Parameters<typeof e.step>[1] }[] = []
      const pings: number[] = []
      let readyMs = Infinity
      let deadlineMs = Infinity
      const apply = (t: number, out: Output): void => {
        for (const s of out.sends) {
          if (s.msg.kind !== 'request') continue
          const req = s.msg
          const toBoot = boots.some((b) => b.peer === s.to.peer)
          if (toBoot && req.type === 'PING') pings.push(t)
          if (toBoot && bootsDown(t)) inbox.push({ atMs: t + 5, input: { kind: 'rpc-failed', to: s.to, rpcId: req.rpcId, reason: 'dial refused' } })
          else inbox.push({ atMs: t + 5, input: { kind: 'message', from: s.to, msg: { kind: 'response', rpcId: req.rpcId, type: req.type, closer: [], providers: [] } } })
        }
        for (const ev of out.events) if (ev.kind === 'ready-changed' && ev.ready && readyMs === Infinity) readyMs = t
        deadlineMs = out.nextDeadlineMs
      }
      apply(0, e.step(0, { kind: 'start', bootstraps: boots }))
      for (;;) {
        inbox.sort((a, b) => a.atMs - b.atMs)
        const nextIn = inbox[0]?.atMs ?? Infinity
        const t = Math.min(nextIn, deadlineMs)
        if (t > untilMs) break
        if (nextIn <= deadlineMs) apply(t, e.step(t, inbox.shift()!.input))
        else apply(t, e.step(t, { kind: 'timer' }))
      }
      return { pings, readyMs }
    }

    it('pings again after about a second instead of a full poll interval', () => {
      const interval = engineConfig().bootstrapPingIntervalMs
      // Every request to a bootstrap in the first 400 ms fails (the warm start's own pings, and
      // the join lookup's queries to them); the bootstraps answer from then on.
      const r = drive((t) => t < 400, 60_000)
      expect(r.pings.filter((t) => t === 0).length).toBe(2)
      const retry = r.pings.find((t) => t > 0)
      expect(retry).toBeGreaterThanOrEqual(500)
      expect(retry).toBeLessThanOrEqual(1_510)
      expect(r.readyMs).toBeLessThan(2_000)
      expect(r.readyMs).toBeLessThan(interval)
    })

    it('backs off, doubling up to the poll interval, while the bootstraps stay down', () => {
      const interval = engineConfig().bootstrapPingIntervalMs
      const r = drive(() => true, 120_000)
      expect(r.readyMs).toBe(Infinity)
      const gaps = r.pings.slice(1).map((t, i) => t - r.pings[i]!).filter((g) => g > 0)
      // 1 s, 2 s, 4 s, 8 s, 16 s (each x0.5-1.5), then the poll interval: about a dozen in two minutes.
      expect(gaps[0]).toBeLessThanOrEqual(1_500)
      for (const g of gaps) expect(g).toBeLessThanOrEqual(interval)
      expect(gaps.at(-1)).toBeGreaterThan(interval / 2)
      expect(r.pings.length).toBeLessThanOrEqual(18)
    })
  })
})
