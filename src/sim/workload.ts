// The workload: which lookups the users of the DHT issue, and the content keys they concern.
//
// Each operation is a Poisson process over the whole network (exponential gaps at its rate),
// issued by a uniformly chosen online, ready peer. PROVIDE announces a new content key (up to a
// cap; then re-announces an existing key from another peer). GET_PROVIDERS asks for a provided
// key with Zipf-skewed popularity: the k-th provided key has weight 1/k^s. Keys are remembered
// once their PROVIDE succeeded, with the peers that provide them (for provider_success).
import { KEY_BYTES } from '../engine/constants.js'
import { exponential, type Rng } from '../engine/rng.js'

/** A rank in [0, n) from a (continuous approximation of a) Zipf law with exponent s; s = 0 is uniform. */
export function zipfRank(rng: Rng, n: number, s: number): number {
  if (n <= 1) return 0
  const u = rng.next()
  let x: number
  if (Math.abs(s - 1) < 1e-9) x = Math.pow(n + 1, u)
  else x = Math.pow(1 + u * (Math.pow(n + 1, 1 - s) - 1), 1 / (1 - s))
  return Math.min(n - 1, Math.max(0, Math.floor(x) - 1))
}

export class ContentKeys {
  /** Every content key created so far, by key index. */
  readonly keys: Uint8Array[] = []
  /** Peers that successfully provided each key (by key index); at most MAX_PROVIDERS_TRACKED. */
  private readonly providers: number[][] = []
  /** Key indexes in the order they were first provided: popularity rank order. */
  readonly provided: number[] = []
  /** When each key's latest successful PROVIDE ended (virtual ms, by key index; NaN: never): its record's age. */
  private readonly providedAtMs: number[] = []
  private readonly maxKeys: number
  private readonly rng: Rng

  constructor(rng: Rng, maxKeys: number) {
    this.rng = rng
    this.maxKeys = maxKeys
  }

  /** A key index to PROVIDE: a new key while under the cap, else an existing one. */
  keyToProvide(): number {
    if (this.keys.length < this.maxKeys) {
      this.keys.push(this.rng.bytes(KEY_BYTES))
      this.providers.push([])
      this.providedAtMs.push(NaN)
      return this.keys.length - 1
    }
    return this.rng.int(this.keys.length)
  }

  /** A provided key index by Zipf popularity, or -1 when nothing is provided yet. */
  keyToGet(s: number): number {
    if (this.provided.length === 0) return -1
    return this.provided[zipfRank(this.rng, this.provided.length, s)]!
  }

  markProvided(key: number, peer: number, nowMs: number): void {
    this.providedAtMs[key] = nowMs
    const list = this.providers[key]!
    if (list.length === 0) this.provided.push(key)
    if (list.length < MAX_PROVIDERS_TRACKED && !list.includes(peer)) list.push(peer)
  }

  /** Age of the key's record (since its latest successful PROVIDE) at nowMs, seconds; -1 if never provided. */
  recordAgeS(key: number, nowMs: number): number {
    const t = this.providedAtMs[key]
    return t === undefined || Number.isNaN(t) ? -1 : (nowMs - t) / 1000
  }

  /** Whether any provider of the key is online now. */
  anyProviderOnline(key: number, isOnline: (peer: number) => boolean): boolean {
    const list = this.providers[key]
    if (list === undefined) return false
    for (const p of list) if (isOnline(p)) return true
    return false
  }
}

/** Providers remembered per key for the ground truth (the engine caps its own store separately). */
export const MAX_PROVIDERS_TRACKED = 64

/** Gap until the next arrival of a Poisson process at `perS` per second; Infinity when off. */
export function nextGapMs(rng: Rng, perS: number): number {
  return perS > 0 ? exponential(rng, 1000 / perS) : Infinity
}
