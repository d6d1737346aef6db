// What the last measurement of each record said: copies observed against the target asked for.
//
// ADD_PROVIDER has no acknowledgement, so the node knows how many copies of a record exist only
// when it looks (replicas, repair, a verified provide). The tracker keeps the latest look per key
// — bounded: the oldest key is forgotten past MAX_TRACKED_KEYS — and the metrics read it:
// `ron_dht_missing_records` is the copies missing to reach the targets, summed over the keys, and
// `ron_dht_records_below_rf_target` the keys whose last look saw fewer copies than the target,
// so the runbook's signal `rf_observed < rf_target` is one PromQL comparison with zero.

/** Records whose last measurement is kept (a limit on everything). */
export const MAX_TRACKED_KEYS = 10_000

/** The target of a check or repair that names none (ctl and the admin API). */
export const DEFAULT_RF_TARGET = 3

export class RfTracker {
  private readonly last = new Map<string, { observed: number; target: number }>()
  private missingSum = 0
  private belowCount = 0

  constructor(private readonly maxKeys = MAX_TRACKED_KEYS) {}

  /** The latest measurement of `key` (hex): `observed` copies seen, `target` wanted. */
  note(key: string, observed: number, target: number): void {
    this.forget(key)
    if (this.last.size >= this.maxKeys) {
      const oldest = this.last.keys().next().value
      if (oldest !== undefined) this.forget(oldest)
    }
    this.last.set(key, { observed, target })
    this.missingSum += Math.max(0, target - observed)
    if (observed < target) this.belowCount++
  }

  private forget(key: string): void {
    const m = this.last.get(key)
    if (m === undefined) return
    this.last.delete(key)
    this.missingSum -= Math.max(0, m.target - m.observed)
    if (m.observed < m.target) this.belowCount--
  }

  /** Copies missing to reach each record's target, summed. */
  get missing(): number {
    return this.missingSum
  }

  /** Records whose last measurement saw fewer copies than their target. */
  get belowTarget(): number {
    return this.belowCount
  }

  get size(): number {
    return this.last.size
  }
}
