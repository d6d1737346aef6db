// A restart keeps what the node had on disk (seed-content): the keys it provides are re-announced
// once it has joined again, and the provider records it held are served until they expire.
// Without it (a fresh engine: the simulator's churn.amnesia), a restarted provider never
// re-announces and a restarted holder has nothing to serve. Republish goes out in batches the
// lookup queue can take, so a node providing many keys sheds none of them.
import { describe, expect, it } from 'vitest'
import { Mesh } from '../helpers/mesh.js'
import { SeededRng } from '../../src/engine/rng.js'
import { compareDistance, toHex } from '../../src/engine/ids.js'
import { DhtEngine } from '../../src/engine/engine.js'
import { engineConfig } from '../../src/engine/config.js'
import type { EngineContent, Message } from '../../src/engine/types.js'

const N = 40
const KEY = new SeededRng('restart-content/key').bytes(32)
const PROVIDER = 1

/** A mesh that counts the ADD_PROVIDER requests node 1 sends, by key. */
function meshCounting(seed: string, config?: ConstructorParameters<typeof Mesh>[0]['config']): { mesh: Mesh; adds: string[] } {
  const adds: string[] = []
  const mesh = new Mesh({
    n: N,
    seed,
    ...(config !== undefined ? { config } : {}),
    onDeliver: (_to, from, msg: Message) => {
      if (from.peer === `p${PROVIDER}` && msg.kind === 'request' && msg.type === 'ADD_PROVIDER') adds.push(toHex(msg.target))
    },
  })
  return { mesh, adds }
}

/** The peer farthest from KEY (other than the provider): it asks, and holds no record. */
function askerOf(mesh: Mesh): number {
  const others = [...Array(N).keys()].filter((i) => i !== PROVIDER)
  return others.sort((a, b) => compareDistance(mesh.contacts[b]!.id, mesh.contacts[a]!.id, KEY))[0]!
}

function restart(mesh: Mesh, node: number, keep: boolean, bootstrap: number): void {
  const old = mesh.restart(node, 2)
  const content: EngineContent = old.content()
  if (keep) mesh.input(node, { kind: 'seed-content', content })
  mesh.input(node, { kind: 'start', bootstraps: [mesh.contacts[bootstrap]!] })
}

/**
 * The provider announces KEY; then every peer but the asker restarts (through the asker): the
 * provider keeping its content or not, the others (the holders) keeping theirs or not. Returns
 * the providers the asker then finds, and the ADD_PROVIDER the provider sent after its restart.
 */
function restartAll(providerKeeps: boolean, holdersKeep: boolean): { found: number; addsAfter: number } {
  const { mesh, adds } = meshCounting('restart-content')
  mesh.startAll()
  mesh.runUntil(60_000)
  mesh.lookup(PROVIDER, 'PROVIDE', KEY, 1)
  mesh.runUntil(70_000)
  expect(mesh.result(1)?.success).toBe(true)
  expect(mesh.nodes[PROVIDER]!.content().provided.map((p) => toHex(p.target))).toEqual([toHex(KEY)])
  const asker = askerOf(mesh)
  const before = adds.length
  for (let i = 0; i < N; i++) if (i !== asker) restart(mesh, i, i === PROVIDER ? providerKeeps : holdersKeep, asker)
  mesh.runUntil(120_000)
  const addsAfter = adds.length - before
  mesh.lookup(asker, 'GET_PROVIDERS', KEY, 2)
  mesh.runUntil(130_000)
  return { found: mesh.result(2)?.providers.length ?? -1, addsAfter }
}

describe('restart with content (seed-content)', () => {
  it('a restarted provider re-announces the keys it provides once joined', () => {
    const kept = restartAll(true, false)
    expect(kept.addsAfter).toBeGreaterThanOrEqual(10)
    expect(kept.found).toBe(1)
    const forgot = restartAll(false, false)
    expect(forgot.addsAfter).toBe(0)
    expect(forgot.found).toBe(0)
  })

  it('a restarted holder keeps serving the records it held', () => {
    expect(restartAll(false, true).found).toBe(1)
    expect(restartAll(false, false).found).toBe(0)
  })

  it('skips records that expired while the node was down, and its own records', () => {
    const self = { id: new SeededRng('self').bytes(32), peer: 'me', addrs: [], ipGroup: '' }
    const other = { id: new SeededRng('other').bytes(32), peer: 'other', addrs: [], ipGroup: '' }
    const engine = new DhtEngine({ self, config: engineConfig(), rng: new SeededRng('e') })
    const keyHex = toHex(KEY)
    engine.step(1_000, {
      kind: 'seed-content',
      content: {
        provided: [],
        records: [
          { keyHex, provider: other, expiresMs: 999 },
          { keyHex, provider: self, expiresMs: 5_000 },
        ],
      },
    })
    expect(engine.stats(1_000).providerRecords).toBe(0)
    engine.step(1_000, { kind: 'seed-content', content: { provided: [], records: [{ keyHex, provider: other, expiresMs: 5_000 }] } })
    expect(engine.content().records).toEqual([{ keyHex, provider: other, expiresMs: 5_000 }])
  })
})

describe('republish in batches', () => {
  it('re-announces every key of a node providing more than the lookup queue holds, shedding none', () => {
    const { mesh, adds } = meshCounting('republish-batches', { maxInflightLookups: 4, maxQueuedLookups: 8 })
    mesh.startAll()
    mesh.runUntil(30_000)
    const rng = new SeededRng('republish-batches/keys')
    const provided = Array.from({ length: 50 }, () => {
      const k = rng.bytes(32)
      return { key: k, target: k }
    })
    // Seeded after the join: due at once, all 50 together; the queue takes 4 + 8 / 2 at a time.
    mesh.input(PROVIDER, { kind: 'seed-content', content: { provided, records: [] } })
    mesh.runUntil(200_000)
    expect(new Set(adds).size).toBe(50)
    expect(mesh.nodes[PROVIDER]!.stats(mesh.nowMs).rejected['maintenance-shed']).toBeUndefined()
  })
})
