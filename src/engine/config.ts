// Engine configuration: every knob with its default from constants.ts, and the policy profiles.
import * as C from './constants.js'

export interface PolicyConfig {
  /** At most this many contacts per /24 group in one bucket (Infinity: no filter). */
  readonly maxPerGroupPerBucket: number
  /** At most this many contacts per /24 group in the whole table (Infinity: no filter). */
  readonly maxPerGroupPerTable: number
  /** At most this many contacts per /16 group in one bucket (Infinity: no filter). */
  readonly maxPer16PerBucket: number
  /** At most this many contacts per /16 group in the whole table (Infinity: no filter). */
  readonly maxPer16PerTable: number
  /** Inbound requests per peer per second (token bucket refill); Infinity: unlimited. */
  readonly perPeerRatePerS: number
  /** Token bucket depth per peer. */
  readonly perPeerBurst: number
  /** Compare how tightly the closest peers crowd a key with the network-size estimate. */
  readonly sybilDetection: boolean
  /** Kept for configurations that name it; the detector no longer has a density threshold (query/density-evidence.ts). */
  readonly sybilDensityFactor: number
  /**
   * A bucket admits no newcomer into a quarter of its id range that already holds this many
   * contacts (routing-table.ts: quarterFull; absent: no limit). A full bucket of honest ids holds
   * about k/4 per quarter; a Sybil cluster packed around a node falls in one quarter of each of
   * its neighbours' buckets. At k/4, a full bucket holds exactly that many in every quarter, so
   * this refuses every newcomer to a full bucket before balanceIdRange is consulted.
   */
  readonly maxPerIdQuarter?: number
  /**
   * A full bucket takes a newcomer from a sub-range of its id range (1/32 of it) that holds at
   * least two fewer contacts than its fullest sub-range, whose youngest contact goes to the
   * replacement cache for it: a bucket's contacts then cover its range evenly, which is what
   * makes lookup hops as few as ideal tables' (routing-table.ts: balanceVictim).
   */
  readonly balanceIdRange?: boolean
  /**
   * Peers remembered after announcing themselves (a self-lookup reaching us), to answer a
   * FIND_NODE for exactly their id even when their bucket is full of others (announced-peers.ts);
   * 0 or absent: none.
   */
  readonly announcedPeers?: number
}

export interface EngineConfig {
  readonly k: number
  readonly alpha: number
  readonly beta: number
  readonly rpcTimeoutMs: number
  /** Connection set-up budget of a request the driver reports as dialing (first-contact.ts). */
  readonly firstContactTimeoutMs: number
  readonly hedgeDelayMs: number
  readonly disjointPaths: number
  /** Peers an ADD_PROVIDER goes to (the k closest by default). */
  readonly replication: number
  /** GET_PROVIDERS stops once this many distinct providers are found. */
  readonly providersWanted: number
  readonly replacementCacheSize: number
  readonly maxContactFailures: number
  readonly providerTtlMs: number
  readonly providerRepublishMs: number
  readonly maxProvidersPerKey: number
  readonly maxProviderKeys: number
  readonly maxInflightLookups: number
  readonly maxQueuedLookups: number
  readonly maxQueriesPerLookup: number
  readonly refreshIntervalMs: number
  readonly maxRefreshLookupsPerRound: number
  readonly warmTableSize: number
  readonly bootstrapLiveWindowMs: number
  readonly bootstrapPingIntervalMs: number
  /** Admission control: refuse a request that waited longer than this (scaled by its cost; admission.ts). */
  readonly admissionDelayMs: number
  /** Admission control: refuse new requests while the driver holds this many (scaled by cost). */
  readonly admissionInflight: number
  readonly policy: PolicyConfig
}

export type PolicyProfile = 'default' | 'strict'

export const DEFAULT_POLICY: PolicyConfig = {
  maxPerGroupPerBucket: Infinity,
  maxPerGroupPerTable: Infinity,
  maxPer16PerBucket: Infinity,
  maxPer16PerTable: Infinity,
  perPeerRatePerS: Infinity,
  perPeerBurst: Infinity,
  sybilDetection: false,
  sybilDensityFactor: 4,
  balanceIdRange: true,
}

/**
 * The `strict` profile: diversity filter (geth's limits per /24 — 2 per bucket, 10 in the table —
 * and looser ones per /16, which an attacker renting one cloud range also hits), rate limits and
 * Sybil detection. Honest addresses collide in a /16 far less often than 3 times in one bucket.
 * Against a cluster of ids packed around a node (whatever its addresses): a full bucket gives a
 * quarter of its id range no more than k/4 contacts once other quarters' peers come by, and
 * self-announcements are remembered (announced-peers.ts).
 */
export const STRICT_POLICY: PolicyConfig = {
  maxPerGroupPerBucket: 2,
  maxPerGroupPerTable: 10,
  maxPer16PerBucket: 3,
  maxPer16PerTable: 16,
  perPeerRatePerS: 20,
  perPeerBurst: 40,
  sybilDetection: true,
  sybilDensityFactor: 4,
  maxPerIdQuarter: 5,
  announcedPeers: 256,
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  k: C.K,
  alpha: C.ALPHA,
  beta: C.BETA,
  rpcTimeoutMs: C.RPC_TIMEOUT_MS,
  firstContactTimeoutMs: C.FIRST_CONTACT_TIMEOUT_MS,
  hedgeDelayMs: C.HEDGE_DELAY_MS,
  disjointPaths: C.DISJOINT_PATHS,
  replication: C.K,
  providersWanted: 1,
  replacementCacheSize: C.REPLACEMENT_CACHE_SIZE,
  maxContactFailures: C.MAX_CONTACT_FAILURES,
  providerTtlMs: C.PROVIDER_TTL_MS,
  providerRepublishMs: C.PROVIDER_REPUBLISH_MS,
  maxProvidersPerKey: C.MAX_PROVIDERS_PER_KEY,
  maxProviderKeys: C.MAX_PROVIDER_KEYS,
  maxInflightLookups: C.MAX_INFLIGHT_LOOKUPS,
  maxQueuedLookups: C.MAX_QUEUED_LOOKUPS,
  maxQueriesPerLookup: C.MAX_QUERIES_PER_LOOKUP,
  refreshIntervalMs: C.REFRESH_INTERVAL_MS,
  maxRefreshLookupsPerRound: C.MAX_REFRESH_LOOKUPS_PER_ROUND,
  warmTableSize: C.WARM_TABLE_SIZE,
  bootstrapLiveWindowMs: C.BOOTSTRAP_LIVE_WINDOW_MS,
  bootstrapPingIntervalMs: C.BOOTSTRAP_PING_INTERVAL_MS,
  admissionDelayMs: C.ADMISSION_DELAY_MS,
  admissionInflight: C.ADMISSION_INFLIGHT,
  policy: DEFAULT_POLICY,
}

/**
 * Overrides a profile applies on top of the base config. The strict profile does not widen every
 * lookup (disjoint paths and more hedging cost ~6x the messages and did little against a packed
 * cluster): a lookup pays for its defence only when the detector finds its neighbourhood packed.
 */
export function applyProfile(base: EngineConfig, profile: PolicyProfile): EngineConfig {
  if (profile === 'default') return base
  return { ...base, policy: STRICT_POLICY }
}

export function engineConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return { ...DEFAULT_ENGINE_CONFIG, ...overrides, policy: { ...DEFAULT_POLICY, ...overrides.policy } }
}
