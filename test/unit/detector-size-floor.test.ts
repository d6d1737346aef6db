// The size the Sybil-density detector judges by has a floor: half of what the peer's own
// neighbourhood in its table says. A peer whose lookups ran while the network was still joining
// keeps an estimate many times too small, and judged by it an honest neighbourhood looks packed:
// every clean lookup would be flagged. A cluster packed around a key is still caught.
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/engine/rng.js'
import type { EngineCore } from '../../src/engine/core.js'
import { detectorSizeEstimate, lookupSizeEstimate } from '../../src/engine/query/density.js'
import { Mesh } from '../helpers/mesh.js'
import { DhtEngine as Engine } from '../../src/engine/engine.js'
import { engineConfig, STRICT_POLICY } from '../../src/engine/config.js'
import { idAtDistance } from '../../src/sim/adversary/plan.js'

const POLICY = { sybilDetection: true, sybilDensityFactor: 4, maxPerGroupPerBucket: Infinity, maxPerGroupPerTable: Infinity, maxPer16PerBucket: Infinity, maxPer16PerTable: Infinity, perPeerRatePerS: Infinity, perPeerBurst: Infinity }

// The engine's state, for a test that needs to set what its lookups have taught it.
const coreOf = (e: Engine): EngineCore => (e as unknown as { core: EngineCore }).core

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

describe('detector: a young table\'s neighbourhood estimate', () => {
  it('stops at the hole between its neighbourhood and its few far contacts', () => {
    // What a peer just joined (or restarted) holds: 17 neighbours about i spacings away in a
    // network of 2,000, and 3 far contacts; the buckets between them are still empty.
    const n = 2000
    const rng = new SeededRng('young')
    const self = rng.bytes(32)
    const e = new Engine({ self: { id: self, peer: 'me', addrs: [], ipGroup: '' }, config: engineConfig({ policy: STRICT_POLICY }), rng: new SeededRng(1) })
    const core = coreOf(e)
    const add = (peer: string, fraction: number, i: number): void => {
      expect(core.table.observe({ id: idAtDistance(self, fraction, rng.fork(peer)), peer, addrs: [], ipGroup: `${20 + i}.${i}.1` }, 1).kind).toBe('added')
    }
    for (let i = 0; i < 17; i++) add(`near${i}`, (i + 0.5) / n, i)
    for (let i = 0; i < 3; i++) add(`far${i}`, 0.3 + 0.1 * i, 17 + i)
    expect(core.table.size).toBe(20)
    // No lookup has taught it anything: the lookups' estimate is the whole neighbourhood's (the
    // far three included: about 120), and the detector's floor half of the neighbourhood's up to
    // its hole.
    expect(lookupSizeEstimate(core)!).toBeLessThan(n / 8)
    const est = detectorSizeEstimate(core)!
    expect(est).toBeGreaterThan(n / 4)
    expect(est).toBeLessThan(n)
  })
})
