// The one source of randomness: a seeded PRNG (seedrandom's alea) that forks by label, so each
// node and each fault model has its own stream and adding one does not shift the others.
import seedrandom from 'seedrandom'

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  bytes(n: number): Uint8Array
  /** An independent stream derived from this stream's seed and the label (not its position). */
  fork(label: string): Rng
  readonly seed: string
}

/**
 * A stream of seedrandom's alea. The library seeds it (its Mash hash of the seed string); the
 * stream then steps alea's three-line recurrence itself, on four fields of this object, and gives
 * the library's sequence exactly (test/property/rng.test.ts holds the two side by side). The
 * library's own generator is a closure with three more closures and their context beside it, and
 * every simulated peer has two streams (its engine's and its churn's): held this way they take
 * 640 bytes less per peer (BENCHMARKS.md, "Bytes per simulated peer, counted again").
 */
export class SeededRng implements Rng {
  readonly seed: string
  /** alea's state: three lags of 32-bit fractions and the carry (seedrandom's s0, s1, s2, c). */
  private s0: number
  private s1: number
  private s2: number
  private c: number

  constructor(seed: string | number) {
    this.seed = String(seed)
    const state = seedrandom.alea(this.seed, { state: true }).state()
    this.s0 = state.s0
    this.s1 = state.s1
    this.s2 = state.s2
    this.c = state.c
  }

  next(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10 // 2^-32
    this.s0 = this.s1
    this.s1 = this.s2
    this.c = t | 0
    return (this.s2 = t - this.c)
  }

  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256)
    return out
  }

  fork(label: string): Rng {
    return new SeededRng(`${this.seed}/${label}`)
  }
}

/** Picks one element uniformly; undefined for an empty array. */
export function pick<T>(rng: Rng, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[rng.int(items.length)]
}

export function exponential(rng: Rng, mean: number): number {
  return -mean * Math.log(1 - rng.next())
}

/** Standard normal by Box-Muller (one value per call: simple, deterministic). */
export function normal(rng: Rng): number {
  const u = 1 - rng.next()
  const v = rng.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** Log-normal with the given median and sigma of the underlying normal. */
export function logNormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng))
}

/** Weibull with shape k and the given mean (scale derived from the mean). */
export function weibull(rng: Rng, shape: number, mean: number): number {
  const scale = mean / gamma(1 + 1 / shape)
  return scale * Math.pow(-Math.log(1 - rng.next()), 1 / shape)
}

/** Lanczos approximation of the gamma function (for Weibull means). */
export function gamma(z: number): number {
  const g = 7
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  if (z < 0.5) return Math.PI / (Math.sin(Math.PI * z) * gamma(1 - z))
  z -= 1
  let x = c[0]!
  for (let i = 1; i < g + 2; i++) x += c[i]! / (z + i)
  const t = z + g + 0.5
  return Math.sqrt(2 * Math.PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * x
}
