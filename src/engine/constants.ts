// Defaults of the engine, each with the reason it has that value. Drivers override them
// through EngineConfig; nothing here is read from the environment.

/** Bucket size and replication factor: Kademlia's k, the value libp2p and IPFS use. */
export const K = 20
/** Parallel queries per lookup path: the classic Kademlia alpha. */
export const ALPHA = 3
/** Hedged extra queries allowed while in-flight ones are slow (see HEDGE_DELAY_MS). */
export const BETA = 2
/** Per-hop RPC timeout: an answer later than this counts as a failure of that contact. */
export const RPC_TIMEOUT_MS = 750
/**
 * Budget of a first contact's connection set-up (dial, Noise, yamux, multistream, PQ proof) when
 * the driver reports one (rpc-dialing); the per-hop timeout starts once it is up. Set-up is several
 * round trips and public-key work: on a loaded machine or a long link it exceeds a hop's 750 ms.
 */
export const FIRST_CONTACT_TIMEOUT_MS = 5_000
/**
 * Floor of the adaptive timeout (srtt + 4 rttvar) after which a lookup stops waiting for a query
 * (it turns Slow; the contact is charged a failure only at the per-hop timeout). Low, because a
 * wrong guess costs one extra query, not a peer; a floor twice as high made the latency drill's slowest lookups far slower.
 */
export const MIN_RPC_TIMEOUT_MS = 75
/** A query silent for this long is "slow": it stops counting against alpha, so a hedge may go out. */
export const HEDGE_DELAY_MS = 250
/**
 * Answers from the k closest a lookup needs before it stops waiting for overdue (hedged) queries
 * to them: the neighbourhood's own answers name the closest peers, so on long-haul links a lookup
 * does not wait a far round trip for confirmation (go-libp2p-kad-dht's "resiliency" is 3 too).
 */
export const LOOKUP_QUORUM = 3
/**
 * With Sybil detection on, a PROVIDE stores on this many times k of the nearest peers, and a
 * GET_PROVIDERS that found nothing among the k nearest looks that far before giving up: Sybils
 * packed at a few times the honest density near a key (too few for the density check to tell from
 * chance) hold most of its k closest places, and the honest peers they push out are still here.
 */
export const WIDE_REGION_K = 2
/**
 * A PROVIDE whose region looks suspect (flagged, or nearly: query/density.ts) stores on this many
 * times k of the nearest peers, and a GET_PROVIDERS that found nothing among WIDE_REGION_K times k
 * looks this far: a loose cluster or misrouting Sybils near the key hide honest peers further out.
 */
export const SUSPECT_REGION_K = 4
/** Disjoint lookup paths (S/Kademlia); 1 is plain Kademlia. */
export const DISJOINT_PATHS = 1
/** Bits in a key: SHA-256 / BLAKE3-256 sized ids. */
export const KEY_BITS = 256
export const KEY_BYTES = 32
/** Replacement cache per bucket: candidates kept for when a member dies. */
export const REPLACEMENT_CACHE_SIZE = 8
/**
 * A full bucket's head is pinged before a newcomer may replace it only when the head has been
 * silent this long: traffic proves most contacts alive. Newcomers reach full buckets all the
 * time, so this is in effect how often every entry of every full bucket is re-validated: at a
 * minute or ten, liveness pings outnumbered every other kind of request but the users' own
 * lookups (docs/ARCHITECTURE.md: maintenance traffic). 30 min matches the bucket refresh
 * interval; dead entries are still evicted sooner when a lookup's RPC to them fails
 * (MAX_CONTACT_FAILURES).
 */
export const LIVENESS_CHECK_AFTER_MS = 30 * 60_000
/** Consecutive RPC failures after which a contact is evicted from the table. */
export const MAX_CONTACT_FAILURES = 2
/** Provider records live 48 h unless re-announced (libp2p / IPFS value). */
export const PROVIDER_TTL_MS = 48 * 3600_000
/** Our own provider records are re-announced every 22 h, well inside the TTL. */
export const PROVIDER_REPUBLISH_MS = 22 * 3600_000
/**
 * A PROVIDE whose records reached fewer than half of its replicas (the rest never answered: a
 * partition, heavy loss) is re-announced after this long, doubling each time it falls short again,
 * up to PROVIDER_REPUBLISH_MS: otherwise the records would sit on the wrong peers until the next
 * republish, and lookups for the key would fail for up to 22 h after the network healed.
 */
export const PROVIDE_RETRY_MS = 60_000
/** Republish keys the lookup queue had no room for go out in the next batch, this much later. */
export const REPUBLISH_BATCH_GAP_MS = 10_000
/** Cap on providers stored per key: one key cannot eat the store. */
export const MAX_PROVIDERS_PER_KEY = 100
/** Cap on keys in the provider store. */
export const MAX_PROVIDER_KEYS = 200_000
/** How often expired provider records are swept out. */
export const PROVIDER_SWEEP_MS = 5 * 60_000
/** Lookups running at once; more wait in a bounded queue (back-pressure). */
export const MAX_INFLIGHT_LOOKUPS = 32
/** Lookups that may wait for a slot; beyond this a lookup is shed with reason "busy". */
export const MAX_QUEUED_LOOKUPS = 256
/** Upper bound on RPCs one lookup may send: every loop has a limit. */
export const MAX_QUERIES_PER_LOOKUP = 160
/** Upper bound on candidates a lookup remembers per path. */
export const MAX_CANDIDATES_PER_PATH = 200
/**
 * Buckets are refreshed when no lookup went into them for this long. Kademlia's paper says an
 * hour, libp2p 10 min; every round costs refresh lookups (maintenance traffic), while failure
 * eviction, replacement caches and inbound traffic keep tables fresh between rounds
 * (churn.yaml's lookup_accuracy gate holds with this value).
 */
export const REFRESH_INTERVAL_MS = 30 * 60_000
/**
 * How long a self-announcement is remembered (announced-peers.ts): two refresh intervals, so a
 * live peer's next self-lookup renews its entry even when one round skipped it.
 */
export const ANNOUNCE_TTL_MS = 2 * REFRESH_INTERVAL_MS
/**
 * How often a node inside a Sybil cluster repeats its self-lookup (announce.ts): often enough that
 * neighbours joining after it hear of it within a minute; only such a node does.
 */
export const ANNOUNCE_INTERVAL_MS = 30_000
/** Between the join's bucket-fill lookups (refresh.ts: one at a time, each where the last left the biggest hole). */
export const JOIN_FILL_GAP_MS = 30_000
/** Refresh lookups started per refresh round (deepest stale buckets first), to bound maintenance traffic. */
export const MAX_REFRESH_LOOKUPS_PER_ROUND = 4
/**
 * A bootstrap counts as live if it answered within this window. Readiness (and so the
 * not-ready alert, 15 s) must turn within the runbook's 2 minutes of a partition; with a 5-min
 * window the partition drill's alert gate fails (a breaker in test/scenario/gate-breakers.ts).
 */
export const BOOTSTRAP_LIVE_WINDOW_MS = 60_000
/** How often the bootstrap timer looks; it pings only when no bootstrap answered for a third of the window. */
export const BOOTSTRAP_PING_INTERVAL_MS = 20_000
/** Routing-table contacts needed to call the table "warm" (readiness). */
export const WARM_TABLE_SIZE = 8
/** Join retries back off exponentially from this base up to JOIN_RETRY_MAX_MS, with jitter. */
export const JOIN_RETRY_BASE_MS = 1_000
export const JOIN_RETRY_MAX_MS = 60_000
/**
 * Admission control (admission.ts): a request that would wait longer than this before it runs is
 * refused "overloaded". A requester stops waiting for a silent query after its hedge delay
 * (HEDGE_DELAY_MS) and sends another: work that waits longer is mostly work nobody uses.
 */
export const ADMISSION_DELAY_MS = 250
/**
 * Admission control: inbound requests a driver may hold accepted and unanswered before new ones
 * are refused "overloaded" (the node: open inbound streams, node-wide).
 */
export const ADMISSION_INFLIGHT = 1024
