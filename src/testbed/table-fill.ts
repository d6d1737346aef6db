// table_fill on the testbed: the nodes' routing tables at the end of the run against the ideal
// tables of the same nodes, as the simulator measures its peers' (simulation.ts measureTables):
// per bucket, the contacts held that are online, capped at what the ideal table holds
// (min(k, online peers in the bucket's range)). The testbed's few hundred nodes are counted by
// brute force; the simulator's ground truth answers the same question by range counts.
import { commonPrefixLength } from '../engine/ids.js'
import { TableFillTally } from '../sim/metrics.js'

/** One node's table at the end: its id and its contacts' ids, hex. */
export interface TableDump {
  readonly id: string
  readonly contacts: readonly string[]
}

/** table_fill and table_fill_far over the nodes given (every one online); null when there is nothing to measure. */
export function tableFillOf(tables: readonly TableDump[], k: number): { fill: number | null; far: number | null } {
  const ids = tables.map((t) => Buffer.from(t.id, 'hex'))
  const online = new Set(tables.map((t) => t.id))
  const tally = new TableFillTally(k)
  tables.forEach((t, p) => {
    const ideal: number[] = []
    for (let q = 0; q < ids.length; q++) {
      if (q === p) continue
      const b = commonPrefixLength(ids[p]!, ids[q]!)
      while (ideal.length <= b) ideal.push(0)
      ideal[b]!++
    }
    for (let b = 0; b < ideal.length; b++) ideal[b] = Math.min(k, ideal[b]!)
    const held = ideal.map(() => 0)
    for (const c of t.contacts) {
      if (!online.has(c) || c === t.id) continue
      const b = commonPrefixLength(ids[p]!, Buffer.from(c, 'hex'))
      if (b < held.length) held[b]!++
    }
    tally.add(held, ideal)
  })
  return { fill: tally.fill(), far: tally.farFill() }
}
