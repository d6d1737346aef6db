// The per-peer budgets as numbers: the arithmetic the documentation promises holds for both
// profiles, so a change to one limit that breaks a promise fails here rather than in production.
import { describe, expect, it } from 'vitest'
import { DEFAULT_ENGINE_CONFIG } from '../../src/engine/config.js'
import { DEFAULT_LIMITS, STRICT_LIMITS, limitLabel, limitsFor, type NodeLimits } from '../../src/node/host/limits.js'

describe('per-peer budgets', () => {
  it('one peer can hold at most 1 % of the provider store, in either profile', () => {
    for (const profile of ['default', 'strict'] as const) {
      const limits = limitsFor(profile)
      // The store is bounded in keys (store-full past maxProviderKeys); a peer's quota counts keys.
      expect(limits.providerRecordsPerPeer).toBeLessThanOrEqual(0.01 * DEFAULT_ENGINE_CONFIG.maxProviderKeys)
      // ...and so can one address, whatever number of peer ids it announces from.
      expect(limits.providerRecordsPerIp).toBeLessThanOrEqual(0.01 * DEFAULT_ENGINE_CONFIG.maxProviderKeys)
      // ...and on one key a peer is one provider of at most maxProvidersPerKey.
      expect(1 / DEFAULT_ENGINE_CONFIG.maxProvidersPerKey).toBeLessThanOrEqual(0.01)
    }
  })

  it('strict is no looser than default on any budget', () => {
    for (const key of Object.keys(DEFAULT_LIMITS) as (keyof NodeLimits)[]) {
      // A longer penalty is the stricter one.
      if (key === 'penaltyMs') expect(STRICT_LIMITS[key], limitLabel(key)).toBeGreaterThanOrEqual(DEFAULT_LIMITS[key])
      else expect(STRICT_LIMITS[key], limitLabel(key)).toBeLessThanOrEqual(DEFAULT_LIMITS[key])
    }
  })

  it('an address is allowed at least what one of its peers is', () => {
    for (const limits of [DEFAULT_LIMITS, STRICT_LIMITS]) {
      expect(limits.requestsPerIpPerS).toBeGreaterThanOrEqual(limits.requestsPerPeerPerS)
      expect(limits.requestBurstPerIp).toBeGreaterThanOrEqual(limits.requestBurstPerPeer)
      expect(limits.providerRecordsPerIp).toBeGreaterThanOrEqual(limits.providerRecordsPerPeer)
    }
  })

  it('one peer cannot take the node-wide buffer alone, nor one address every pending handshake', () => {
    for (const limits of [DEFAULT_LIMITS, STRICT_LIMITS]) {
      expect(limits.bufferedBytesPerPeer * 4).toBeLessThanOrEqual(limits.bufferedBytesTotal)
      expect(limits.connectionsPerIp * 4).toBeLessThanOrEqual(limits.pendingConnections)
    }
  })
})
