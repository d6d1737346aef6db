// Nearest-rank quantiles: the report's lookup figures (sim/metrics.ts) and the requests' round
// trips both worlds report (netmodel/rpc-times.ts) use this one definition.

/** Nearest-rank quantile of a sorted array; null when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1]!
}
