// The host's per-peer provider quota: one peer cannot take more than its share, refreshing a key
// it holds is free, and a full table recovers once records expire (no permanent lock-out).
import { describe, expect, it } from 'vitest'
import { ProviderQuota, SWEEP_EVERY_MS } from '../../src/node/host/provider-quota.js'

const TTL = 1_000_000

describe('ProviderQuota', () => {
  it('refuses a peer past its quota, lets it refresh what it holds, and frees keys as they expire', () => {
    const q = new ProviderQuota(3, TTL, 100)
    for (const k of ['a', 'b', 'c']) expect(q.admit('p', k, 0)).toBe('ok')
    expect(q.admit('p', 'd', 1)).toBe('provider-quota')
    expect(q.admit('p', 'a', 2)).toBe('ok') // a refresh, not a new record
    expect(q.admit('other', 'd', 3)).toBe('ok') // another peer has its own quota
    // b and c expire at TTL; a was refreshed at 2 and lives until TTL + 2.
    expect(q.admit('p', 'd', TTL)).toBe('ok')
    expect(q.admit('p', 'e', TTL)).toBe('ok')
    expect(q.admit('p', 'f', TTL)).toBe('provider-quota')
  })

  it('takes back an admission the store refused', () => {
    const q = new ProviderQuota(1, TTL, 100)
    expect(q.admit('p', 'a', 0)).toBe('ok')
    q.forget('p', 'a')
    expect(q.size).toBe(0)
    expect(q.admit('p', 'b', 0)).toBe('ok')
  })

  it('does not lock everyone out for good once the table is full of peers below their quota', () => {
    // 40 peers with 5 records each fill a 200-entry table; none of them is at its quota of 10,
    // so no per-peer prune ever runs for them.
    const q = new ProviderQuota(10, TTL, 200)
    for (let p = 0; p < 40; p++) for (let k = 0; k < 5; k++) expect(q.admit(`p${p}`, `k${k}`, 0)).toBe('ok')
    expect(q.admit('honest', 'x', 10)).toBe('quota-full')
    // After the records expire, the next admission sweeps the table and succeeds.
    expect(q.admit('honest', 'x', TTL + 1)).toBe('ok')
    expect(q.size).toBe(1)
  })

  it('sweeps a full table at most once a minute', () => {
    const ttl = 1_000
    const q = new ProviderQuota(10, ttl, 4)
    expect(q.admit('a', 'k1', 0)).toBe('ok')
    expect(q.admit('b', 'k1', 0)).toBe('ok')
    expect(q.admit('c', 'k1', 100)).toBe('ok')
    expect(q.admit('d', 'k1', 100)).toBe('ok')
    // Full at 200 and nothing expired: the sweep finds nothing, and the next is a minute away.
    expect(q.admit('e', 'k1', 200)).toBe('quota-full')
    // a and b expired at 1,000, but the next sweep is not due before 200 + SWEEP_EVERY_MS.
    expect(q.admit('e', 'k1', 1_010)).toBe('quota-full')
    expect(q.admit('e', 'k1', 200 + SWEEP_EVERY_MS)).toBe('ok')
    expect(q.size).toBe(1) // a, b, c and d had all expired by then
  })
})
