// Provider records per announcing peer: the host's admission check before the engine stores one.
//
// The engine's store is bounded in keys and providers per key, but not per provider: one peer
// announcing many keys could fill it and have every honest record refused until its records
// expire. The host therefore remembers which keys each peer has announced (until the records'
// TTL passes) and refuses a new key beyond `perPeer`; refreshing a key the peer already holds is
// always allowed. What this tracks is itself bounded (`maxTracked` entries in all): when it is
// full, expired entries of every peer are swept (at most once per `SWEEP_EVERY_MS`, so a full
// table costs one pass a minute, not one per request), and only if nothing has expired are new
// records refused ('quota-full'), which the store would refuse anyway once full.
/** The least time between two sweeps of a full table. */
export const SWEEP_EVERY_MS = 60_000

export type QuotaVerdict = 'ok' | 'provider-quota' | 'quota-full'

export class ProviderQuota {
  /** peer -> key hex -> expiry (ms on the host clock). */
  private readonly byPeer = new Map<string, Map<string, number>>()
  /** peer -> when its earliest record expires (a full peer is pruned no sooner). */
  private readonly earliest = new Map<string, number>()
  private tracked = 0
  private nextSweepMs = 0

  constructor(
    private perPeer: number,
    private ttlMs: number,
    private readonly maxTracked: number,
  ) {}

  setLimits(perPeer: number, ttlMs: number): void {
    this.perPeer = perPeer
    this.ttlMs = ttlMs
  }

  /** Records `peer` providing `keyHex` if its quota allows; the verdict says why not. */
  admit(peer: string, keyHex: string, nowMs: number): QuotaVerdict {
    let mine = this.byPeer.get(peer)
    if (mine !== undefined && mine.has(keyHex)) {
      mine.set(keyHex, nowMs + this.ttlMs)
      return 'ok'
    }
    if (mine !== undefined && mine.size >= this.perPeer) this.prune(peer, mine, nowMs)
    if (mine !== undefined && mine.size >= this.perPeer) return 'provider-quota'
    if (this.tracked >= this.maxTracked) this.sweep(nowMs)
    if (this.tracked >= this.maxTracked) return 'quota-full'
    if (mine === undefined) {
      mine = new Map()
      this.byPeer.set(peer, mine)
    }
    mine.set(keyHex, nowMs + this.ttlMs)
    this.tracked++
    return 'ok'
  }

  /** Takes back an admission the store then refused. */
  forget(peer: string, keyHex: string): void {
    const mine = this.byPeer.get(peer)
    if (mine === undefined || !mine.delete(keyHex)) return
    this.tracked--
    if (mine.size === 0) {
      this.byPeer.delete(peer)
      this.earliest.delete(peer)
    }
  }

  /** Entries tracked, over all peers (expired ones count until they are pruned). */
  get size(): number {
    return this.tracked
  }

  /** Prunes every peer's expired entries; a full table is swept at most once per SWEEP_EVERY_MS. */
  private sweep(nowMs: number): void {
    if (nowMs < this.nextSweepMs) return
    this.nextSweepMs = nowMs + SWEEP_EVERY_MS
    for (const [peer, mine] of this.byPeer) {
      this.earliest.delete(peer)
      this.prune(peer, mine, nowMs)
    }
  }

  private prune(peer: string, mine: Map<string, number>, nowMs: number): void {
    if ((this.earliest.get(peer) ?? 0) > nowMs) return
    let next = Infinity
    for (const [k, exp] of mine) {
      if (exp <= nowMs) {
        mine.delete(k)
        this.tracked--
      } else if (exp < next) next = exp
    }
    this.earliest.set(peer, next)
    if (mine.size === 0) {
      this.byPeer.delete(peer)
      this.earliest.delete(peer)
    }
  }
}
