// Theory of operation
// -------------------
// A Sybil is an ordinary engine (so it joins, answers PINGs and stays in honest routing tables)
// wrapped by this misbehaving shell, which rewrites what goes in and out of it — the attack
// lives in the simulator, never in src/engine. For each inbound request it may:
//   - drop it (probability `drop`): the requester times out;
//   - refuse to store an ADD_PROVIDER (store: false), silently;
//   - misroute: answer FIND_NODE / GET_PROVIDERS with the colluders closest to the target
//     (never honest peers), and for GET_PROVIDERS no providers, colluders posing as providers
//     (fake) or the honest answer's providers;
//   - answer slowly (slow_ms): responses are held and released on the engine's timer.
// Colluders closest to a target come from the Directory: attacker ids sorted, and the range of
// ids sharing the longest prefix with the target that still holds >= k of them (everything
// outside that range is farther than everything in it), sorted by XOR distance.
import type { Rng } from '../../engine/rng.js'
import { compareBytes, compareDistance } from '../../engine/ids.js'
import type { Contact, Input, Output, Readiness, Request, Send } from '../../engine/types.js'
import type { AdversarySpec } from '../faults/chaos-schema.js'

type Behaviours = AdversarySpec['behaviours']

interface InnerEngine {
  step(nowMs: number, input: Input): Output
  readiness?(nowMs: number): Readiness
}

const TIMER: Input = Object.freeze({ kind: 'timer' })

/** The colluding peers, sorted by id, for "closest colluders to X". */
export class Directory {
  private readonly sorted: Contact[]

  constructor(colluders: readonly Contact[]) {
    this.sorted = [...colluders].sort((a, b) => compareBytes(a.id, b.id) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
  }

  get size(): number {
    return this.sorted.length
  }

  /** Index of the first id >= key (binary search). */
  private lowerBound(key: Uint8Array): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (compareBytes(this.sorted[mid]!.id, key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** The `count` colluders closest to `target`, nearest first, skipping `exclude` peers. */
  closest(target: Uint8Array, count: number, exclude1?: string, exclude2?: string): Contact[] {
    const want = count + 2 // room for the excluded ones
    let lo = 0
    let hi = this.sorted.length
    const lowKey = new Uint8Array(target.length)
    const highKey = new Uint8Array(target.length)
    for (let bits = 1; bits <= target.length * 8; bits++) {
      const byte = (bits - 1) >> 3
      const keep = (0xff << (8 - (((bits - 1) & 7) + 1))) & 0xff
      for (let i = 0; i < target.length; i++) {
        if (i < byte) {
          lowKey[i] = target[i]!
          highKey[i] = target[i]!
        } else if (i === byte) {
          lowKey[i] = target[i]! & keep
          highKey[i] = (target[i]! & keep) | (~keep & 0xff)
        } else {
          lowKey[i] = 0
          highKey[i] = 0xff
        }
      }
      const l = this.lowerBound(lowKey)
      let h = this.lowerBound(highKey)
      while (h < this.sorted.length && compareBytes(this.sorted[h]!.id, highKey) <= 0) h++
      if (h - l < want) break
      lo = l
      hi = h
    }
    const range = this.sorted.slice(lo, hi)
    range.sort((a, b) => compareDistance(a.id, b.id, target) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
    const out: Contact[] = []
    for (const c of range) {
      if (c.peer === exclude1 || c.peer === exclude2) continue
      out.push(c)
      if (out.length >= count) break
    }
    return out
  }
}

export class SybilEngine {
  private held: { dueMs: number; send: Send }[] = []

  constructor(
    private readonly inner: InnerEngine,
    private readonly self: Contact,
    private readonly dir: Directory,
    private readonly b: Behaviours,
    private readonly rng: Rng,
    private readonly k: number,
  ) {}

  readiness(nowMs: number): Readiness | undefined {
    return this.inner.readiness?.(nowMs)
  }

  step(nowMs: number, input: Input): Output {
    let out: Output
    if (input.kind === 'message' && input.msg.kind === 'request') out = this.onRequest(nowMs, input.from, input.msg)
    else out = this.inner.step(nowMs, input)
    return this.shape(nowMs, out)
  }

  private onRequest(nowMs: number, from: Contact, req: Request): Output {
    if (req.type === 'PING') return this.inner.step(nowMs, { kind: 'message', from, msg: req })
    if (this.b.drop > 0 && this.rng.next() < this.b.drop) return this.inner.step(nowMs, TIMER)
    if (req.type === 'ADD_PROVIDER') return this.inner.step(nowMs, this.b.store ? { kind: 'message', from, msg: req } : TIMER)
    if (!this.b.misroute && this.b.providers === 'honest') return this.inner.step(nowMs, { kind: 'message', from, msg: req })
    // Let the engine see the request (it learns the sender, stays plausible), then rewrite.
    const out = this.inner.step(nowMs, { kind: 'message', from, msg: req })
    const sends: Send[] = []
    for (const s of out.sends) {
      const m = s.msg
      if (m.kind !== 'response' || m.rpcId !== req.rpcId || s.to.peer !== from.peer) {
        sends.push(s)
        continue
      }
      const closer = this.b.misroute ? this.dir.closest(req.target, this.k, this.self.peer, from.peer) : m.closer
      let providers = m.providers
      if (req.type === 'GET_PROVIDERS') {
        if (this.b.providers === 'none') providers = []
        else if (this.b.providers === 'fake') providers = this.dir.closest(req.target, 3, from.peer)
      }
      sends.push({ to: s.to, msg: { ...m, closer, providers } })
    }
    return { sends, events: out.events, nextDeadlineMs: out.nextDeadlineMs }
  }

  /** Holds responses when slow; releases the held ones that are due. */
  private shape(nowMs: number, out: Output): Output {
    let sends = out.sends
    if (this.b.slow_ms > 0) {
      sends = []
      for (const s of out.sends) {
        if (s.msg.kind === 'response') this.held.push({ dueMs: nowMs + this.b.slow_ms, send: s })
        else sends.push(s)
      }
      let i = 0
      while (i < this.held.length && this.held[i]!.dueMs <= nowMs) sends.push(this.held[i++]!.send)
      if (i > 0) this.held = this.held.slice(i)
    }
    const next = this.held.length > 0 ? Math.min(out.nextDeadlineMs, this.held[0]!.dueMs) : out.nextDeadlineMs
    return { sends, events: out.events, nextDeadlineMs: next }
  }
}
