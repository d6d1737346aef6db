// Repair of one provider record to a replication factor, by looking rather than assuming.
//
// Theory of operation: ADD_PROVIDER has no acknowledgement, so the only way to know how many
// copies of our record exist is to ask. measure(): a FIND_NODE lookup of the key gives the k
// closest peers; each is asked GET_PROVIDERS directly, and a peer *holds* the record when its
// answer names us. rf_observed is the number of holders. repair(): while fewer than `rf` holders
// are observed, ADD_PROVIDER goes to the closest non-holders that answered (those in the
// preferred region first, where a peer's region is known from its PQ proof), a batch of exactly
// the missing count at a time, and each is asked again: only a copy seen counts. It stops at
// `rf` holders or when the candidates run out, and reports before and after honestly
// (`status: "short"` with the shortfall when the network could not give `rf`).
import type { Contact } from '../../engine/index.js'
import { idEquals } from '../../engine/ids.js'

/** Wait before asking a peer again whether it holds a record just sent. */
const RECHECK_MS = 250

export interface RepairDeps {
  /** The k closest peers to the key that answered (nearest first), ourselves excluded. */
  closest(key: Uint8Array): Promise<readonly Contact[]>
  /** The provider ids `to` holds for `key`, or undefined when it did not answer. */
  probe(to: Contact, key: Uint8Array): Promise<readonly Uint8Array[] | undefined>
  addProvider(to: Contact, key: Uint8Array): Promise<boolean>
  /** Our peer id as multihash bytes (what holders name). */
  readonly self: Uint8Array
  regionOf(peer: string): string | undefined
  /** Probes and sends in flight at once. */
  readonly concurrency?: number
}

export interface RfMeasure {
  readonly holders: string[]
  readonly nonHolders: Contact[]
  readonly unreachable: string[]
}

export interface RepairReport {
  readonly rf_target: number
  readonly rf_before: number
  readonly rf_after: number
  readonly status: 'ok' | 'repaired' | 'short'
  readonly shortfall: number
  readonly closest: number
  readonly holders: readonly string[]
  readonly added: readonly string[]
  readonly unreachable: readonly string[]
  readonly prefer_region?: string
}

async function mapLimited<T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

async function holds(deps: RepairDeps, c: Contact, key: Uint8Array): Promise<boolean | undefined> {
  const p = await deps.probe(c, key)
  if (p === undefined) return undefined
  return p.some((id) => idEquals(id, deps.self))
}

/** Who among the k closest holds our record for `key`. */
export async function measure(deps: RepairDeps, key: Uint8Array): Promise<RfMeasure> {
  const closest = await deps.closest(key)
  const answers = await mapLimited(closest, deps.concurrency ?? 8, (c) => holds(deps, c, key))
  const m: RfMeasure = { holders: [], nonHolders: [], unreachable: [] }
  closest.forEach((c, i) => {
    const a = answers[i]
    if (a === undefined) m.unreachable.push(c.peer)
    else if (a) m.holders.push(c.peer)
    else m.nonHolders.push(c)
  })
  return m
}

export async function repair(deps: RepairDeps, key: Uint8Array, rf: number, preferRegion?: string): Promise<RepairReport> {
  const m = await measure(deps, key)
  const before = m.holders.length
  const holders = [...m.holders]
  const added: string[] = []
  // Nearest first, the preferred region ahead of the rest (a stable partition keeps distance order).
  const candidates =
    preferRegion === undefined
      ? [...m.nonHolders]
      : [...m.nonHolders.filter((c) => deps.regionOf(c.peer) === preferRegion), ...m.nonHolders.filter((c) => deps.regionOf(c.peer) !== preferRegion)]
  const unreachable = [...m.unreachable]
  while (holders.length < rf && candidates.length > 0) {
    const batch = candidates.splice(0, rf - holders.length)
    await mapLimited(batch, deps.concurrency ?? 8, (c) => deps.addProvider(c, key))
    // A record handed over a moment ago may still be on its way into the peer's store: a peer
    // that took the write but does not show the record yet is asked once more.
    const seen = await mapLimited(batch, deps.concurrency ?? 8, async (c) => {
      const first = await holds(deps, c, key)
      if (first !== false) return first
      await new Promise((r) => setTimeout(r, RECHECK_MS))
      return holds(deps, c, key)
    })
    // A copy seen is a copy, whatever the write's own close reported (it may fail after the
    // peer has read the record).
    batch.forEach((c, i) => {
      if (seen[i] === true) {
        holders.push(c.peer)
        added.push(c.peer)
      } else if (seen[i] === undefined) unreachable.push(c.peer)
    })
  }
  const after = holders.length
  const shortfall = Math.max(0, rf - after)
  return {
    rf_target: rf,
    rf_before: before,
    rf_after: after,
    status: shortfall > 0 ? 'short' : added.length > 0 ? 'repaired' : 'ok',
    shortfall,
    closest: m.holders.length + m.nonHolders.length + m.unreachable.length,
    holders,
    added,
    unreachable,
    ...(preferRegion !== undefined ? { prefer_region: preferRegion } : {}),
  }
}
