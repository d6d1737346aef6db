// Admission control: under the driver's reported load, requests beyond the work budget are
// refused "overloaded" at once — counted, reported, answered, and nothing else done for them —
// expensive requests before cheap ones; a lighter load admits them again.
import { describe, expect, it } from 'vitest'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig, type EngineConfig } from '../../src/engine/config.js'
import { SeededRng } from '../../src/engine/rng.js'
import { EngineMisuseError } from '../../src/engine/errors.js'
import { REQUEST_COST } from '../../src/engine/admission.js'
import type { Contact, Message, Request, RpcType } from '../../src/engine/types.js'

function contact(label: string): Contact {
  return { id: new SeededRng(label).bytes(32), peer: label, addrs: [], ipGroup: label }
}

function req(rpcId: number, type: RpcType, from?: Contact): Request {
  return { kind: 'request', rpcId, type, key: new Uint8Array(32), target: new Uint8Array(32), providers: from ? [from] : [] }
}

function mk(cfg: Partial<EngineConfig> = {}): DhtEngine {
  const e = new DhtEngine({ self: contact('me'), config: engineConfig({ admissionDelayMs: 200, admissionInflight: 10, ...cfg }), rng: new SeededRng(1), checkInvariantsEvery: 1 })
  e.step(0, { kind: 'start', bootstraps: [] })
  return e
}

function answer(e: DhtEngine, t: number, from: Contact, r: Request): Message | undefined {
  return e.step(t, { kind: 'message', from, msg: r }).sends[0]?.msg
}

const errorOf = (m: Message | undefined): string => (m === undefined ? 'none' : m.kind === 'response' ? m.error ?? 'ok' : 'request')

describe('engine admission control', () => {
  it('admits everything until the driver reports a load', () => {
    const e = mk()
    expect(errorOf(answer(e, 0, contact('a'), req(1, 'FIND_NODE')))).toBe('ok')
    expect(e.stats(0).rejected['overloaded']).toBeUndefined()
  })

  it('refuses work that waited too long, cheaply, and counts it by reason', () => {
    const e = mk()
    const a = contact('a')
    const out = e.step(0, { kind: 'load', delayMs: 300, inflight: 0 })
    expect(out.sends).toEqual([])
    const o = e.step(1, { kind: 'message', from: a, msg: req(1, 'FIND_NODE') })
    expect(o.sends).toHaveLength(1)
    expect(errorOf(o.sends[0]!.msg)).toBe('overloaded')
    // The refusal is the whole answer: no contacts, and the sender was not put in the table.
    expect(o.sends[0]!.msg.kind === 'response' && o.sends[0]!.msg.closer).toEqual([])
    expect(o.events).toContainEqual({ kind: 'request-rejected', peer: 'a', reason: 'overloaded' })
    expect(e.contacts()).toEqual([])
    expect(e.stats(1).rejected['overloaded']).toBe(1)
    expect(e.stats(1).served['FIND_NODE']).toBeUndefined()
  })

  it('refuses expensive requests before cheap ones (a busy node still answers PING)', () => {
    const e = mk()
    // 300 ms of delay: over the budget for a FIND_NODE (cost 1), inside it for a PING (cost 0.5).
    expect(REQUEST_COST.PING * 300).toBeLessThanOrEqual(200)
    e.step(0, { kind: 'load', delayMs: 300, inflight: 0 })
    expect(errorOf(answer(e, 1, contact('a'), req(1, 'PING')))).toBe('ok')
    expect(errorOf(answer(e, 1, contact('b'), req(2, 'GET_PROVIDERS')))).toBe('overloaded')
    e.step(2, { kind: 'load', delayMs: 401, inflight: 0 })
    expect(errorOf(answer(e, 3, contact('c'), req(3, 'PING')))).toBe('overloaded')
  })

  it('refuses on in-flight work alone, and admits again once the load falls', () => {
    const e = mk()
    e.step(0, { kind: 'load', delayMs: 0, inflight: 11 })
    expect(errorOf(answer(e, 1, contact('a'), req(1, 'FIND_NODE')))).toBe('overloaded')
    e.step(2, { kind: 'load', delayMs: 0, inflight: 10 })
    expect(errorOf(answer(e, 3, contact('a'), req(2, 'FIND_NODE')))).toBe('ok')
    e.step(4, { kind: 'load', delayMs: 150, inflight: 3 })
    expect(errorOf(answer(e, 5, contact('a'), req(3, 'FIND_NODE')))).toBe('ok')
    expect(e.stats(5).rejected['overloaded']).toBe(1)
  })

  it('refuses ADD_PROVIDER without storing and without an answer', () => {
    const e = mk()
    const a = contact('a')
    e.step(0, { kind: 'load', delayMs: 1_000, inflight: 0 })
    const o = e.step(1, { kind: 'message', from: a, msg: req(1, 'ADD_PROVIDER', a) })
    expect(o.sends).toEqual([])
    expect(e.stats(1).providerRecords).toBe(0)
    expect(e.stats(1).rejected['overloaded']).toBe(1)
  })

  it('checks overload before the per-peer rate limit (a refusal spends no token)', () => {
    const e = mk({ policy: { perPeerRatePerS: 1, perPeerBurst: 1 } as EngineConfig['policy'] })
    const a = contact('a')
    e.step(0, { kind: 'load', delayMs: 1_000, inflight: 0 })
    expect(errorOf(answer(e, 1, a, req(1, 'FIND_NODE')))).toBe('overloaded')
    e.step(2, { kind: 'load', delayMs: 0, inflight: 0 })
    expect(errorOf(answer(e, 3, a, req(2, 'FIND_NODE')))).toBe('ok')
    expect(errorOf(answer(e, 4, a, req(3, 'FIND_NODE')))).toBe('rate-limited')
  })

  it('treats a negative or non-finite load as driver misuse', () => {
    const e = mk()
    expect(() => e.step(0, { kind: 'load', delayMs: -1, inflight: 0 })).toThrow(EngineMisuseError)
    expect(() => e.step(0, { kind: 'load', delayMs: 0, inflight: Number.NaN })).toThrow(EngineMisuseError)
  })
})
