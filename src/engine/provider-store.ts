// Provider records: key (target hex) -> providers with an expiry. Bounded twice: providers per key
// (a full key refuses newcomers, refreshes existing ones) and keys in total (a full store refuses
// new keys). Expired records are swept by the engine's sweep timer. Maps iterate in insertion
// order, which depends only on the engine's inputs: deterministic.
import type { Contact, HeldRecord } from './types.js'

interface Record {
  contact: Contact
  expiresMs: number
}

export type AddVerdict = 'added' | 'refreshed' | 'key-full' | 'store-full'

export class ProviderStore {
  private readonly byKey = new Map<string, Map<string, Record>>()
  private records = 0

  constructor(
    private maxPerKey: number,
    private maxKeys: number,
  ) {}

  setLimits(maxPerKey: number, maxKeys: number): void {
    this.maxPerKey = maxPerKey
    this.maxKeys = maxKeys
  }

  get keyCount(): number {
    return this.byKey.size
  }

  get recordCount(): number {
    return this.records
  }

  add(keyHex: string, provider: Contact, expiresMs: number): AddVerdict {
    let m = this.byKey.get(keyHex)
    if (m === undefined) {
      if (this.byKey.size >= this.maxKeys) return 'store-full'
      m = new Map()
      this.byKey.set(keyHex, m)
    }
    const existing = m.get(provider.peer)
    if (existing !== undefined) {
      existing.expiresMs = Math.max(existing.expiresMs, expiresMs)
      existing.contact = provider
      return 'refreshed'
    }
    if (m.size >= this.maxPerKey) return 'key-full'
    m.set(provider.peer, { contact: provider, expiresMs })
    this.records++
    return 'added'
  }

  /** Live providers of a key, at most `limit`, in the order they were first stored. */
  get(keyHex: string, nowMs: number, limit: number): Contact[] {
    const m = this.byKey.get(keyHex)
    const out: Contact[] = []
    if (m === undefined) return out
    for (const r of m.values()) {
      if (r.expiresMs <= nowMs) continue
      out.push(r.contact)
      if (out.length >= limit) break
    }
    return out
  }

  /** Every live record, keys in the order first stored and providers likewise (what a restart keeps). */
  heldRecords(nowMs: number): HeldRecord[] {
    const out: HeldRecord[] = []
    for (const [keyHex, m] of this.byKey) {
      for (const r of m.values()) if (r.expiresMs > nowMs) out.push({ keyHex, provider: r.contact, expiresMs: r.expiresMs })
    }
    return out
  }

  /** Drops expired records; returns how many went. */
  sweep(nowMs: number): number {
    let dropped = 0
    for (const [key, m] of this.byKey) {
      for (const [peer, r] of m) {
        if (r.expiresMs <= nowMs) {
          m.delete(peer)
          dropped++
        }
      }
      if (m.size === 0) this.byKey.delete(key)
    }
    this.records -= dropped
    return dropped
  }
}
