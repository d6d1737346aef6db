// A GET_PROVIDERS with the Sybil detector on stops at its first provider, as it does without the
// detector, while the neighbourhood it has heard of looks ordinary (providerStopAllowed); one whose
// nearest known peers are packed walks the whole neighbourhood, which the density check scores.
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import type { EngineCore } from '../../src/engine/core.js'
import type { DhtEngine } from '../../src/engine/engine.js'
import { providerStopAllowed } from '../../src/engine/query/density.js'
import { Lookup } from '../../src/engine/query/lookup.js'
import { idAtDistance } from '../../src/sim/adversary/plan.js'
import type { Contact } from '../../src/engine/types.js'
import { Mesh } from '../helpers/mesh.js'

const POLICY = { sybilDetection: true, sybilDensityFactor: 4, maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity, maxPer16PerBucket: Infinity, maxPer16PerTable: Infinity, perPeerRatePerS: Infinity, perPeerBurst: Infinity }
const N = 300

const coreOf = (e: DhtEngine): EngineCore => (e as unknown as { core: EngineCore }).core

function joined(policy: typeof POLICY | undefined): Mesh {
  const mesh = new Mesh({ n: N, seed: 'provider-stop', config: policy === undefined ? {} : { policy } })
  mesh.startAll(20)
  mesh.runUntil(40_000)
  return mesh
}

/** Mean messages of GET_PROVIDERS and of FIND_NODE for keys that node 1..10 provided, asked by node 50 + i. */
function costs(mesh: Mesh): { get: number; find: number; found: number } {
  const rng = new SeededRng('keys')
  const keys = Array.from({ length: 10 }, () => rng.bytes(32))
  keys.forEach((k, i) => mesh.lookup(1 + i, 'PROVIDE', k, 1_000 + i))
  mesh.runUntil(50_000)
  keys.forEach((k, i) => {
    mesh.lookup(50 + i, 'GET_PROVIDERS', k, 2_000 + i)
    mesh.lookup(50 + i, 'FIND_NODE', k, 3_000 + i)
  })
  mesh.runUntil(60_000)
  const get = keys.map((_, i) => mesh.result(2_000 + i)!)
  const find = keys.map((_, i) => mesh.result(3_000 + i)!)
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
  return { get: mean(get.map((r) => r.messages)), find: mean(find.map((r) => r.messages)), found: get.filter((r) => r.success).length }
}

describe('detector: a clean GET_PROVIDERS stops at its provider', () => {
  it('costs what it costs without the detector, well under a walk of the neighbourhood', () => {
    const on = costs(joined(POLICY))
    const off = costs(joined(undefined))
    expect(on.found).toBe(10)
    expect(off.found).toBe(10)
    // A walk of the whole neighbourhood (what a FIND_NODE does) costs several times more.
    expect(on.get).toBeLessThan(on.find / 2)
    expect(on.get).toBeLessThanOrEqual(off.get * 1.5)
  })

  it('walks on when the peers it has heard of near the key are packed', () => {
    const mesh = joined(POLICY)
    const core = coreOf(mesh.nodes[7]!)
    const rng = new SeededRng('target')
    const key = rng.bytes(32)
    const lookup = (): Lookup =>
      new Lookup(1, 'GET_PROVIDERS', key, key, 1, 0, 'user', 'self', {
        k: 20, alpha: 3, beta: 0, hedgeDelayMs: 1000, disjointPaths: 1, maxQueries: 160,
        maxCandidatesPerPath: 200, providersWanted: 1, quorum: 3, fullNeighbourhood: true,
      })
    const at = (peer: string, spacings: number): Contact => ({ id: idAtDistance(key, spacings / N, rng.fork(peer)), peer, addrs: [], ipGroup: '' })
    // Honest: the i-th nearest about i spacings away.
    const honest = lookup()
    honest.seed(Array.from({ length: 20 }, (_, i) => at(`h${i}`, i + 0.5)))
    expect(providerStopAllowed(core, honest)).toBe(true)
    // 20 ids within one spacing of the key (20x the honest density), only named, none asked yet.
    const packed = lookup()
    packed.seed(Array.from({ length: 20 }, (_, i) => at(`s${i}`, (i + 0.5) / 20)))
    expect(providerStopAllowed(core, packed)).toBe(false)
  })
})
