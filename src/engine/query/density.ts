// The Sybil-density check (policy.sybilDetection) and the network-size estimate it compares with.
// When a lookup is about to finish, its closest answers are scored against the size estimate
// (density-evidence.ts: the tail probability of the densest window near the target). A lookup
// whose closest peers are packed tighter than about one clean lookup in 10^8 would see has its
// cluster — the densest window and everything nearer — excluded, and continues beyond it. Only
// such a lookup pays for the defence: a clean one is scored and finishes as before.
import type { EngineCore } from '../core.js'
import type { Lookup } from './lookup.js'
import { estimateSize } from '../size-estimator.js'
import { densityEvidence, LOG_P_CLEAN, LOG_P_FLAG, sizeFromDistances, sortedDistances } from './density-evidence.js'

/**
 * A lookup stops re-checking once it has excluded this many times k peers: a cluster larger than
 * k that a round did not cover is uncovered k at a time, and the bound keeps an attacker from
 * making one lookup run forever.
 */
const MAX_EXCLUDED_K = 6

/** The least a flagged lookup excludes, in honest spacings (1/N of the keyspace). */
const HALF_SPACING = 0.5

/**
 * Runs the check on a lookup about to finish. Returns true when it excluded a cluster: the lookup
 * must then continue (the caller advances it) instead of finishing.
 */
export function densityCheck(core: EngineCore, l: Lookup): boolean {
  if (l.densityChecked) return false
  l.densityChecked = true
  const cfg = core.cfg
  const policy = cfg.policy
  const closest = l.closestAnswered()
  if (!policy.sybilDetection) {
    // No detector: the lookup only feeds the size estimate (the refresh sizes buckets by it).
    const local = estimateSize(
      l.target,
      closest.map((c) => c.contact),
    )
    if (local !== undefined && closest.length >= cfg.k / 2) core.sizeEstimator.add(local)
    return false
  }
  const d = sortedDistances(
    l.target,
    closest.map((c) => c.contact.id),
  )
  const network = detectorSizeEstimate(core)
  const ev = network === undefined ? undefined : densityEvidence(d, network)
  if (network === undefined || ev === undefined || ev.logP >= LOG_P_FLAG) {
    // Only a lookup that looks ordinary against an estimate teaches it: a near-threshold cluster
    // (or one met before any estimate existed) must not raise the size later lookups are judged by.
    const local = sizeFromDistances(d)
    if (local !== undefined && closest.length >= cfg.k / 2 && ev !== undefined && ev.logP > LOG_P_CLEAN) core.sizeEstimator.add(local)
    return false
  }
  // Everything up to the end of the dense window (a hair past it, so that the window's last peer is
  // inside at any precision the lookup compares with), and at least half an honest spacing: a
  // ground cluster larger than k sits entirely inside that, and goes in one round instead of k at
  // a time (it costs the half an honest peer expected there).
  const marked = l.excludeCluster(Math.max(ev.upTo * (1 + 1e-9) + Number.MIN_VALUE, HALF_SPACING / network))
  if (marked === 0) return false
  // Another round may uncover the rest of a cluster larger than k (l.suspects counts the excluded).
  if (l.suspects < MAX_EXCLUDED_K * cfg.k) l.densityChecked = false
  core.count(core.rejected, 'sybil-suspect')
  core.emit({ kind: 'sybil-suspected', target: l.target, ratio: ev.ratio })
  return true
}

/**
 * The size the detector judges by: the upper quartile over recent ordinary lookups or, until there
 * are enough of them, what our own neighbourhood in the routing table says (full precision). The
 * table's word is not taken over the lookups': a cluster packed around our own id (a victim
 * eclipse) inflates it, and an inflated estimate makes every cluster look sparse.
 */
export function detectorSizeEstimate(core: EngineCore): number | undefined {
  const fromLookups = core.sizeEstimator.estimate()
  if (fromLookups !== undefined) return fromLookups
  const k = core.cfg.k
  const neighbours = core.table.closest(core.self.id, k)
  if (neighbours.length < k / 2) return undefined
  return sizeFromDistances(
    sortedDistances(
      core.self.id,
      neighbours.map((c) => c.id),
    ),
  )
}

/**
 * The network-size estimate (bucket refresh sizes buckets by it): the larger of the upper quartile
 * over recent lookups and what our own neighbourhood in the routing table says (peers that found
 * us by their own self-lookups). Undefined until either is available.
 */
export function networkSizeEstimate(core: EngineCore): number | undefined {
  const k = core.cfg.k
  const fromLookups = core.sizeEstimator.estimate()
  const neighbours = core.table.closest(core.self.id, k)
  const fromTable = neighbours.length >= k / 2 ? estimateSize(core.self.id, neighbours) : undefined
  if (fromLookups === undefined) return fromTable
  return fromTable === undefined ? fromLookups : Math.max(fromLookups, fromTable)
}
