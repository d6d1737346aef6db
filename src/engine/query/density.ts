// The Sybil-density check (policy.sybilDetection) and the network-size estimate it compares with.
// When a lookup is about to finish, its closest answers are scored against the size estimate
// (density-evidence.ts: the tail probability of the densest window near the target). A lookup
// whose closest peers are packed tighter than about one clean lookup in 10^8 would see has its
// cluster — the densest window, not the peers nearer than it — excluded, and continues beyond it. Only
// such a lookup pays for the defence: a clean one is scored and finishes as before.
import type { EngineCore } from '../core.js'
import type { Lookup } from './lookup.js'
import { estimateSize, MIN_SAMPLES, sizeFromDistances } from '../size-estimator.js'
import { densityEvidence, LOG_P_CLEAN, LOG_P_FLAG, LOG_P_SUSPECT, sortedDistances } from './density-evidence.js'
import type { DensityEvidence } from './density-evidence.js'
import { KEY_BITS, SUSPECT_REGION_K } from '../constants.js'

/**
 * A lookup stops re-checking once it has excluded this many times k peers: a cluster larger than
 * k that a round did not cover is uncovered k at a time, and the bound keeps an attacker from
 * making one lookup run forever.
 */
const MAX_EXCLUDED_K = 6

/** The least a flagged lookup excludes, in honest spacings (1/N of the keyspace). */
const HALF_SPACING = 0.5

/**
 * The flag threshold while the size estimate is still our young table's: before our join is done,
 * and after it until MIN_SAMPLES ordinary lookups have given an estimate of their own
 * (estimateSound). The young table says the network is 10-60x too small before the join and
 * still 3-8x after it (the join fills the middle buckets one lookup at a time, and the quarter limit
 * refuses some of our honest neighbours), and an honest neighbourhood judged by it scored ln p down to
 * -33 (baseline.yaml, eclipse-victim.yaml; a peer just restarted in churn.yaml: -18.5 to -24.8 in
 * its first lookups after the join, judged by 240-630 for 1,966 peers); a cluster packed around a victim's id
 * scored -171 at its join. Flagging it there lets the victim's join lookup see past the cluster.
 * (1e-20, ln -46; 1e-40 gave the same clean-network figures, and eclipse.yaml seed 8 a latency page
 * left firing at the end.)
 */
const LOG_P_FLAG_YOUNG = Math.log(1e-20)

/**
 * Whether the size estimate stands on our lookups (MIN_SAMPLES ordinary ones) and we have joined:
 * only then is it sound enough for LOG_P_FLAG and LOG_P_CLEAN. Before, it is what our young
 * table says.
 */
function estimateSound(core: EngineCore): boolean {
  return core.joined && core.sizeEstimator.count >= MIN_SAMPLES
}

/**
 * A lookup under way is checked each time this many more of its queries have answered, up to
 * EARLY_CHECKS times: often enough to catch a packed cluster a round before the lookup has heard
 * from all of it, seldom enough that a clean lookup pays a few scorings of at most k distances.
 */
export const EARLY_CHECK_EVERY = 5
export const EARLY_CHECKS = 3

/**
 * Runs the check on a lookup about to finish. Returns true when it excluded a cluster: the lookup
 * must then continue (the caller advances it) instead of finishing.
 */
export function densityCheck(core: EngineCore, l: Lookup): boolean {
  if (l.densityChecked) return false
  l.densityChecked = true
  const cfg = core.cfg
  const policy = cfg.policy
  const closest = l.closestAnswered()
  if (!policy.sybilDetection) {
    // No detector: the lookup only feeds the size estimate (the refresh sizes buckets by it).
    const local = estimateSize(
      l.target,
      closest.map((c) => c.contact),
    )
    if (local !== undefined && closest.length >= cfg.k / 2) core.sizeEstimator.add(local)
    return false
  }
  // A GET_PROVIDERS that stopped at its providers (providerStopAllowed) heard from a few peers on
  // the way, not from the neighbourhood: nothing to score, and nothing to teach the size estimate.
  if (l.stopAtProvider === true && l.op === 'GET_PROVIDERS') return false
  const d = awayFromTarget(
    sortedDistances(
      l.target,
      closest.map((c) => c.contact.id),
    ),
  )
  const network = detectorSizeEstimate(core)
  const ev = network === undefined ? undefined : densityEvidence(d, network)
  const sound = estimateSound(core)
  if (network === undefined || ev === undefined || ev.logP >= (sound ? LOG_P_FLAG : LOG_P_FLAG_YOUNG)) {
    // Only a lookup that looks ordinary against an estimate teaches it: a near-threshold cluster
    // (or one met before any estimate existed) must not raise the size later lookups are judged by.
    // Nor does one that excluded a cluster: its closest are what is left beyond the gap, too far
    // for its size, and each such lookup would lower the estimate further and get the next clean
    // lookup flagged. While the estimate is still our young table's, "ordinary" is "not flagged":
    // judged by a table 3-8x too small an honest neighbourhood is below LOG_P_CLEAN, and a peer just
    // restarted refused its own join lookup and every lookup after it for minutes (1 sample a minute
    // after its restart in churn.yaml), judged by the young table all that time. Once MIN_SAMPLES
    // lookups have spoken, their upper quartile outvotes one cluster among them.
    const local = sizeFromDistances(d)
    const ordinary = ev !== undefined && ev.logP > (sound ? LOG_P_CLEAN : LOG_P_FLAG_YOUNG)
    if (local !== undefined && l.suspects === 0 && closest.length >= cfg.k / 2 && ordinary) core.sizeEstimator.add(local)
    // Not dense enough to flag, but not ordinary either (a loose cluster, a few times the honest
    // density, that k distances cannot tell from chance at the flag threshold): the region is
    // suspect, and its records are stored and looked for on a wider region. No peer is excluded.
    return ev !== undefined && ev.logP <= LOG_P_SUSPECT && suspectRegion(core, l)
  }
  return excludeWindow(core, l, d, ev, network)
}

/**
 * The check on a lookup still under way (every EARLY_CHECK_EVERY answers, EARLY_CHECKS times): a
 * cluster packed at the key is plain long before the lookup has heard from all of it, and
 * excluding it then saves the round trips of waiting for every Sybil's answer. Its closest
 * answers so far are a subset of the neighbourhood: peers not heard of yet only make a window look
 * sparser, never denser, so it cannot flag what the final check would not. It teaches the size
 * estimate nothing (the final check does). Returns true when it excluded a cluster.
 */
export function earlyDensityCheck(core: EngineCore, l: Lookup): boolean {
  // Not before our join is done: until then the table holds what the bootstraps named, not our
  // neighbourhood, and says the network is a few dozen peers; judged by that, the few far answers
  // an early check sees flagged nearly every join lookup. The final check still runs on it, at a
  // stricter threshold (LOG_P_FLAG_YOUNG): a victim's join lookup must see past the cluster
  // packed around its id. After the join, until our lookups have given an estimate, the early
  // checks run at that threshold too.
  if (!core.cfg.policy.sybilDetection || l.densityChecked || !core.joined) return false
  const d = awayFromTarget(
    sortedDistances(
      l.target,
      l.closestAnswered().map((c) => c.contact.id),
    ),
  )
  const network = detectorSizeEstimate(core)
  const ev = network === undefined ? undefined : densityEvidence(d, network)
  if (network === undefined || ev === undefined || ev.logP >= (estimateSound(core) ? LOG_P_FLAG : LOG_P_FLAG_YOUNG)) return false
  return excludeWindow(core, l, d, ev, network)
}

/**
 * Whether a GET_PROVIDERS that has the providers it wants may stop at them, as it does without
 * detection, instead of walking its whole neighbourhood for the density check: yes unless it
 * already excluded a cluster, or the nearest peers it has heard of so far (answered or only named)
 * are not ordinary (corrected p at or below LOG_P_SUSPECT). Those are a subset of the true
 * neighbourhood, so on an honest key they look sparser than it, never denser; around a cluster the
 * peers near the key name the cluster (it holds their nearest places), and a Sybil names its
 * colluders, so a provider that came from there is not taken alone. A clean GET then costs what it
 * costs without detection; one that looks attacked walks on, is scored, and widens as before.
 */
export function providerStopAllowed(core: EngineCore, l: Lookup): boolean {
  if (l.suspects > 0) return false
  const network = detectorSizeEstimate(core)
  if (network === undefined) return true
  const ev = densityEvidence(awayFromTarget(sortedDistances(l.target, l.closestKnownIds())), network)
  return ev === undefined || ev.logP > LOG_P_SUSPECT
}

/**
 * Whether a widened PROVIDE (detection on) may answer its caller once its k nearest have the
 * record, before its wider store is done: the same test as providerStopAllowed, nothing excluded
 * and the nearest peers heard of look ordinary. One that looks attacked answers when it ends, after
 * the density check has judged its region (and widened it to SUSPECT_REGION_K if suspect).
 */
export function provideAnswerAllowed(core: EngineCore, l: Lookup): boolean {
  return providerStopAllowed(core, l)
}

/**
 * The distances without the peer whose id is the target itself (a lookup for a peer's id finds
 * that peer at distance 0). It is whoever owns the id, not evidence of a cluster, and scored it
 * made every such lookup "infinitely" dense at the window [0, 0]: the exclusion then reached only
 * half an honest spacing by the size estimate, not the dense window the cluster actually fills.
 */
function awayFromTarget(d: number[]): number[] {
  let z = 0
  while (z < d.length && d[z] === 0) z++
  return z === 0 ? d : d.slice(z)
}

function excludeWindow(core: EngineCore, l: Lookup, d: readonly number[], ev: DensityEvidence, network: number): boolean {
  // The dense window itself (to a hair past its last peer, so that it is inside at any precision
  // the lookup compares with), not the peers nearer than it: a cluster placed a few spacings from
  // the key has honest peers in front of it, and those hold the key's records. A window that
  // starts at the key goes out to at least half an honest spacing: a ground cluster larger than k
  // sits entirely inside that, and goes in one round instead of k at a time (it costs the half an
  // honest peer expected there).
  const hi = ev.upTo * (1 + 1e-9) + Number.MIN_VALUE
  const marked = ev.from === 0 ? l.excludeRange(-1, Math.max(hi, HALF_SPACING / network)) : l.excludeRange(d[ev.from - 1]!, hi)
  if (marked === 0) return false
  // Our own table's nearest to the key may all have been in the cluster (a peer next to an
  // attacked key holds the cluster as its neighbours, and Sybils name only each other): the
  // lookup goes on from our next-nearest contacts too (those in the excluded range are refused).
  l.seed(core.table.closest(l.target, core.cfg.k + l.suspects))
  suspectRegion(core, l)
  // Another round may uncover the rest of a cluster larger than k (l.suspects counts the excluded).
  l.densityChecked = l.suspects >= MAX_EXCLUDED_K * core.cfg.k
  core.count(core.rejected, 'sybil-suspect')
  core.emit({ kind: 'sybil-suspected', target: l.target, ratio: ev.ratio })
  return true
}

/**
 * The lookup's region is suspect: a PROVIDE stores its records on SUSPECT_REGION_K times k of the
 * nearest peers instead of WIDE_REGION_K (a GET_PROVIDERS that finds nothing looks that far in any
 * case: queue.ts). Returns true when the lookup must go on (a PROVIDE not yet that wide).
 */
function suspectRegion(core: EngineCore, l: Lookup): boolean {
  const wide = SUSPECT_REGION_K * core.cfg.k
  if (l.op !== 'PROVIDE' || l.width >= wide) return false
  l.width = wide
  return true
}

/**
 * The size the lookups say: the upper quartile over recent ordinary lookups or, until there are
 * enough of them, what our own neighbourhood in the routing table says (full precision). The
 * table's word is not taken over the lookups': a cluster packed around our own id (a victim
 * eclipse) inflates it, and an inflated estimate makes every cluster look sparse.
 */
export function lookupSizeEstimate(core: EngineCore): number | undefined {
  const fromLookups = core.sizeEstimator.estimate()
  if (fromLookups !== undefined) return fromLookups
  return neighbourhoodSize(core)
}

/**
 * The size the detector judges by: the lookups' estimate, but never below half of what our shallow
 * buckets say, nor below half of what our own neighbourhood in the table says unless that
 * neighbourhood itself looks packed (a cluster around our id inflates it). Some peers' lookups say
 * the network is many times smaller than it is (those made while the network was still joining, or
 * while misrouting answers and excluded clusters left them the far peers only): judged by such an
 * estimate, an honest neighbourhood looks dense and clean lookups are flagged. Our neighbourhood
 * is the peers that found us by their own self-lookups, which a misrouting attacker cannot thin
 * out; half of it leaves room for its own noise (k distances). The neighbourhood is taken twice:
 * whole, and up to its first hole (untilHole), which a young table needs.
 */
export function detectorSizeEstimate(core: EngineCore): number | undefined {
  const fromLookups = lookupSizeEstimate(core)
  if (fromLookups === undefined) return undefined
  const shallow = shallowSize(core)
  const ref = Math.max(shallow, fromLookups)
  const ownFloor = (own: number | undefined, packed: number): number => (own === undefined || own > packed * ref ? 0 : own / 2)
  const d = neighbourhoodDistances(core)
  if (d === undefined) return Math.max(fromLookups, shallow / 2)
  return Math.max(fromLookups, shallow / 2, ownFloor(sizeFromDistances(d), NEIGHBOURHOOD_PACKED), ownFloor(sizeFromDistances(untilHole(d)), HOLE_PACKED))
}

/**
 * The neighbourhood up to its hole looks packed past this many times what our shallow buckets and
 * lookups say. A young table has neither (its lookups' estimate is the whole neighbourhood's, which
 * its far contacts drag down 4-17x), so the bound is looser than NEIGHBOURHOOD_PACKED; a cluster
 * packed around our id is far past it (eclipse-victim.yaml's: ~10^4 times the honest density).
 */
const HOLE_PACKED = 64

/**
 * Our neighbourhood looks packed (a cluster around our id) when it says the network is more than
 * this many times what our shallow buckets and our lookups say. An honest neighbourhood's estimate
 * was up to ~10x the lower of them (k distances are noisy, a young or thinned table's buckets are
 * thin, early lookups saw a smaller network); a cluster around us is hundreds of times. A packed cluster near our id that this lets through is still caught judged by half its
 * own density: only a loose one (a few times the honest density) is judged more leniently.
 */
const NEIGHBOURHOOD_PACKED = 16

/**
 * The size our shallow buckets say: k * 2^i for the first bucket i, past the first one holding k/2
 * contacts or more, that holds fewer than k/2 with the next one too (bucket i holds N / 2^(i+1)
 * peers of an honest network, so this is about 0.6-1.3 N; thin buckets before a thick one, or a
 * single thin one, are skipped: a young table's shallow buckets are often thin). A cluster packed
 * around our id sits in deep buckets behind empty ones and cannot inflate it. 0 for a table with
 * no bucket of k/2.
 */
function shallowSize(core: EngineCore): number {
  const t = core.table
  const half = core.cfg.k / 2
  let i = 0
  while (i < KEY_BITS && t.bucketSize(i) < half) i++
  if (i >= KEY_BITS - 1) return 0
  while (i < KEY_BITS - 1 && (t.bucketSize(i) >= half || t.bucketSize(i + 1) >= half)) i++
  return core.cfg.k * 2 ** i
}

/** Our own neighbourhood's size estimate (k closest contacts to our id, full precision), or undefined below k/2. */
function neighbourhoodSize(core: EngineCore): number | undefined {
  const d = neighbourhoodDistances(core)
  return d === undefined ? undefined : sizeFromDistances(d)
}

/** The sorted distances of our k closest contacts to our id, or undefined below k/2 contacts. */
function neighbourhoodDistances(core: EngineCore): number[] | undefined {
  const k = core.cfg.k
  const neighbours = core.table.closest(core.self.id, k)
  if (neighbours.length < k / 2) return undefined
  return sortedDistances(
    core.self.id,
    neighbours.map((c) => c.id),
  )
}

/** A jump in distance this large from one rank to the next is a hole in the table, not chance. */
const HOLE_FACTOR = 4

/**
 * The sorted distances up to the first hole past the 4th: a young table (a peer just joined or
 * restarted) holds its neighbourhood and a few far contacts, with its middle buckets still empty
 * (the join fills them one lookup at a time); its k closest then end with contacts hundreds of
 * spacings away, and the least-squares estimate over them said 140-490 peers for 2,000 — judged by
 * that, its clean lookups were flagged. In an honest table the (i+1)-th closest is farther than
 * HOLE_FACTOR times the i-th with probability HOLE_FACTOR^-i (d_i / d_{i+1} is Beta(i, 1)). Only
 * the detector's floor takes it: the estimate the lookups fall back on, and packedAroundUs with
 * it, keep the whole k (taken there too, eclipse-victim.yaml seed 7 found its victim in 0.048 of
 * the lookups instead of 1.000; not traced further).
 */
function untilHole(d: readonly number[]): readonly number[] {
  for (let i = 3; i + 1 < d.length; i++) if (d[i + 1]! > HOLE_FACTOR * d[i]!) return d.slice(0, i + 1)
  return d
}

/** Shared bits past log2(network size) from which a contact counts as packed around us. */
const PACKED_EXTRA_BITS = 3

/**
 * Whether k/4 or more of our contacts share log2(N) + PACKED_EXTRA_BITS bits with us: a Sybil
 * cluster is packed around our id. Contacts sharing that many bits are about 1/8 of a peer in an
 * honest network, dozens inside a cluster. N is the smaller of the lookups' estimate and the one
 * our shallow buckets give (k * 2^(b+1) for the first bucket b that is not full): a cluster
 * around us inflates what our neighbourhood says, and the lookups' estimate falls back to that
 * until there are enough lookups; the cluster has no ids in the shallow buckets.
 */
export function packedAroundUs(core: EngineCore): boolean {
  const t = core.table
  const k = core.cfg.k
  let b = 0
  while (b < KEY_BITS && t.bucketSize(b) >= k) b++
  const n = Math.min(lookupSizeEstimate(core) ?? Infinity, k * 2 ** (b + 1))
  if (!(n >= 2)) return false
  const from = Math.ceil(Math.log2(n)) + PACKED_EXTRA_BITS
  let packed = 0
  for (let i = from; i <= Math.min(t.deepestBucket(), KEY_BITS - 1); i++) packed += t.bucketSize(i)
  return packed >= k / 4
}

/**
 * The network-size estimate (bucket refresh sizes buckets by it): the larger of the upper quartile
 * over recent lookups and what our own neighbourhood in the routing table says (peers that found
 * us by their own self-lookups). Undefined until either is available.
 */
export function networkSizeEstimate(core: EngineCore): number | undefined {
  const k = core.cfg.k
  const fromLookups = core.sizeEstimator.estimate()
  const neighbours = core.table.closest(core.self.id, k)
  const fromTable = neighbours.length >= k / 2 ? estimateSize(core.self.id, neighbours) : undefined
  if (fromLookups === undefined) return fromTable
  return fromTable === undefined ? fromLookups : Math.max(fromLookups, fromTable)
}
