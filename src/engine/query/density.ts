// The Sybil-density check (policy.sybilDetection) and the network-size estimate it compares with.
// Once per lookup, when its closest answers crowd the target far more tightly than the network
// size predicts, the cluster is excluded and the lookup continues beyond it.
import type { EngineCore } from '../core.js'
import type { Lookup } from './lookup.js'
import { estimateSize } from '../size-estimator.js'

/**
 * Runs the check on a lookup about to finish. Returns true when it excluded a cluster: the lookup
 * must then continue (the caller advances it) instead of finishing.
 */
export function densityCheck(core: EngineCore, l: Lookup): boolean {
  if (l.densityChecked) return false
  l.densityChecked = true
  const closest = l.closestAnswered().map((c) => c.contact)
  const local = estimateSize(l.target, closest)
  if (local === undefined) return false
  const cfg = core.cfg
  const policy = cfg.policy
  const network = networkSizeEstimate(core)
  if (!policy.sybilDetection || network === undefined || local <= policy.sybilDensityFactor * network) {
    if (closest.length >= cfg.k / 2) core.sizeEstimator.add(local)
    return false
  }
  // Honest peers sit at about i/N: anything closer than k/(N·factor) is packed tighter than the
  // first few honest neighbours could be.
  const marked = l.excludeCluster(cfg.k / (network * policy.sybilDensityFactor))
  if (marked === 0) return false
  core.count(core.rejected, 'sybil-suspect')
  core.emit({ kind: 'sybil-suspected', target: l.target, ratio: local / network })
  return true
}

/**
 * The network-size estimate: the larger of the upper quartile over recent lookups and what our
 * own neighbourhood in the routing table says (peers that found us by their own self-lookups).
 * Undefined until either is available.
 */
export function networkSizeEstimate(core: EngineCore): number | undefined {
  const k = core.cfg.k
  const fromLookups = core.sizeEstimator.estimate()
  const neighbours = core.table.closest(core.self.id, k)
  const fromTable = neighbours.length >= k / 2 ? estimateSize(core.self.id, neighbours) : undefined
  if (fromLookups === undefined) return fromTable
  return fromTable === undefined ? fromLookups : Math.max(fromLookups, fromTable)
}
