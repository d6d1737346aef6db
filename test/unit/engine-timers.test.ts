import { describe, expect, it } from 'vitest'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, Request } from '../../src/engine/types.js'

function contact(label: string): Contact {
  return { id: new SeededRng(label).bytes(32), peer: label, addrs: [], ipGroup: '' }
}

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
})
