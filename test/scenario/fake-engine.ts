// A tiny stand-in for DhtEngine, for testing the simulator's plumbing independently of the real
// engine: one-round lookups to up to three known contacts, PING-based readiness, a provider store.
import type { EngineOptions } from '../../src/engine/engine.js'
import { compareDistance, toHex } from '../../src/engine/ids.js'
import type { Contact, EngineEvent, Input, LookupOp, Output, Request, Send } from '../../src/engine/types.js'
import type { EngineLike } from '../../src/sim/simulation.js'

const TIMEOUT_MS = 750
const FANOUT = 3

interface Pending {
  tag: number
  op: LookupOp
  target: Uint8Array
  startMs: number
  deadlineMs: number
  waiting: Set<number>
  sent: number
  answered: Contact[]
  providers: Contact[]
}

export class FakeEngine implements EngineLike {
  readonly self: Contact
  readonly known: Contact[] = []
  private readonly store = new Map<string, Contact[]>()
  private readonly lookups: Pending[] = []
  private rpcByLookup = new Map<number, Pending>()
  private nextRpc = 1
  private ready = false
  private readonly maxInflight: number

  constructor(opts: EngineOptions) {
    this.self = opts.self
    this.maxInflight = opts.config.maxInflightLookups
  }

  private learn(c: Contact): void {
    if (c.peer !== this.self.peer && !this.known.includes(c)) this.known.push(c)
  }

  step(nowMs: number, input: Input): Output {
    const sends: Send[] = []
    const events: EngineEvent[] = []
    switch (input.kind) {
      case 'start':
        if (input.bootstraps.length === 0) {
          this.ready = true
          events.push({ kind: 'ready-changed', ready: true, reason: '' })
        }
        for (const b of input.bootstraps) {
          this.learn(b)
          sends.push({ to: b, msg: { kind: 'request', rpcId: 0, type: 'PING', key: new Uint8Array(0), target: this.self.id, providers: [] } })
        }
        break
      case 'message': {
        this.learn(input.from)
        const m = input.msg
        if (m.kind === 'request') sends.push({ to: input.from, msg: this.answer(m, input.from) })
        else {
          if (!this.ready) {
            this.ready = true
            events.push({ kind: 'ready-changed', ready: true, reason: '' })
          }
          for (const c of m.closer) this.learn(c)
          const p = this.rpcByLookup.get(m.rpcId)
          if (p !== undefined) {
            this.rpcByLookup.delete(m.rpcId)
            p.waiting.delete(m.rpcId)
            p.answered.push(input.from)
            for (const c of m.closer) if (!p.answered.includes(c)) p.answered.push(c)
            for (const c of m.providers) if (!p.providers.includes(c)) p.providers.push(c)
            if (p.waiting.size === 0) this.finish(p, nowMs, events)
          }
        }
        break
      }
      case 'lookup': {
        if (this.lookups.length >= this.maxInflight) {
          events.push(done(input.tag, input.op, input.target, nowMs, nowMs, 0, 0, false, [], [], 'busy'))
          break
        }
        const p: Pending = { tag: input.tag, op: input.op, target: input.target, startMs: nowMs, deadlineMs: nowMs + TIMEOUT_MS, waiting: new Set(), sent: 0, answered: [], providers: [] }
        const peers = [...this.known].sort((a, b) => compareDistance(a.id, b.id, input.target)).slice(0, FANOUT)
        for (const c of peers) {
          const rpcId = this.nextRpc++
          const type = input.op === 'PROVIDE' ? 'ADD_PROVIDER' : input.op
          sends.push({ to: c, msg: { kind: 'request', rpcId, type, key: input.key, target: input.target, providers: input.op === 'PROVIDE' ? [this.self] : [] } })
          p.waiting.add(rpcId)
          this.rpcByLookup.set(rpcId, p)
          p.sent++
        }
        this.lookups.push(p)
        if (peers.length === 0) this.finish(p, nowMs, events)
        break
      }
      case 'timer':
        for (const p of [...this.lookups]) if (p.deadlineMs <= nowMs) this.finish(p, nowMs, events)
        break
      case 'stop':
        for (const p of [...this.lookups]) {
          this.lookups.splice(this.lookups.indexOf(p), 1)
          events.push(done(p.tag, p.op, p.target, p.startMs, nowMs, 0, p.sent, false, [], [], 'stopped'))
        }
        return { sends: [], events, nextDeadlineMs: Infinity }
      default:
        break
    }
    let next = Infinity
    for (const p of this.lookups) next = Math.min(next, p.deadlineMs)
    return { sends, events, nextDeadlineMs: next }
  }

  private answer(m: Request, from: Contact): Send['msg'] {
    const key = toHex(m.target)
    if (m.type === 'ADD_PROVIDER') {
      const list = this.store.get(key) ?? []
      if (!list.includes(from)) list.push(from)
      this.store.set(key, list)
    }
    const closer = [...this.known].sort((a, b) => compareDistance(a.id, b.id, m.target)).slice(0, 3)
    const providers = m.type === 'GET_PROVIDERS' ? (this.store.get(key) ?? []) : []
    return { kind: 'response', rpcId: m.rpcId, type: m.type, closer, providers }
  }

  private finish(p: Pending, nowMs: number, events: EngineEvent[]): void {
    const i = this.lookups.indexOf(p)
    if (i < 0) return
    this.lookups.splice(i, 1)
    for (const r of p.waiting) this.rpcByLookup.delete(r)
    const closest = [...p.answered].sort((a, b) => compareDistance(a.id, b.id, p.target)).slice(0, 20)
    const success = p.op === 'GET_PROVIDERS' ? p.providers.length > 0 : p.answered.length > 0
    events.push(done(p.tag, p.op, p.target, p.startMs, nowMs, 1, p.sent, success, closest, p.providers, success ? undefined : 'not-found'))
  }
}

function done(
  tag: number,
  op: LookupOp,
  target: Uint8Array,
  startMs: number,
  endMs: number,
  hops: number,
  messages: number,
  success: boolean,
  closest: Contact[],
  providers: Contact[],
  error?: string,
): EngineEvent {
  return { kind: 'lookup-done', tag, op, target, startMs, endMs, hops, messages, success, closest, providers, ...(error !== undefined ? { error } : {}) }
}

export const fakeEngineFactory = (o: EngineOptions): EngineLike => new FakeEngine(o)
