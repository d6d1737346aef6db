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

export class SeededRng implements Rng {
  readonly seed: string
  private readonly prng: () => number

  constructor(seed: string | number) {
    this.seed = String(seed)
    this.prng = seedrandom.alea(this.seed)
  }

  next(): number {
    return this.prng()
  }

  int(n: number): number {
    return Math.floor(this.prng() * n)
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.prng() * 256)
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
