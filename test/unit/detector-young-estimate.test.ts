// A peer just joined (or restarted) judges its first lookups by what its young table says the
// network size is: 3-8x too small after the join, so an honest neighbourhood looks packed. The
// four false alarms left on a clean churning network (churn.yaml seeds 3, 4, 6 with the strict
// profile) were each such a peer, under a second to 6 s after its restart, its estimate 240-630 for
// 1,966 peers, and not one lookup sample taught: each lookup, its join lookup included, was refused
// as a sample for looking dense against that same young estimate. The distances below are
// seed 6's, as the trace read them (in spacings of 1/1,971 of the keyspace).
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import type { EngineCore } from '../../src/engine/core.js'
import { densityCheck, detectorSizeEstimate } from '../../src/engine/query/density.js'
import { Lookup } from '../../src/engine/query/lookup.js'
import { DhtEngine as Engine } from '../../src/engine/engine.js'
import { engineConfig, STRICT_POLICY } from '../../src/engine/config.js'
import { idAtDistance } from '../../src/sim/adversary/plan.js'
import type { Contact } from '../../src/engine/types.js'

const N = 1971

// The restarted peer's table at its flag: 15 neighbours, then the far contacts the bootstraps named.
const TABLE = [0.37, 2.01, 3.61, 8.69, 13.01, 13.62, 13.83, 14.76, 15.9, 16.4, 16.58, 17.1, 18.23, 19.92, 21.27, 149.1, 633.45, 991.36, 992.9, 1030.78]
// The 20 closest peers to the target of its first refresh lookup after the join (all honest, all
// online, exactly the true 20 closest): 20 within 6.35 spacings. Judged by the true size this is a
// chance-dense neighbourhood (corrected p about 0.002), not a cluster.
const HONEST = [0.084, 0.913, 1.285, 1.407, 1.821, 1.955, 2.439, 3.114, 3.28, 3.346, 3.564, 3.578, 3.867, 3.985, 4.718, 5.204, 5.468, 6.243, 6.293, 6.353]

const coreOf = (e: Engine): EngineCore => (e as unknown as { core: EngineCore }).core

/** A strict engine just joined, holding TABLE around its id, with no lookup sample yet. */
function youngPeer(seed: string): { core: EngineCore; rng: SeededRng } {
  const rng = new SeededRng(seed)
  const self = rng.bytes(32)
  const e = new Engine({ self: { id: self, peer: 'me', addrs: [], ipGroup: '' }, config: engineConfig({ policy: STRICT_POLICY }), rng: new SeededRng(1) })
  const core = coreOf(e)
  TABLE.forEach((s, i) => {
    const c = { id: idAtDistance(self, s / N, rng.fork(`t${i}`)), peer: `t${i}`, addrs: [], ipGroup: `${20 + i}.${i}.1` }
    expect(core.table.observe(c, 1).kind).toBe('added')
  })
  core.joined = true
  return { core, rng }
}

/** A FIND_NODE lookup of a fresh target whose answers are peers at `spacings` from it, all answered. */
function answeredLookup(core: EngineCore, rng: SeededRng, spacings: readonly number[], name: string): Lookup {
  const cfg = core.cfg
  const target = rng.bytes(32)
  const l = new Lookup(core.nextLookupId++, 'FIND_NODE', target, target, -1, 0, 'refresh', core.self.peer, {
    k: cfg.k,
    alpha: cfg.alpha,
    beta: cfg.beta,
    hedgeDelayMs: cfg.hedgeDelayMs,
    disjointPaths: 1,
    maxQueries: 100,
    maxCandidatesPerPath: 200,
    providersWanted: cfg.providersWanted,
    quorum: cfg.k,
    fullNeighbourhood: true,
  })
  const peers: Contact[] = spacings.map((s, i) => ({ id: idAtDistance(target, s / N, rng.fork(`${name}${i}`)), peer: `${name}${i}`, addrs: [], ipGroup: `30.${i}.1` }))
  l.seed(peers)
  for (let round = 0; round < 40; round++) {
    const q = l.nextQueries(0)
    if (q.length === 0) break
    for (const c of q) l.answered(c, [], [])
  }
  expect(l.closestAnswered()).toHaveLength(spacings.length)
  return l
}

const flags = (core: EngineCore): number => core.events.filter((e) => e.kind === 'sybil-suspected').length

describe('detector: a peer just joined, before its lookups have given a size estimate', () => {
  it('judges by a young table that says the network is 3x smaller than it is', () => {
    const { core } = youngPeer('young-table')
    const est = detectorSizeEstimate(core)!
    expect(est).toBeGreaterThan(N / 5)
    expect(est).toBeLessThan(N / 2)
  })

  it('does not flag an honest neighbourhood, and learns the size from it', () => {
    const { core, rng } = youngPeer('young-clean')
    const l = answeredLookup(core, rng, HONEST, 'h')
    expect(densityCheck(core, l)).toBe(false)
    expect(flags(core)).toBe(0)
    // The lookup taught the estimate (before, it was refused for looking dense against the young
    // table, and so was every lookup after the restart: the estimate stayed the young table's).
    expect(core.sizeEstimator.count).toBe(1)
  })

  it('leaves the young period after MIN_SAMPLES ordinary lookups, and then judges as usual', () => {
    const { core, rng } = youngPeer('young-leaves')
    // Five lookups of honest neighbourhoods at the true density (the i-th closest about i spacings away).
    const even = Array.from({ length: 20 }, (_, i) => i + 0.5)
    for (let t = 0; t < 5; t++) expect(densityCheck(core, answeredLookup(core, rng, even, `e${t}-`))).toBe(false)
    expect(core.sizeEstimator.count).toBe(5)
    expect(detectorSizeEstimate(core)!).toBeGreaterThan(N / 2)
    // 20 peers within one spacing: about 1e-16 against the estimate now standing on the lookups
    // (flagged at 1e-8), above the young threshold of 1e-20 against it.
    const tight = Array.from({ length: 20 }, (_, i) => (i + 0.5) / 20)
    expect(densityCheck(core, answeredLookup(core, rng, tight, 'tight'))).toBe(true)
    expect(flags(core)).toBe(1)
  })

  it('still flags a cluster packed at the key', () => {
    const { core, rng } = youngPeer('young-cluster')
    // 20 ids ground to within 1/1000 of a spacing of the key: ln p in the hundreds.
    const packed = Array.from({ length: 20 }, (_, i) => (i + 1) / 20_000)
    expect(densityCheck(core, answeredLookup(core, rng, packed, 'c'))).toBe(true)
    expect(flags(core)).toBe(1)
    expect(core.sizeEstimator.count).toBe(0)
  })
})
