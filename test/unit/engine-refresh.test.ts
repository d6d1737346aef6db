import { describe, expect, it } from 'vitest'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import { commonPrefixLength, randomIdInBucket } from '../../src/engine/ids.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact, Output, Request } from '../../src/engine/types.js'

const rng = new SeededRng('refresh-test')
const self: Contact = { id: rng.bytes(32), peer: 'self', addrs: [], ipGroup: '' }
let next = 0
/** A contact in bucket `i` of self's table (its id shares exactly i leading bits with self's). */
const inBucket = (i: number): Contact => {
  const n = next++
  return { id: randomIdInBucket(self.id, i, rng), peer: `p${n}`, addrs: [], ipGroup: `10.${n >> 8}.${n & 255}` }
}

function requests(out: Output): { to: Contact; req: Request }[] {
  return out.sends.flatMap((s) => (s.msg.kind === 'request' ? [{ to: s.to, req: s.msg }] : []))
}

/**
 * Joins with `known` in the table, every peer asked answering that it knows nobody closer, and
 * returns the buckets the join's refresh lookups go to (they all start in one step).
 */
function refreshesAfterJoin(known: readonly Contact[]): number[] {
  const engine = new DhtEngine({ self, config: engineConfig(), rng: new SeededRng('e') })
  engine.step(0, { kind: 'seed-contacts', contacts: known })
  let asked = requests(engine.step(0, { kind: 'start', bootstraps: [inBucket(0)] }))
  const answer = (req: Request) => ({ kind: 'response' as const, rpcId: req.rpcId, type: req.type, closer: [], providers: [] })
  const refreshed = new Set<number>()
  for (let t = 10; asked.length > 0 && refreshed.size === 0 && t < 10_000; t += 10) {
    asked = asked.flatMap(({ to, req }) => requests(engine.step(t, { kind: 'message', from: to, msg: answer(req) })))
    for (const { req } of asked) {
      const cpl = commonPrefixLength(req.target, self.id)
      if (req.type === 'FIND_NODE' && cpl < 256) refreshed.add(cpl)
    }
  }
  expect(asked.length === 0 || refreshed.size > 0, 'the join finished').toBe(true)
  return [...refreshed].sort((a, b) => a - b)
}

/** `n` contacts in each of the given buckets. */
const contacts = (n: number, buckets: readonly number[]): Contact[] => buckets.flatMap((i) => Array.from({ length: n }, () => inBucket(i)))

describe('bucket refresh after a join', () => {
  it('goes to the empty middle buckets, not to the far buckets that already have contacts', () => {
    // The table a join typically leaves behind: a few contacts in the far buckets, the
    // neighbourhood (buckets 10-11) full, and nothing in between.
    const known = [...contacts(3, [0, 1, 2, 3]), ...contacts(12, [10, 11])]
    // Buckets 4-7 lack all k contacts (a network this deep has >= 20 peers in each); buckets 0-3
    // lack 17 each. The four refresh lookups of the join go to the four neediest buckets.
    expect(refreshesAfterJoin(known)).toEqual([4, 5, 6, 7])
  })

  it('skips buckets that lack less than a quarter of their contacts', () => {
    // Every bucket up to the neighbourhood holds 17 of k = 20: no lookup is worth it.
    expect(refreshesAfterJoin([...contacts(17, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), ...contacts(12, [10, 11])])).toEqual([])
    // One of them holds 12: it alone is refreshed.
    expect(refreshesAfterJoin([...contacts(17, [0, 1, 2, 3, 5, 6, 7, 8, 9]), ...contacts(12, [4, 10, 11])])).toEqual([4])
  })
})
