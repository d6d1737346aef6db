// The size the Sybil-density detector judges by has a floor: half of what the peer's own
// neighbourhood in its table says. A peer whose lookups ran while the network was still joining
// keeps an estimate many times too small, and judged by it an honest neighbourhood looks packed:
// every clean lookup would be flagged. A cluster packed around a key is still caught.
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import type { EngineCore } from '../../src/engine/core.js'
import type { DhtEngine } from '../../src/engine/engine.js'
import { detectorSizeEstimate, lookupSizeEstimate } from '../../src/engine/query/density.js'
import { Mesh } from '../helpers/mesh.js'

const POLICY = { sybilDetection: true, sybilDensityFactor: 4, maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity, maxPer16PerBucket: Infinity, maxPer16PerTable: Infinity, perPeerRatePerS: Infinity, perPeerBurst: Infinity }

// The engine's state, for a test that needs to set what its lookups have taught it.
const coreOf = (e: DhtEngine): EngineCore => (e as unknown as { core: EngineCore }).core

describe('detector: the size estimate has a floor', () => {
  it('a peer whose lookups say the network is 15x smaller does not flag clean lookups', () => {
    const n = 300
    const mesh = new Mesh({ n, seed: 'floor', config: { policy: POLICY } })
    mesh.startAll(20)
    mesh.runUntil(30_000)
    const core = coreOf(mesh.nodes[7]!)
    // What early lookups in a network of 20 peers would have taught it: a full window of them.
    for (let i = 0; i < 40; i++) core.sizeEstimator.add(20)
    expect(lookupSizeEstimate(core)).toBe(20)
    expect(detectorSizeEstimate(core)!).toBeGreaterThan(n / 4)
    const from = mesh.events.length
    const rng = new SeededRng('clean-keys')
    for (let t = 0; t < 20; t++) mesh.lookup(7, 'FIND_NODE', rng.bytes(32), 100 + t)
    mesh.runUntil(60_000)
    for (let t = 0; t < 20; t++) expect(mesh.result(100 + t)?.success).toBe(true)
    expect(mesh.events.slice(from).filter((e) => e.ev.kind === 'sybil-suspected' && e.node === 7)).toHaveLength(0)
  })
})
