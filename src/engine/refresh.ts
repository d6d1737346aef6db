// Bucket refresh: every refresh interval, lookups into the buckets no lookup went into lately
// (at most maxRefreshLookupsPerRound a round), and right after joining into the buckets farther
// than our closest neighbour (Kademlia's join).
import type { EngineCore } from './core.js'
import { commonPrefixLength, randomIdInBucket } from './ids.js'
import { requestLookup } from './query/queue.js'
import { networkSizeEstimate } from './query/density.js'
import { BUCKET_REFRESH, timerPayload } from './timer-kinds.js'
import { armAnnounce } from './announce.js'

/** Arms the next refresh round, one interval from now. */
export function armRefresh(core: EngineCore): void {
  core.timers.push(core.nowMs + core.cfg.refreshIntervalMs, timerPayload(BUCKET_REFRESH))
}

/** The refresh timer: one round, and the next one armed. */
export function onRefreshTimer(core: EngineCore): void {
  refresh(core)
  armRefresh(core)
}

/**
 * Refreshes stale buckets (see RoutingTable.staleBuckets), at most maxRefreshLookupsPerRound
 * lookups a round. The deepest bucket comes first, with a self-lookup, which keeps our
 * neighbourhood (the peers that store our records) current; then the buckets that lack the most
 * contacts (refreshNeediest).
 */
function refresh(core: EngineCore): void {
  if (!core.joined) return
  let budget = core.cfg.maxRefreshLookupsPerRound
  const deepest = core.table.deepestBucket()
  const stale = core.table.staleBuckets(core.nowMs - core.cfg.refreshIntervalMs, Math.max(deepest, 0))
  if (stale.length > 0 && stale[stale.length - 1]! >= deepest) {
    stale.pop()
    requestLookup(core, 'FIND_NODE', core.self.id, core.self.id, -1, 'refresh')
    budget--
  }
  refreshNeediest(core, stale, budget)
}

/** After joining: populate buckets farther than our closest neighbour (Kademlia's join); start the announcement checks. */
export function refreshFarBuckets(core: EngineCore): void {
  armAnnounce(core)
  const nearest = core.table.closest(core.self.id, 1)[0]
  if (nearest === undefined) return
  const upTo = commonPrefixLength(core.self.id, nearest.id) - 1
  refreshNeediest(core, core.table.staleBuckets(core.nowMs - core.cfg.refreshIntervalMs, upTo), core.cfg.maxRefreshLookupsPerRound)
}

/**
 * Refresh lookups for the `budget` buckets among `stale` that lack the most contacts. A bucket i
 * covers 1/2^(i+1) of the keyspace, so it should hold min(k, N/2^(i+1)) contacts in a network of
 * N. A join's own lookup fills the buckets around its target and a few far ones, and leaves the
 * middle ones empty (most peers of a large network had an empty bucket whose part of the keyspace
 * held k peers or more); a lookup that meets only peers with that hole never reaches the part of
 * the keyspace behind it. Ties go to the shallower bucket (the larger part of the keyspace). A
 * bucket lacking less than a quarter of its contacts is left to traffic and the replacement
 * cache: topping those up cost maintenance traffic without making lookups faster or more
 * successful (docs/ARCHITECTURE.md: maintenance traffic).
 */
function refreshNeediest(core: EngineCore, stale: readonly number[], budget: number): void {
  if (budget <= 0 || stale.length === 0) return
  const k = core.cfg.k
  const n = networkSizeEstimate(core) ?? Infinity
  const lack = (i: number): number => Math.min(k, n / 2 ** (i + 1)) - core.table.bucketSize(i)
  const order = stale.map((i) => ({ i, lack: lack(i) })).filter((b) => b.lack >= k / 4).sort((a, b) => b.lack - a.lack || a.i - b.i)
  for (const { i } of order.slice(0, budget)) {
    const target = randomIdInBucket(core.self.id, i, core.rng)
    requestLookup(core, 'FIND_NODE', target, target, -1, 'refresh')
  }
}
