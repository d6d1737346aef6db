// Rejections with their virtual time and reason: the CPU model's "overloaded", the engine's
// "rate-limited" (request-rejected events) and so on. Gate metrics `rejected_<reason>` count
// them over a window ("rate-limited" becomes rejected_rate_limited).

/** At most this many rejections are kept with their time; beyond it they are only counted. */
const MAX_ROWS = 5_000_000

export function rejectMetricName(reason: string): string {
  return `rejected_${reason.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '')}`
}

export class RejectLog {
  private readonly reasons: string[] = []
  private timeMs: number[] = []
  private code: number[] = []
  /** Rejections beyond MAX_ROWS (counted, not timed). */
  overflow = 0

  /** Makes a reason known (its metric then reads 0, not "unmeasured", when nothing was rejected). */
  register(reason: string): void {
    if (!this.reasons.includes(reason)) this.reasons.push(reason)
  }

  add(nowMs: number, reason: string): void {
    if (this.timeMs.length >= MAX_ROWS) {
      this.overflow++
      return
    }
    let c = this.reasons.indexOf(reason)
    if (c < 0) {
      c = this.reasons.length
      this.reasons.push(reason)
    }
    this.timeMs.push(nowMs)
    this.code.push(c)
  }

  /** rejected_<reason> counts over [fromMs, toMs), every reason seen in the run (0 when none in range), sorted by name. */
  counts(fromMs: number, toMs: number): Record<string, number> {
    const n = new Array<number>(this.reasons.length).fill(0)
    for (let i = 0; i < this.timeMs.length; i++) {
      const t = this.timeMs[i]!
      if (t >= fromMs && t < toMs) n[this.code[i]!]!++
    }
    const names = this.reasons.map((r, i) => [rejectMetricName(r), n[i]!] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    const out: Record<string, number> = {}
    for (const [k, v] of names) out[k] = (out[k] ?? 0) + v
    return out
  }

  get total(): number {
    return this.timeMs.length + this.overflow
  }
}
