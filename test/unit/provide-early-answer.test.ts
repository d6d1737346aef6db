// With detection on, a PROVIDE stores its record on the 2k nearest peers (4k in a suspect region),
// but its caller is answered where a lookup of width k ends: once the k nearest that answered have
// been sent the record, as the default profile's PROVIDE does. The wider store goes on after the
// answer, and a provide-stored event reports its requests. The caller's latency is the k nearest's.
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import type { EngineEvent, LookupResult } from '../../src/engine/types.js'
import { STRICT_POLICY } from '../../src/engine/config.js'
import { Mesh } from '../helpers/mesh.js'

const K = 20
const N = 200
const LATENCY_MS = 10
const PROVIDER = 5
const TAG = 1

type Stored = Extract<EngineEvent, { kind: 'provide-stored' }>

function provide(detect: boolean) {
  // The strict profile's detector and wider region, without its address and rate limits (the
  // mesh's peers share a few /24s, and join in a burst).
  const policy = { ...STRICT_POLICY, maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity, maxPer16PerBucket: Infinity, maxPer16PerTable: Infinity, perPeerRatePerS: Infinity, perPeerBurst: Infinity }
  // When each peer was first sent the provider's record (delivery time minus the link's latency).
  const recordSentMs = new Map<string, number>()
  const mesh = new Mesh({
    n: N,
    seed: 'early-answer',
    latencyMs: LATENCY_MS,
    config: detect ? { policy } : {},
    onDeliver: (to, from, msg, atMs) => {
      if (from.peer !== `p${PROVIDER}` || msg.kind !== 'request' || msg.type !== 'ADD_PROVIDER') return
      const peer = `p${to}`
      if (!recordSentMs.has(peer)) recordSentMs.set(peer, atMs - LATENCY_MS)
    },
  })
  mesh.startAll(20)
  mesh.runUntil(30_000)
  const key = new SeededRng('early-answer-key').bytes(32)
  mesh.lookup(PROVIDER, 'PROVIDE', key, TAG)
  mesh.runUntil(40_000)
  const mine = mesh.events.filter((e) => e.node === PROVIDER)
  const done = mine.find((e) => e.ev.kind === 'lookup-done' && e.ev.tag === TAG)
  const stored = mine.find((e) => e.ev.kind === 'provide-stored' && e.ev.tag === TAG)
  // Only this key is provided: a peer holds a record of it when it holds any.
  const holders = mesh.nodes.filter((nd, i) => i !== PROVIDER && nd.stats(mesh.nowMs).providerRecords > 0).length
  return {
    done: done?.ev as LookupResult | undefined,
    doneAtMs: done?.atMs ?? NaN,
    stored: stored?.ev as Stored | undefined,
    storedAtMs: stored?.atMs ?? NaN,
    recordSentMs,
    holders,
  }
}

describe('PROVIDE with detection on: the caller is answered once the k nearest have the record', () => {
  it('answers at the k nearest, then stores on the 2k nearest and reports the rest of its requests', () => {
    const on = provide(true)
    expect(on.done).toBeDefined()
    const done = on.done!
    expect(done.success).toBe(true)
    expect(done.storing).toBe(true)
    // The caller's result is the k nearest, as without detection.
    expect(done.closest).toHaveLength(K)
    // Each of them had been sent the record when the caller was answered.
    for (const c of done.closest) {
      const sent = on.recordSentMs.get(c.peer)
      expect(sent, c.peer).toBeDefined()
      expect(sent!).toBeLessThanOrEqual(on.doneAtMs)
    }
    // The wider store ended later, and stored on more than k peers (at most 2k).
    expect(on.stored).toBeDefined()
    expect(on.storedAtMs).toBeGreaterThan(on.doneAtMs)
    expect(on.stored!.messages).toBeGreaterThan(0)
    expect(on.stored!.placed).toBeGreaterThan(K)
    expect(on.stored!.placed).toBeLessThanOrEqual(2 * K)
    expect(on.holders).toBeGreaterThan(K)
    expect(on.holders).toBeLessThanOrEqual(2 * K)
    // Records went out after the answer too: the wider region's.
    const late = [...on.recordSentMs.values()].filter((t) => t > on.doneAtMs).length
    expect(late).toBe(on.holders - K)
  })

  it('without detection, a PROVIDE stores on k and is answered when it ends, with no provide-stored', () => {
    const off = provide(false)
    expect(off.done).toBeDefined()
    expect(off.done!.storing).toBeUndefined()
    expect(off.done!.closest).toHaveLength(K)
    expect(off.stored).toBeUndefined()
    expect(off.holders).toBe(K)
  })
})
