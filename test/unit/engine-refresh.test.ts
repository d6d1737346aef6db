import { describe, expect, it } from 'vitest'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import { commonPrefixLength, randomIdInBucket } from '../../src/engine/ids.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, Input, Output, Request } from '../../src/engine/types.js'
import { JOIN_FILL_GAP_MS } from '../../src/engine/constants.js'

const rng = new SeededRng('refresh-test')
const self: Contact = { id: rng.bytes(32), peer: 'self', addrs: [], ipGroup: '' }
let next = 0
/** A contact in bucket `i` of self's table (its id shares exactly i leading bits with self's). */
const inBucket = (i: number): Contact => {
  const n = next++
  return { id: randomIdInBucket(self.id, i, rng), peer: `p${n}`, addrs: [], ipGroup: `10.${n >> 8}.${n & 255}` }
}

function requests(sends: Output['sends']): { to: Contact; req: Request }[] {
  return sends.flatMap((s) => (s.msg.kind === 'request' ? [{ to: s.to, req: s.msg }] : []))
}

/** `from`'s answer to `req`: it knows nobody closer. */
const answer = (from: Contact, req: Request): Input => ({ kind: 'message', from, msg: { kind: 'response', rpcId: req.rpcId, type: req.type, closer: [], providers: [] } })

/** An engine with `known` in its table, stepped by `stepAt`, which keeps the engine's next deadline. */
function seeded(known: readonly Contact[]): { deadline: number; stepAt(atMs: number, input: Input): Output['sends'] } {
  const engine = new DhtEngine({ self, config: engineConfig(), rng: new SeededRng('e') })
  engine.step(0, { kind: 'seed-contacts', contacts: known })
  const driver = {
    deadline: Infinity,
    stepAt(atMs: number, input: Input): Output['sends'] {
      const out = engine.step(atMs, input)
      driver.deadline = out.nextDeadlineMs
      return out.sends
    },
  }
  return driver
}

/**
 * Joins with `known` in the table, every peer asked answering that it knows nobody closer, and
 * returns the join's bucket-fill lookups: the bucket each went into and when it started.
 */
function fillAfterJoin(known: readonly Contact[]): { bucket: number; atMs: number }[] {
  const driver = seeded(known)
  const stepAt = driver.stepAt
  const fills: { bucket: number; atMs: number }[] = []
  let sends = stepAt(0, { kind: 'start', bootstraps: [inBucket(0)] })
  let t = 0
  // Every request is answered 10 ms later; when none is outstanding, the engine's next timer fires.
  while (t < 10 * 60_000) {
    const asked = requests(sends)
    for (const { req } of asked) {
      const cpl = commonPrefixLength(req.target, self.id)
      if (req.type === 'FIND_NODE' && cpl < 256 && !fills.some((f) => f.bucket === cpl)) fills.push({ bucket: cpl, atMs: t })
    }
    if (asked.length > 0) {
      t += 10
      sends = asked.flatMap(({ to, req }) => stepAt(t, answer(to, req)))
    } else if (Number.isFinite(driver.deadline)) {
      t = Math.max(t, driver.deadline)
      sends = stepAt(t, { kind: 'timer' })
    } else break
  }
  return fills
}

/** The buckets the join's bucket fill went into, in order. */
const refreshesAfterJoin = (known: readonly Contact[]): number[] => fillAfterJoin(known).map((f) => f.bucket)

/** `n` contacts in each of the given buckets. */
const contacts = (n: number, buckets: readonly number[]): Contact[] => buckets.flatMap((i) => Array.from({ length: n }, () => inBucket(i)))

describe('bucket refresh after a join', () => {
  it('goes to the empty middle buckets, not to the far buckets that already have contacts', () => {
    // The table a join typically leaves behind: a few contacts in the far buckets, the
    // neighbourhood (buckets 10-11) full, and nothing in between.
    const known = [...contacts(3, [0, 1, 2, 3]), ...contacts(12, [10, 11])]
    // Buckets 4-7 lack all k contacts (a network this deep has >= 20 peers in each); buckets 0-3
    // lack 17 each. The four refresh lookups of the join go to the four neediest buckets
    // (the shallower first on a tie), one at a time, JOIN_FILL_GAP_MS apart.
    const fills = fillAfterJoin(known)
    expect(fills.map((f) => f.bucket)).toEqual([4, 5, 6, 7])
    expect(fills.slice(1).map((f, j) => f.atMs - fills[j]!.atMs)).toEqual([JOIN_FILL_GAP_MS, JOIN_FILL_GAP_MS, JOIN_FILL_GAP_MS])
  })

  it('skips buckets that lack less than a quarter of their contacts', () => {
    // Every bucket up to the neighbourhood holds 17 of k = 20: no lookup is worth it.
    expect(refreshesAfterJoin([...contacts(17, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), ...contacts(12, [10, 11])])).toEqual([])
    // One of them holds 12: it alone is refreshed.
    expect(refreshesAfterJoin([...contacts(17, [0, 1, 2, 3, 5, 6, 7, 8, 9]), ...contacts(12, [4, 10, 11])])).toEqual([4])
  })
})

describe("a refresh round's self-lookup", () => {
  /**
   * Joins with buckets 4-11 full-ish (bucket 11 the deepest), every request answered 10 ms later
   * with nobody closer, and the peers of the deepest two buckets sending us a PING at each of
   * `spokeAtMs`; returns the refresh rounds (1 = the first, 30 min after joining) that made a
   * self-lookup.
   */
  function selfLookupRounds(spokeAtMs: readonly number[]): number[] {
    const near = contacts(12, [10, 11])
    const driver = seeded([...contacts(20, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), ...near])
    const stepAt = driver.stepAt
    const interval = engineConfig().refreshIntervalMs
    const rounds = new Set<number>()
    let rpc = 0
    let sends = stepAt(0, { kind: 'start', bootstraps: [inBucket(0)] })
    let t = 0
    const pings = [...spokeAtMs]
    while (t < 3.5 * interval) {
      const asked = requests(sends)
      for (const { req } of asked) {
        if (t > 60_000 && req.type === 'FIND_NODE' && commonPrefixLength(req.target, self.id) === 256) rounds.add(Math.round(t / interval))
      }
      if (asked.length > 0) {
        t += 10
        sends = asked.flatMap(({ to, req }) => stepAt(t, answer(to, req)))
      } else if (pings.length > 0 && pings[0]! <= driver.deadline) {
        t = Math.max(t, pings.shift()!)
        sends = near.flatMap((c) => stepAt(t, { kind: 'message', from: c, msg: { kind: 'request', rpcId: ++rpc, type: 'PING', key: c.id, target: c.id, providers: [] } }))
      } else if (Number.isFinite(driver.deadline)) {
        t = Math.max(t, driver.deadline)
        sends = stepAt(t, { kind: 'timer' })
      } else break
    }
    return [...rounds]
  }

  it('is made when the neighbourhood was silent, and left out of the next round when it answered the last one', () => {
    // Round 1: the deepest bucket last spoke at the join, 30 min ago. Round 2: it answered round
    // 1's self-lookup. Round 3: silent since round 1 again.
    expect(selfLookupRounds([])).toEqual([1, 3])
  })

  it('is left out when the neighbourhood spoke to us within the interval, but never two rounds running', () => {
    const interval = engineConfig().refreshIntervalMs
    // They spoke before rounds 1 and 2; round 2 makes one all the same (round 1 left it out), and
    // round 3 leaves it out (they answered round 2's).
    expect(selfLookupRounds([0.9 * interval, 1.9 * interval])).toEqual([2])
  })
})
