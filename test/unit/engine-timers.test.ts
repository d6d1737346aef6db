import { describe, expect, it } from 'vitest'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import type { EngineConfig } from '../../src/engine/config.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, Output, Request } from '../../src/engine/types.js'

function contact(label: string): Contact {
  return { id: new SeededRng(label).bytes(32), peer: label, addrs: [], ipGroup: '' }
}

/** A contact whose id starts with `firstByte` (0 for self; 0x80 shares no prefix with it: no far buckets to refresh). */
function contactAt(label: string, firstByte: number): Contact {
  const id = new Uint8Array(32)
  id[0] = firstByte
  id[31] = 1
  return { id, peer: label, addrs: [], ipGroup: label }
}

const TIMER = { kind: 'timer' } as const

/** The input of `from`'s empty answer to the request `out` sent it. */
function answer(out: Output, from: Contact) {
  const req = out.sends.find((s) => s.to === from && s.msg.kind === 'request')!.msg as Request
  return { kind: 'message', from, msg: { kind: 'response', rpcId: req.rpcId, type: req.type, closer: [], providers: [] } } as const
}

/** An engine at self (id 0...) started at startMs with one bootstrap (id 0x80...) that answers its join at startMs + 10. */
function joined(config: EngineConfig, startMs = 0) {
  const self = contactAt('self', 0)
  const boot = contactAt('boot', 0x80)
  const engine = new DhtEngine({ self, config, rng: new SeededRng('e') })
  const start = engine.step(startMs, { kind: 'start', bootstraps: [boot] })
  const out = engine.step(startMs + 10, answer(start, boot))
  return { engine, boot, out }
}

/** The poll grid: startMs plus n intervals, added one at a time as a poll every interval does. */
function tick(startMs: number, n: number, intervalMs: number): number {
  let t = startMs
  for (let i = 0; i < n; i++) t += intervalMs
  return t
}

const pings = (out: Output) => out.sends.filter((s) => s.msg.kind === 'request' && s.msg.type === 'PING').length

describe('engine wake-ups', () => {
  it('asks for no wake-up at the timers of answered RPCs and finished lookups', () => {
    const cfg = engineConfig()
    const boot = contact('boot')
    const engine = new DhtEngine({ self: contact('self'), config: cfg, rng: new SeededRng('e') })
    const start = engine.step(0, { kind: 'start', bootstraps: [boot] })
    const join = start.sends.find((s) => s.msg.kind === 'request')
    expect(join?.to).toBe(boot)
    // Before the answer, the join's RPC timeout is the next thing to wake up for.
    expect(start.nextDeadlineMs).toBeLessThanOrEqual(cfg.rpcTimeoutMs)
    const req = join!.msg as Request
    const out = engine.step(10, { kind: 'message', from: boot, msg: { kind: 'response', rpcId: req.rpcId, type: req.type, closer: [], providers: [] } })
    // The join is done (the bootstrap knows nobody closer) and the far-bucket refreshes went out.
    expect(out.sends.length).toBeGreaterThan(0)
    // The join's RPC timeout and hedge wake-up (at hedgeDelayMs) are dead: the next wake-up is the
    // hedge of the lookups that started now.
    expect(out.nextDeadlineMs).toBe(10 + cfg.hedgeDelayMs)
  })

  it('keeps a dead timer where the bootstrap window closes, though the node became ready only after it died', () => {
    // The window closes 200 ms after the join's answer at 10, before the join's (dead) hedge at 250.
    const cfg = engineConfig({ bootstrapLiveWindowMs: 200, warmTableSize: 2 })
    const { engine, out } = joined(cfg)
    expect(out.events).toEqual([]) // a table of one is cold: not ready
    expect(out.nextDeadlineMs).toBe(cfg.hedgeDelayMs)
    const ping = engine.step(100, { kind: 'message', from: contactAt('other', 0x40), msg: { kind: 'request', rpcId: 1, type: 'PING', key: new Uint8Array(32), target: new Uint8Array(32), providers: [] } })
    expect(ping.events).toMatchObject([{ kind: 'ready-changed', ready: true }]) // two contacts: warm
    // A wake-up at every timer (the dead ones too) would see the window closed first at 250.
    expect(ping.nextDeadlineMs).toBe(cfg.hedgeDelayMs)
    expect(engine.step(cfg.hedgeDelayMs, TIMER).events).toMatchObject([{ kind: 'ready-changed', ready: false }])
  })

  it('wakes the bootstrap poll only at the ticks of its grid where it pings', () => {
    // Polls every 5 s; pings when no bootstrap answered for 20 s.
    const cfg = engineConfig({ bootstrapPingIntervalMs: 5_000 })
    const at = (n: number) => tick(0.1, n, cfg.bootstrapPingIntervalMs) // a grid of sums with rounding
    const { engine, boot, out } = joined(cfg, at(0))
    // The join's answer (at 10.1) leaves nothing to do at ticks 1 to 4: they are less than 20 s after it.
    expect(out.nextDeadlineMs).toBe(at(5))
    const ping = engine.step(at(5), TIMER)
    expect(pings(ping)).toBe(1)
    expect(ping.nextDeadlineMs).toBe(at(5) + cfg.rpcTimeoutMs)
    // Answered 10 ms later: the next ping is due 20 s after that, at tick 10 (ticks 6 to 9 would not ping).
    const answered = engine.step(at(5) + 10, answer(ping, boot))
    expect(answered.nextDeadlineMs).toBe(at(10))
    const next = engine.step(at(10), TIMER)
    expect(pings(next)).toBe(1)
    // Unanswered: every tick pings from now on.
    expect(pings(engine.step(at(11), TIMER))).toBe(1)
  })

  it('polls the bootstraps at the ticks and times of a poll every interval', () => {
    const cfg = engineConfig() // polls every 20 s, pings when no bootstrap answered for 20 s
    const interval = cfg.bootstrapPingIntervalMs
    const { engine, boot, out } = joined(cfg, 0)
    // Answered at 10: the poll at 20,000 would not ping (19,990 ms), the one at 40,000 does.
    expect(out.nextDeadlineMs).toBe(2 * interval)
    const ping = engine.step(2 * interval, TIMER)
    expect(pings(ping)).toBe(1)
    // An answer between two polls makes the next one idle too: the ping after it is at 80,000.
    const answered = engine.step(2 * interval + 10, answer(ping, boot))
    expect(answered.nextDeadlineMs).toBe(4 * interval)
    expect(pings(engine.step(4 * interval, TIMER))).toBe(1)
  })

  it('sees the bootstrap window close at the same poll tick as a poll every interval', () => {
    // Pings after 16.7 s without an answer; the window closes at 50,010, between two polls.
    const cfg = engineConfig({ bootstrapLiveWindowMs: 50_000, warmTableSize: 1 })
    const { engine, out } = joined(cfg)
    expect(out.events).toMatchObject([{ kind: 'ready-changed', ready: true }])
    const wakeups: number[] = []
    let pinged = 0
    let notReadyAt = -1
    for (let next = out.nextDeadlineMs; next <= 60_000; ) {
      wakeups.push(next)
      const o = engine.step(next, TIMER)
      pinged += pings(o)
      if (o.events.some((e) => e.kind === 'ready-changed' && !e.ready)) notReadyAt = next
      next = o.nextDeadlineMs
    }
    // Unanswered polls at 20 s and 40 s (each with its ping's timeout); the next step is the 60 s poll.
    expect(wakeups).toEqual([20_000, 20_000 + cfg.rpcTimeoutMs, 40_000, 40_000 + cfg.rpcTimeoutMs, 60_000])
    expect(pinged).toBe(3)
    expect(notReadyAt).toBe(60_000)
  })
})
