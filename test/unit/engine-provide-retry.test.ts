// A PROVIDE whose records reached fewer than half of its replicas (the others silent: dead, or cut
// off) is re-announced within minutes, not at the 22 h republish; one whose silent replicas were
// only slow (they answer late and get the record then) is not re-announced.
import { describe, expect, it } from 'vitest'
import { Mesh } from '../helpers/mesh.js'
import { SeededRng } from '../../src/engine/rng.js'
import { compareDistance, toHex } from '../../src/engine/ids.js'
import { PROVIDE_RETRY_MS } from '../../src/engine/constants.js'
import type { Message } from '../../src/engine/types.js'

const N = 40
const KEY = new SeededRng('provide-retry/key').bytes(32)

interface WithStore {
  core: { store: { get(keyHex: string, nowMs: number, limit: number): unknown[] } }
}

function holders(mesh: Mesh, peers: readonly number[]): number[] {
  return peers.filter((i) => (mesh.nodes[i] as unknown as WithStore).core.store.get(toHex(KEY), mesh.nowMs, 100).length > 0)
}

/** The 20 peers closest to KEY, other than the provider (node 1). */
function replicasOf(mesh: Mesh): number[] {
  const others = [...Array(N).keys()].filter((i) => i !== 1)
  return others.sort((a, b) => compareDistance(mesh.contacts[a]!.id, mesh.contacts[b]!.id, KEY)).slice(0, 20)
}

/** A joined mesh (a minute in) and the times node 1's lookups for KEY reached a peer. */
function joinedMesh(seed: string): { mesh: Mesh; finds: number[] } {
  const finds: number[] = []
  const mesh = new Mesh({ n: N, seed, onDeliver: (_to, from, msg: Message, at) => {
    if (from.peer === 'p1' && msg.kind === 'request' && msg.type === 'FIND_NODE' && toHex(msg.target) === toHex(KEY)) finds.push(at)
  } })
  mesh.startAll()
  mesh.runUntil(60_000)
  return { mesh, finds }
}

describe('PROVIDE retry', () => {
  it('re-announces soon when most replicas were silent, and the records reach them once they answer', () => {
    // Node 0 is the bootstrap; it stays alive.
    const { mesh, finds } = joinedMesh('provide-retry')
    const replicas = replicasOf(mesh)
    const silent = replicas.filter((i) => i !== 0).slice(0, 15)
    for (const i of silent) mesh.dead.add(i)
    const t0 = mesh.nowMs
    mesh.lookup(1, 'PROVIDE', KEY, 1)
    mesh.runUntil(t0 + 10_000)
    expect(mesh.result(1)?.success).toBe(true) // a result came back...
    expect(holders(mesh, replicas).length * 2).toBeLessThan(replicas.length) // ...but the records fell short
    mesh.dead.clear() // the silent replicas are back
    const before = finds.length
    mesh.runUntil(t0 + PROVIDE_RETRY_MS + 10_000)
    expect(finds.length).toBeGreaterThan(before) // re-announced within the retry delay
    expect(holders(mesh, replicas).length * 2).toBeGreaterThanOrEqual(replicas.length)
  })

  it('re-announces every provided key at once on the operator\'s reprovide, and only then', () => {
    const { mesh, finds } = joinedMesh('reprovide')
    mesh.lookup(1, 'PROVIDE', KEY, 1)
    mesh.runUntil(120_000)
    expect(mesh.result(1)?.success).toBe(true)
    // Well placed: nothing goes out again for hours.
    const placed = finds.length
    mesh.runUntil(600_000)
    expect(finds.length).toBe(placed)
    const t = mesh.nowMs
    mesh.input(1, { kind: 'reprovide' })
    mesh.runUntil(t + 10_000)
    expect(finds.length).toBeGreaterThan(placed)
    expect(Math.min(...finds.slice(placed))).toBeLessThan(t + 1_000)
  })
})
