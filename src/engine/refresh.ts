// Bucket refresh: every refresh interval, lookups into the buckets no lookup went into lately
// (at most maxRefreshLookupsPerRound a round), and after joining into the buckets farther than our
// closest neighbour (Kademlia's join): as many lookups, one at a time, JOIN_FILL_GAP_MS apart.
// A lookup into a bucket aims at the part of its range where the bucket holds fewest contacts.
import type { EngineCore } from './core.js'
import { commonPrefixLength, randomIdInBucket } from './ids.js'
import { requestLookup } from './query/queue.js'
import { networkSizeEstimate } from './query/density.js'
import { BUCKET_REFRESH, timerPayload } from './timer-kinds.js'
import { armAnnounce } from './announce.js'
import { JOIN_FILL_GAP_MS } from './constants.js'
import type { NodeId } from './ids.js'
import { SUBRANGE_BITS } from './routing-table.js'

/** Arms the next refresh round, one interval from now. */
export function armRefresh(core: EngineCore): void {
  core.timers.push(core.nowMs + core.cfg.refreshIntervalMs, timerPayload(BUCKET_REFRESH))
}

/**
 * The refresh timer: with `joinFillLeft` 0, one round, and the next one armed; else one step of
 * the join's bucket fill, with that many lookups left (this one included).
 */
export function onRefreshTimer(core: EngineCore, joinFillLeft: number): void {
  if (joinFillLeft > 0) {
    joinFillStep(core, joinFillLeft)
    return
  }
  refresh(core)
  armRefresh(core)
}

/**
 * Refreshes stale buckets (see RoutingTable.staleBuckets), at most maxRefreshLookupsPerRound
 * lookups a round. The deepest bucket comes first, with a self-lookup, which keeps our
 * neighbourhood (the peers that store our records) current; then the buckets that lack the most
 * contacts (refreshNeediest).
 *
 * The self-lookup is left out of a round when every contact of the deepest bucket spoke to us
 * within the interval, unless the round before left it out too. Our neighbours' own self-lookups
 * and joins reach us (we are among their closest), so a neighbourhood that spoke is one that holds
 * us and that we hold; a newcomer near us tells us of itself with its join. This is the Kademlia
 * paper's "buckets are generally kept fresh by the traffic of requests": at 2 x 10^4 peers under
 * 10 %/h churn, self-lookups were a fifth of all requests once rounds began (BENCHMARKS.md, the
 * steady state at scale). Every other round still makes one, so the announcement our neighbours
 * remember (ANNOUNCE_TTL_MS, two intervals) is renewed. The slot it leaves is not given to
 * another bucket: the round sends less.
 */
function refresh(core: EngineCore): void {
  if (!core.joined) return
  let budget = core.cfg.maxRefreshLookupsPerRound
  const sinceMs = core.nowMs - core.cfg.refreshIntervalMs
  const deepest = core.table.deepestBucket()
  const stale = core.table.staleBuckets(sinceMs, Math.max(deepest, 0))
  if (stale.length > 0 && stale[stale.length - 1]! >= deepest) {
    stale.pop()
    if (!core.selfLookupSkipped && deepest >= 0 && core.table.headSeenMs(deepest) >= sinceMs) {
      core.selfLookupSkipped = true
    } else {
      core.selfLookupSkipped = false
      requestLookup(core, 'FIND_NODE', core.self.id, core.self.id, -1, 'refresh')
    }
    budget--
  }
  refreshNeediest(core, stale, budget)
}

/**
 * After joining: populate buckets farther than our closest neighbour (Kademlia's join), and start
 * the announcement checks. The lookups go one at a time, JOIN_FILL_GAP_MS apart, each into the
 * bucket that then lacks the most: a lookup's answers and the peers that hear of us meanwhile fill
 * buckets too, so the later ones go where the earlier ones left holes. Sent at once (as a round
 * is), they were chosen from the table the join left and went into the same holes; with every
 * peer of a network joining in the same minutes, the storm of them filled the far buckets worse,
 * for the same messages (BENCHMARKS.md, the scale section).
 */
export function refreshFarBuckets(core: EngineCore): void {
  armAnnounce(core)
  joinFillStep(core, core.cfg.maxRefreshLookupsPerRound)
}

/** One lookup of the join's bucket fill (into the neediest bucket farther than our closest neighbour), and the next step armed. */
function joinFillStep(core: EngineCore, left: number): void {
  const nearest = core.table.closest(core.self.id, 1)[0]
  if (nearest === undefined || left <= 0) return
  const upTo = commonPrefixLength(core.self.id, nearest.id) - 1
  if (refreshNeediest(core, core.table.staleBuckets(core.nowMs - core.cfg.refreshIntervalMs, upTo), 1) === 0) return
  if (left > 1) core.timers.push(core.nowMs + JOIN_FILL_GAP_MS, timerPayload(BUCKET_REFRESH, left - 1))
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
function refreshNeediest(core: EngineCore, stale: readonly number[], budget: number): number {
  if (budget <= 0 || stale.length === 0) return 0
  const k = core.cfg.k
  const n = networkSizeEstimate(core) ?? Infinity
  const lack = (i: number): number => Math.min(k, n / 2 ** (i + 1)) - core.table.bucketSize(i)
  const order = stale.map((i) => ({ i, lack: lack(i) })).filter((b) => b.lack >= k / 4).sort((a, b) => b.lack - a.lack || a.i - b.i)
  const chosen = order.slice(0, budget)
  for (const { i } of chosen) {
    const target = aimInBucket(core, i)
    requestLookup(core, 'FIND_NODE', target, target, -1, 'refresh')
  }
  return chosen.length
}

/**
 * A random id in bucket i, in the sub-range of its range where the bucket holds fewest contacts
 * (the first such from a random start; RoutingTable.subrangeCounts): a lookup's answers come from
 * around its target, so this fills the part of the bucket that lookups into it miss most, and
 * the table's balanced admission keeps what it brings.
 */
function aimInBucket(core: EngineCore, i: number): NodeId {
  const target = randomIdInBucket(core.self.id, i, core.rng)
  const counts = core.table.subrangeCounts(i)
  if (counts === undefined) return target
  const n = counts.length
  const from = core.rng.int(n)
  let e = from
  for (let j = 1; j < n; j++) {
    const f = (from + j) % n
    if (counts[f]! < counts[e]!) e = f
  }
  for (let b = 0; b < SUBRANGE_BITS; b++) {
    const bit = i + 1 + b
    const mask = 0x80 >> (bit & 7)
    target[bit >> 3] = (e >> (SUBRANGE_BITS - 1 - b)) & 1 ? target[bit >> 3]! | mask : target[bit >> 3]! & ~mask
  }
  return target
}
