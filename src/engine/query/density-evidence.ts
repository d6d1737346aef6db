// Theory of operation
// -------------------
// The statistical evidence that a lookup's closest peers were placed there, not drawn at random.
//
// With N peers whose ids are uniform, the peers within a keyspace fraction x of any point form
// (very nearly) a Poisson process of rate N: the number in a window of width w is Poisson(N·w).
// An eclipse attacker has to put ids where honest ones would not be: more of them in some window
// near the target than the network's size allows. So for the lookup's closest answers, sorted by
// distance d_1 <= ... <= d_m, every window (d_a, d_b] (and [0, d_b]) is scored by the tail
// probability of holding that many peers, P(Poisson(N·(d_b − d_a)) >= b − a), and the smallest is
// corrected for the m(m+1)/2 windows tried (Bonferroni). A window that starts at 0 is the test of
// "packed at the key"; one that starts at d_a > 0 is the gap test: a cluster placed a few honest
// spacings away, with honest peers (or nothing) between it and the key. There is no density factor
// an attacker can stay just under: c ids at r times the honest density score about
// ln p = −c·(ln r − 1 + 1/r), so a cluster is caught once it is dense or large enough. (Below
// that, e.g. 20 ids at 4x, the honest peers it displaces are still among the k closest: the
// attack has not taken the key.)
//
// Distances are read at full precision: an id ground 100 bits close to the key still has a
// distance (2^-100 of the keyspace), not 0. Everything here is pure arithmetic on the ids.
import type { NodeId } from '../ids.js'

/**
 * The XOR distance of a and b as a fraction of the keyspace, to 56 significant bits wherever the
 * first differing bit is (a double reaches 2^-1074; ids have 256 bits).
 */
export function distanceFractionFull(a: NodeId, b: NodeId): number {
  const n = Math.min(a.length, b.length)
  let z = 0
  while (z < n && a[z] === b[z]) z++
  if (z === n) return 0
  let scale = 256 ** -(z + 1)
  let f = 0
  for (let i = z; i < Math.min(n, z + 7); i++) {
    f += (a[i]! ^ b[i]!) * scale
    scale /= 256
  }
  return f
}

/** ln(n!) for the small counts a lookup produces; Stirling beyond the table. */
const LOG_FACT: readonly number[] = (() => {
  const t = [0]
  for (let i = 1; i <= 1024; i++) t.push(t[i - 1]! + Math.log(i))
  return t
})()

function logFactorial(n: number): number {
  if (n <= 1024) return LOG_FACT[n]!
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n)
}

/**
 * ln P(X >= n) for X ~ Poisson(lambda). Only the upper tail past the mean is ever small: at or
 * below the mean the answer is reported as 0 (probability 1), which only errs towards "clean".
 */
export function logPoissonTail(n: number, lambda: number): number {
  if (n <= 0) return 0
  if (lambda <= 0) return -Infinity
  if (lambda >= n) return 0
  // P(X >= n) = pmf(n) · (1 + λ/(n+1) + λ²/((n+1)(n+2)) + ...): the series converges fast past the mean.
  const logPmf = n * Math.log(lambda) - lambda - logFactorial(n)
  let sum = 1
  let term = 1
  for (let j = n + 1; j < n + 10_000; j++) {
    term *= lambda / j
    sum += term
    if (term < 1e-16 * sum) break
  }
  return Math.min(0, logPmf + Math.log(sum))
}

export interface DensityEvidence {
  /** ln of the smallest window tail probability, Bonferroni-corrected (0: nothing unusual). */
  readonly logP: number
  /** The densest window: ranks (0-based, inclusive) of its first and last peer. */
  readonly from: number
  readonly to: number
  /** Its distance bound: everything at or closer than this is in or before the window. */
  readonly upTo: number
  /** Peers in the window over the number the size estimate expects there. */
  readonly ratio: number
}

/** Flag threshold on the corrected probability: about one false alarm in 10^8 clean lookups. */
export const LOG_P_FLAG = Math.log(1e-8)
/** A lookup this ordinary (corrected p above it) may feed the network-size estimate. */
export const LOG_P_CLEAN = Math.log(1e-3)
/**
 * A lookup this unusual (corrected p at or below it) but not flagged has its region treated as
 * suspect: its records are stored on, and looked for at, a wider region (density.ts). A loose
 * cluster (a few times the honest density) reaches it long before the flag threshold; a clean
 * lookup's corrected p is below it in well under 1 % of lookups (the correction is conservative).
 */
export const LOG_P_SUSPECT = Math.log(1e-2)

/**
 * Scores the sorted distances `d` (fractions of the keyspace, nearest first) against a network
 * of `n` peers. Undefined for fewer than 4 distances (too few to say anything).
 */
export function densityEvidence(d: readonly number[], n: number): DensityEvidence | undefined {
  const m = d.length
  if (m < 4 || !(n > 0)) return undefined
  let best = 0
  let from = 0
  let to = 0
  for (let b = 0; b < m; b++) {
    const db = d[b]!
    // a = -1: the window [0, d_b]; a >= 0: (d_a, d_b], which holds b − a peers.
    for (let a = -1; a < b; a++) {
      const count = b - a
      const lambda = n * (db - (a < 0 ? 0 : d[a]!))
      if (lambda >= count) continue
      const lp = logPoissonTail(count, lambda)
      if (lp < best) {
        best = lp
        from = a + 1
        to = b
      }
    }
  }
  const windows = (m * (m + 1)) / 2
  const logP = Math.min(0, best + Math.log(windows))
  const width = d[to]! - (from > 0 ? d[from - 1]! : 0)
  const expected = n * width
  return { logP, from, to, upTo: d[to]!, ratio: expected > 0 ? (to - from + 1) / expected : Infinity }
}

/** The sorted full-precision distances of `ids` to `target`. */
export function sortedDistances(target: NodeId, ids: readonly NodeId[]): number[] {
  const out = ids.map((id) => distanceFractionFull(id, target))
  out.sort((x, y) => x - y)
  return out
}

