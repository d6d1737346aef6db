// (Over 400 lines: one lookup's whole algorithm — candidates, paths, hedging, termination and
// the result — which reads best in one place; its states are in candidate-state.ts.)
//
// Theory of operation
// -------------------
// An iterative Kademlia lookup for a target, run over d disjoint paths (S/Kademlia; d = 1 is plain
// Kademlia). Each path keeps its candidates sorted by XOR distance to the target. A candidate is
// Waiting, Inflight, Answered, Slow, Failed or Suspect (candidate-state.ts: the states and the one
// table of moves between them). Each path keeps up to alpha queries in flight; a
// query silent for longer than the hedge delay stops counting against alpha, up to beta of them,
// so hedged extra queries go out while slow ones may still answer. A query silent past the
// engine's adaptive timeout (a few round trips) is Slow: out of consideration, as the Kademlia
// paper puts it, "until and unless it responds" — a late answer still counts; only the per-hop
// timeout or an error makes it Failed. A path is finished when the k closest candidates that are
// neither Slow nor Failed have all answered (or its query budget is spent and nothing is in
// flight). The result is the k closest that answered or are Slow: a slow peer is far, not known
// dead, and on a long-haul link it is often the true closest. Paths are disjoint: a peer is claimed
// by the first path that hears of it and is never queried by another, so one poisoned path
// cannot steer the others.
//
// Hop counting: contacts from our own table are hop 1; a contact learned from a hop-h answer is
// hop h+1. The lookup's hops is the longest chain that led to the result (for GET_PROVIDERS that
// ends early, the hop of the answer that completed it).
//
// The lookup does no IO: the engine asks it which queries to send, and tells it what came back.
//
// Bookkeeping (the hot path: it runs on every answer): each path also keeps its in-flight
// candidates in a small unordered list, with their send times beside it, so counting the overdue
// ones and finding the next hedge time look at the few queries in flight, not at every candidate
// (up to 200 per path). Beside its candidates each path keeps the first 48 bits of their distances
// to the target as numbers, so ordering compares numbers and reads the ids only on a tie of those
// bits. A candidate itself holds no number that is not a small integer: a double in an object's
// field is a heap object of its own in V8, and a lookup's candidates are the objects its answers
// make most of (the join storm's garbage, BENCHMARKS.md). Most contacts in an answer are
// candidates already (the peers near a target know the same neighbours): with one path the search
// that would place a contact also finds it, so no per-lookup set of claimed peers is kept (a set
// is kept to keep several paths disjoint). An answer is merged into its path in one pass (sorted
// among itself first), not searched and shifted in contact by contact.
import type { Contact, LookupOp } from '../types.js'
import type { NodeId } from '../ids.js'
import { compareDistance, idEquals } from '../ids.js'
import { distanceFractionFull } from './density-evidence.js'
import { hashString, idHiOf, idLoOf, isPeer, samePeer } from '../contact-keys.js'
import { ANSWERED, FAILED, INFLIGHT, SLOW, SUSPECT, WAITING, isIn, moveTo, stateSet } from './candidate-state.js'
import type { CandidateState, StateSet } from './candidate-state.js'

export interface Candidate {
  readonly contact: Contact
  readonly hop: number
  readonly path: number
  state: CandidateState
  /** Index in its path's in-flight lists while INFLIGHT (-1 otherwise): lookup bookkeeping. */
  flightIx: number
}

export interface LookupParams {
  readonly k: number
  readonly alpha: number
  readonly beta: number
  readonly hedgeDelayMs: number
  readonly disjointPaths: number
  readonly maxQueries: number
  readonly maxCandidatesPerPath: number
  readonly providersWanted: number
  /** Answers from the k closest needed before the lookup stops waiting for overdue ones. */
  readonly quorum: number
  /**
   * When true, GET_PROVIDERS stops at its providers only once the engine allows it (stopAtProvider:
   * the neighbourhood it has heard of looks ordinary); otherwise it walks the whole neighbourhood,
   * which the density check needs.
   */
  readonly fullNeighbourhood: boolean
}

/** Why the lookup exists: a user's lookup, or the engine's own maintenance. */
export type LookupPurpose = 'user' | 'join' | 'refresh' | 'republish'

/** Candidates that are not in the race for the nearest place: known dead, excluded, or slow. */
const OUT_OF_RACE = stateSet(FAILED, SUSPECT, SLOW)

interface Path {
  readonly cands: Candidate[]
  /**
   * The first 48 bits of cands[i]'s XOR distance to the target, as a number, at i (orders before
   * the full compare): the binary search reads numbers stored side by side, not one object per step.
   */
  readonly dks: number[]
  /** The INFLIGHT candidates, in no particular order (only counted and min-scanned). */
  readonly flying: Candidate[]
  /** When flying[i]'s query was sent, at i. */
  readonly sentAt: number[]
}


export class Lookup {
  private readonly paths: Path[] = []
  /**
   * Peers claimed by a path, with several paths (a peer is never queried by two). One path needs
   * no set: its candidates are exactly its claimed peers, and a binary search finds them.
   */
  private readonly claimed: Set<string> | undefined
  readonly providers: Contact[] = []
  // Made at the first provider (most lookups find none): the providers' peers, and per provider
  // peer the peers that returned it (to drop what only suspects vouched for).
  private providerPeers: Set<string> | undefined
  private providerSources: Map<string, string[]> | undefined
  /** The time of the hedge wake-up already armed for this lookup (the engine's bookkeeping). */
  hedgeArmedMs = -1
  /** The density check ran (it runs once per lookup). */
  densityChecked = false
  suspects = 0
  /**
   * How many of the nearest candidates the lookup must hear from, and its result holds: k, or more
   * once widened (a record of a key whose neighbourhood may be held by Sybils is stored on, and
   * looked for at, a wider region than the k closest).
   */
  width: number
  /** Answers received (the early density checks run at multiples of a step of it). */
  answers = 0
  /** Early density checks run so far. */
  earlyChecks = 0
  /** Requests sent (FIND_NODE / GET_PROVIDERS; ADD_PROVIDERs are added by the engine). */
  messages = 0
  /** A PROVIDE's ADD_PROVIDER requests sent while it ran (to the candidates in `stored`). */
  stores = 0
  /**
   * A PROVIDE storing on a wider region than k (detection on): whether its caller may be answered
   * once the k nearest have the record (judged once, when they first have all answered; undefined
   * until then), and whether it was. Its store on the wider region goes on after that answer.
   */
  earlyAnswer: boolean | undefined = undefined
  callerAnswered = false
  /** The messages the caller's answer reported (the rest are reported when the store is done). */
  reportedMessages = 0
  /** The candidates a PROVIDE has sent the record to (undefined until the first). */
  private stored: Set<Candidate> | undefined
  /**
   * With fullNeighbourhood: the engine judged, when the wanted providers had come, that this
   * GET_PROVIDERS may stop at them (true) or must walk its whole neighbourhood (false); undefined
   * until then.
   */
  stopAtProvider: boolean | undefined = undefined
  /** Hop of the answer that completed a GET_PROVIDERS early (0 until then). */
  private providerHop = 0
  private stopped = false
  /** Excluded distance ranges, flat: lo0, hi0, lo1, hi1, ... (excludeRange); undefined until one is. */
  private excluded: number[] | undefined
  private deferred: Set<Candidate> | undefined
  /**
   * pickQueries()'s result, its first pickQueries() entries (never truncated: setting an array's
   * length, or popping it empty, gives its storage back, and the next push allocates it again).
   */
  private readonly picked: Candidate[] = []
  /** merge()'s working space, made at the first answer: the answer's contacts sorted, their keys, their places. */
  private inC: Contact[] | undefined
  private inK: number[] | undefined
  private inAt: number[] | undefined
  /**
   * FIND_NODE and PROVIDE want the closest peers: a slow one keeps its place among the k closest
   * (it does not make the lookup dig deeper) and stays in the result. GET_PROVIDERS wants records,
   * which only an answer brings: a slow peer gives up its place, as in the Kademlia paper.
   */
  private readonly slowHoldPlace: boolean
  /** The states of a candidate that does not hold one of the k closest places (slow ones hold theirs when slowHoldPlace). */
  private readonly placeLost: StateSet
  /** The target's first 16 and next 32 bits (for candidates' distance keys). */
  private readonly thi: number
  private readonly tlo: number
  /** hashString(selfPeer): the self check reads a contact's handle only on a match. */
  private readonly selfHash: number

  constructor(
    readonly id: number,
    readonly op: LookupOp,
    readonly key: Uint8Array,
    readonly target: NodeId,
    readonly tag: number,
    readonly startMs: number,
    readonly purpose: LookupPurpose,
    private readonly selfPeer: string,
    private readonly p: LookupParams,
  ) {
    this.width = p.k
    this.slowHoldPlace = op !== 'GET_PROVIDERS'
    this.placeLost = this.slowHoldPlace ? stateSet(FAILED, SUSPECT) : OUT_OF_RACE
    this.thi = (target[0]! << 8) | target[1]!
    this.tlo = (target[2]! << 24) | (target[3]! << 16) | (target[4]! << 8) | target[5]!
    this.selfHash = hashString(selfPeer)
    const d = Math.max(1, Math.floor(p.disjointPaths))
    for (let i = 0; i < d; i++) this.paths.push({ cands: [], dks: [], flying: [], sentAt: [] })
    this.claimed = d > 1 ? new Set() : undefined
  }

  /** Seeds the paths with contacts from our table (round-robin, nearest first). */
  seed(contacts: readonly Contact[]): void {
    let i = 0
    for (const c of contacts) {
      if (this.add(c, 1, i % this.paths.length)) i++
    }
  }

  private add(c: Contact, hop: number, path: number): boolean {
    if (isPeer(c, this.selfPeer, this.selfHash) || this.inExcluded(c.id)) return false
    const claimed = this.claimed
    if (claimed !== undefined && claimed.has(c.peer)) return false
    const { cands, dks } = this.paths[path]!
    const dk = this.distKey(c)
    // binary search for the insertion point (after equals: stable)
    let lo = 0
    let hi = dks.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const m = dks[mid]!
      if (m < dk || (m === dk && this.tie(cands[mid]!.contact, c) <= 0)) lo = mid + 1
      else hi = mid
    }
    if (claimed === undefined && this.heldBefore(this.paths[path]!, lo, c, dk)) return false
    if (cands.length >= this.p.maxCandidatesPerPath) {
      // Full: the newcomer takes the farthest one's place if it is nearer (lo is then inside).
      const last = cands[cands.length - 1]!
      if (lo === cands.length || last.state === INFLIGHT) return false
      cands.pop()
      dks.pop()
      claimed?.delete(last.contact.peer)
    }
    claimed?.add(c.peer)
    // Shift the tail by hand: splice would allocate the (empty) array of removed elements on every add.
    const cand: Candidate = { contact: c, hop, path, state: WAITING, flightIx: -1 }
    cands.push(cand)
    dks.push(dk)
    for (let j = cands.length - 1; j > lo; j--) {
      cands[j] = cands[j - 1]!
      dks[j] = dks[j - 1]!
    }
    cands[lo] = cand
    dks[lo] = dk
    return true
  }

  /** The first 48 bits of c's id's XOR distance to the target, as a number (from the contact's keys when it has them). */
  private distKey(c: Contact): number {
    return (idHiOf(c) ^ this.thi) * 4294967296 + ((idLoOf(c) ^ this.tlo) >>> 0)
  }

  /**
   * compareDistance of a's and b's ids to the target, for two contacts with the same distance key:
   * mostly one contact met again (an answer names peers the path holds), whose id is not read.
   */
  private tie(a: Contact, b: Contact): number {
    return a === b ? 0 : compareDistance(a.id, b.id, this.target)
  }

  /**
   * An answer's contacts into a path, with the same result as add() of each in the answer's
   * order, but in one merge: the contacts are sorted among themselves (an answer holds at most k),
   * then one forward pass over the path finds where each goes and whether it is held already, and
   * one backward pass moves every candidate at most once. add() of each would search the path and
   * shift its tail once per contact. When the path could overflow, add() decides who stays (the
   * order of the answer matters then), so that case takes add() contact by contact.
   */
  private merge(closer: readonly Contact[], hop: number, path: number): void {
    const P = this.paths[path]!
    const { cands, dks } = P
    const n0 = cands.length
    if (closer.length === 0) return
    if (n0 + closer.length > this.p.maxCandidatesPerPath) {
      for (const pc of closer) this.add(pc, hop, path)
      return
    }
    const inC = (this.inC ??= [])
    const inK = (this.inK ??= [])
    const at = (this.inAt ??= [])
    // Sort the answer by distance, stable (a contact goes after its equals, as add() puts it).
    let m = 0
    for (let i = 0; i < closer.length; i++) {
      const c = closer[i]!
      if (isPeer(c, this.selfPeer, this.selfHash) || this.inExcluded(c.id)) continue
      const dk = this.distKey(c)
      let j = m
      while (j > 0 && (inK[j - 1]! > dk || (inK[j - 1] === dk && this.tie(inC[j - 1]!, c) > 0))) {
        inC[j] = inC[j - 1]!
        inK[j] = inK[j - 1]!
        j--
      }
      inC[j] = c
      inK[j] = dk
      m++
    }
    // Where each goes among the path's candidates, and which are held already (by the path, or by
    // an equal contact of this answer accepted just before); the accepted are compacted in front.
    const claimed = this.claimed
    let pos = 0
    let a = 0
    for (let j = 0; j < m; j++) {
      const c = inC[j]!
      const dk = inK[j]!
      if (claimed !== undefined && claimed.has(c.peer)) continue
      while (pos < n0 && (dks[pos]! < dk || (dks[pos] === dk && this.tie(cands[pos]!.contact, c) <= 0))) pos++
      if (claimed === undefined) {
        if (this.heldBefore(P, pos, c, dk)) continue
        let dup = false
        for (let q = a - 1; q >= 0 && inK[q] === dk; q--) {
          if (samePeer(inC[q]!, c)) {
            dup = true
            break
          }
        }
        if (dup) continue
      }
      claimed?.add(c.peer)
      inC[a] = c
      inK[a] = dk
      at[a] = pos
      a++
    }
    if (a === 0) return
    // Grow by a (any existing candidate as a placeholder), then fill from the back.
    if (n0 === 0) {
      for (let q = 0; q < a; q++) {
        cands.push({ contact: inC[q]!, hop, path, state: WAITING, flightIx: -1 })
        dks.push(inK[q]!)
      }
      return
    }
    for (let q = 0; q < a; q++) {
      cands.push(cands[n0 - 1]!)
      dks.push(dks[n0 - 1]!)
    }
    let w = n0 + a - 1
    let r = n0 - 1
    for (let q = a - 1; q >= 0; q--) {
      const p = at[q]!
      for (; r >= p; r--, w--) {
        cands[w] = cands[r]!
        dks[w] = dks[r]!
      }
      cands[w] = { contact: inC[q]!, hop, path, state: WAITING, flightIx: -1 }
      dks[w] = inK[q]!
      w--
    }
  }

  /**
   * One path: whether c's peer is already a candidate. Its id is a function of its handle (the node
   * hashes the peer id; the simulator's contacts are fixed), so it sorts just before the
   * insertion point `lo`, among the candidates with the same distance prefix.
   */
  private heldBefore(path: Path, lo: number, c: Contact, dk: number): boolean {
    for (let j = lo - 1; j >= 0 && path.dks[j] === dk; j--) if (samePeer(path.cands[j]!.contact, c)) return true
    return false
  }

  /** Chooses the queries to send now and marks them in flight. */
  nextQueries(nowMs: number): Candidate[] {
    return this.picked.slice(0, this.pickQueries(nowMs))
  }

  /** The i-th query the last pickQueries() chose (i below what it returned). */
  pickedQuery(i: number): Candidate {
    return this.picked[i]!
  }

  /**
   * nextQueries() without an array per call (the engine's path): chooses the queries to send now,
   * marks them in flight and returns how many; pickedQuery(i) names them until the next call.
   */
  pickQueries(nowMs: number): number {
    const out = this.picked
    let chosen = 0
    if (this.stopped) return 0
    const hedgeMs = this.p.hedgeDelayMs
    for (const path of this.paths) {
      let slow = 0
      const flying = path.flying
      const sentAt = path.sentAt
      for (let i = 0; i < flying.length; i++) if (nowMs - sentAt[i]! >= hedgeMs) slow++
      let active = flying.length - Math.min(slow, this.p.beta)
      // Kademlia's final round: once the closest candidate has answered, no reply can bring the
      // front closer, so every remaining candidate of the k closest is queried at once instead of
      // alpha at a time (k/alpha extra round trips otherwise).
      const limit = this.converged(path, nowMs) ? this.width : this.p.alpha
      // The nearest Waiting candidate among the k nearest not-failed ones, in one forward scan:
      // the one just sent turns INFLIGHT (still among the k), so the next search resumes after it.
      const cands = path.cands
      const k = this.width
      let pos = 0
      let n = 0
      while (active < limit && this.messages < this.p.maxQueries) {
        let c: Candidate | undefined
        for (; pos < cands.length; pos++) {
          const x = cands[pos]!
          if (this.outOfTopK(x)) continue
          if (x.state === WAITING) {
            c = x
            break
          }
          if (++n >= k) break
        }
        if (c === undefined) break
        moveTo(c, INFLIGHT)
        c.flightIx = flying.length
        flying.push(c)
        sentAt.push(nowMs)
        active++
        this.messages++
        out[chosen++] = c
        pos++
        if (++n >= k) break
      }
    }
    return chosen
  }

  /** Takes c (INFLIGHT until now) off its path's in-flight list. */
  private land(c: Candidate): void {
    const { flying, sentAt } = this.paths[c.path]!
    const i = c.flightIx
    const last = flying.pop()!
    const lastSent = sentAt.pop()!
    if (last !== c) {
      flying[i] = last
      sentAt[i] = lastSent
      last.flightIx = i
    }
    c.flightIx = -1
  }

  /** True when the nearest candidate that has not failed and is not overdue has answered. */
  private converged(path: Path, nowMs: number): boolean {
    for (const c of path.cands) {
      if (isIn(c.state, OUT_OF_RACE) || this.overdue(c, nowMs)) continue
      return c.state === ANSWERED
    }
    return false
  }

  /** In flight and silent for longer than the hedge delay. */
  private overdue(c: Candidate, nowMs: number): boolean {
    return c.state === INFLIGHT && nowMs - this.paths[c.path]!.sentAt[c.flightIx]! >= this.p.hedgeDelayMs
  }

  /** True when c does not hold one of the k closest places (failed or suspect, or slow when slow ones are skipped). */
  private outOfTopK(c: Candidate): boolean {
    return isIn(c.state, this.placeLost)
  }

  /** Earliest time after nowMs at which an in-flight query turns slow (Infinity when none will). */
  nextHedgeMs(nowMs: number): number {
    let t = Infinity
    const hedgeMs = this.p.hedgeDelayMs
    for (const path of this.paths) {
      const sentAt = path.sentAt
      for (let i = 0; i < sentAt.length; i++) {
        const at = sentAt[i]! + hedgeMs
        if (at > nowMs && at < t) t = at
      }
    }
    return t
  }

  /**
   * The answer to c's query. False when the lookup has no use for it: the lookup has ended, or c
   * is no longer waited for (it failed at the per-hop timeout, or was excluded as a suspect).
   */
  answered(c: Candidate, closer: readonly Contact[], providers: readonly Contact[]): boolean {
    if (this.stopped || (c.state !== INFLIGHT && c.state !== SLOW)) return false
    if (c.state === INFLIGHT) this.land(c)
    moveTo(c, ANSWERED)
    this.answers++
    this.merge(closer, c.hop + 1, c.path)
    for (const pv of providers) {
      this.providerSources ??= new Map()
      const sources = this.providerSources.get(pv.peer)
      if (sources === undefined) this.providerSources.set(pv.peer, [c.contact.peer])
      else if (sources.length < 8) sources.push(c.contact.peer)
      if (!this.addProvider(pv)) continue
      if (this.providers.length === this.p.providersWanted) this.providerHop = c.hop
    }
    return true
  }

  /**
   * Excludes the keyspace between distances `lo` (exclusive; negative: from the target itself) and
   * `hi` (inclusive), as fractions at full precision: a suspected cluster. Its candidates become
   * suspects — except one whose id is the target itself — and a peer in it heard of later is never
   * taken as a candidate, so the lookup goes on beyond the cluster without the peers nearer than it
   * (honest ones, which hold the records of a key the cluster sits behind). Providers that only
   * suspects returned are dropped. Returns how many candidates were marked.
   */
  excludeRange(lo: number, hi: number): number {
    ;(this.excluded ??= []).push(lo, hi)
    const out = new Set<string>()
    for (const path of this.paths) {
      for (const c of path.cands) {
        // The peer whose id IS the target is what a FIND_NODE of a node looks for: the cluster
        // packed around a victim must not hide the victim itself.
        if (c.state === SUSPECT || idEquals(c.contact.id, this.target)) continue
        const d = distanceFractionFull(c.contact.id, this.target)
        if (d <= lo || d > hi) continue
        if (c.state === INFLIGHT) this.land(c)
        moveTo(c, SUSPECT)
        out.add(c.contact.peer)
      }
    }
    if (out.size > 0) {
      for (let i = this.providers.length - 1; i >= 0; i--) {
        const pv = this.providers[i]!
        const sources = this.providerSources?.get(pv.peer) ?? []
        if (out.has(pv.peer) || sources.every((s) => out.has(s))) {
          this.providers.splice(i, 1)
          this.providerPeers!.delete(pv.peer)
        }
      }
      this.providerHop = 0
    }
    this.suspects += out.size
    return out.size
  }

  /** True when `id` lies in a range excluded as a suspected cluster (and is not the target itself). */
  private inExcluded(id: NodeId): boolean {
    const ex = this.excluded
    if (ex === undefined) return false
    const d = distanceFractionFull(id, this.target)
    for (let i = 0; i < ex.length; i += 2) if (d > ex[i]! && d <= ex[i + 1]!) return !idEquals(id, this.target)
    return false
  }

  /**
   * The query was silent past the adaptive timeout: free its slot, keep listening for it. False
   * when c was not in flight (the lookup ended, or c was excluded as a suspect).
   */
  slow(c: Candidate): boolean {
    if (c.state !== INFLIGHT) return false
    moveTo(c, SLOW)
    this.land(c)
    return true
  }

  /** The query failed (per-hop timeout, error answer, transport). False when c was not waited for. */
  failed(c: Candidate): boolean {
    if (c.state === INFLIGHT) this.land(c)
    else if (c.state !== SLOW) return false
    moveTo(c, FAILED)
    return true
  }

  /** True (once) when c has not been sent the record yet; it is marked as sent. */
  markStored(c: Candidate): boolean {
    const s = (this.stored ??= new Set())
    if (s.has(c)) return false
    s.add(c)
    return true
  }

  /** True when c was sent the record (markStored). */
  isStored(c: Candidate): boolean {
    return this.stored?.has(c) ?? false
  }

  /** A PROVIDE's replica that had not answered when the lookup ended: store there if it answers late. */
  deferProvide(c: Candidate): void {
    if (this.deferred === undefined) this.deferred = new Set()
    this.deferred.add(c)
  }

  /** Deferred replicas that have not answered (yet). */
  deferredLeft(): number {
    return this.deferred?.size ?? 0
  }

  /** True (once) when c is a deferred replica: its late answer has just come in. */
  takeDeferredProvide(c: Candidate): boolean {
    return this.deferred?.delete(c) ?? false
  }

  /** Providers found locally before any query (hop 0). */
  addLocalProviders(providers: readonly Contact[]): void {
    for (const pv of providers) this.addProvider(pv)
  }

  /** Adds a provider unless its peer is one already; true when added. */
  private addProvider(pv: Contact): boolean {
    this.providerPeers ??= new Set()
    if (this.providerPeers.has(pv.peer)) return false
    this.providerPeers.add(pv.peer)
    this.providers.push(pv)
    return true
  }

  stop(): void {
    this.stopped = true
  }

  isDone(nowMs: number): boolean {
    if (this.stopped) return true
    if (this.op === 'GET_PROVIDERS' && (!this.p.fullNeighbourhood || this.stopAtProvider === true) && this.providers.length >= this.p.providersWanted) return true
    for (const path of this.paths) if (!this.pathDone(path, nowMs)) return false
    return true
  }

  /**
   * Done when every one of the k closest live candidates has answered — or, once a quorum of them
   * has answered, when the rest are overdue: the answers from the target's neighbourhood already
   * name it, and a far peer's round trip is not worth waiting for (it stays in the result).
   */
  private pathDone(path: Path, nowMs: number, width = this.width): boolean {
    let n = 0
    let answered = 0
    let overdue = false
    let waitingInTopK = false
    for (const c of path.cands) {
      if (this.outOfTopK(c)) continue
      if (c.state === INFLIGHT || c.state === SLOW) {
        if (c.state === INFLIGHT && !this.overdue(c, nowMs)) return false
        overdue = true
      }
      if (c.state === ANSWERED) answered++
      if (c.state === WAITING) waitingInTopK = true
      if (++n >= width) break
    }
    if (!waitingInTopK) return !overdue || answered >= Math.min(this.p.quorum, n)
    // Waiting candidates remain but the budget is spent: done once nothing is in flight.
    return this.messages >= this.p.maxQueries && path.flying.length === 0
  }

  /**
   * True when the lookup would be done were its width k (every path's k nearest live candidates
   * have answered, or a quorum of them and the rest are overdue): where a lookup that was never
   * widened ends. A widened PROVIDE answers its caller there (queue.ts).
   */
  nearestDone(nowMs: number): boolean {
    if (this.stopped) return false
    for (const path of this.paths) if (!this.pathDone(path, nowMs, this.p.k)) return false
    return true
  }

  /** What result() would be with width k: the k nearest that answered, or are slow or overdue. */
  nearestResult(nowMs: number): Candidate[] {
    return this.nearest(this.slowHoldPlace ? nowMs : undefined, this.p.k)
  }

  /** The k nearest answered contacts over all paths, nearest first (what the density check scores). */
  closestAnswered(): Candidate[] {
    return this.nearest(undefined, this.p.k)
  }

  /**
   * The ids of the k nearest candidates heard of, answered or not (neither failed nor excluded),
   * nearest first: what the lookup knows of the target's neighbourhood before it has asked it.
   */
  closestKnownIds(): NodeId[] {
    const all: Candidate[] = []
    for (const path of this.paths) {
      let n = 0
      for (const c of path.cands) {
        if (c.state === FAILED || c.state === SUSPECT) continue
        all.push(c)
        if (++n >= this.p.k) break
      }
    }
    if (this.paths.length > 1) all.sort((x, y) => this.distKey(x.contact) - this.distKey(y.contact) || compareDistance(x.contact.id, y.contact.id, this.target))
    if (all.length > this.p.k) all.length = this.p.k
    return all.map((c) => c.contact.id)
  }

  /**
   * The lookup's result: the k nearest that answered — and, for FIND_NODE and PROVIDE, those that
   * are slow or overdue too (not known dead: on a long-haul link they are the true closest).
   */
  result(nowMs: number): Candidate[] {
    return this.slowHoldPlace ? this.nearest(nowMs, this.width) : this.nearest(undefined, this.width)
  }

  private nearest(nowMs: number | undefined, count: number): Candidate[] {
    const all: Candidate[] = []
    for (const path of this.paths) {
      for (const c of path.cands) {
        if (c.state === ANSWERED || (nowMs !== undefined && (c.state === SLOW || this.overdue(c, nowMs)))) all.push(c)
      }
    }
    // A path's candidates are kept in distance order: only several paths need merging.
    if (this.paths.length > 1) all.sort((x, y) => this.distKey(x.contact) - this.distKey(y.contact) || compareDistance(x.contact.id, y.contact.id, this.target))
    if (all.length > count) all.length = count
    return all
  }

  hops(closest: readonly Candidate[]): number {
    if (this.op === 'GET_PROVIDERS' && this.providerHop > 0 && this.providers.length >= this.p.providersWanted) return this.providerHop
    let h = 0
    for (const c of closest) if (c.hop > h) h = c.hop
    return h
  }

  /** Why the lookup's bookkeeping is inconsistent, or undefined when it is not (a bug otherwise). */
  checkInvariants(): string | undefined {
    for (let pi = 0; pi < this.paths.length; pi++) {
      const { cands, dks, flying, sentAt } = this.paths[pi]!
      if (sentAt.length !== flying.length) return `lookup ${this.id} path ${pi}: ${flying.length} in flight, ${sentAt.length} send times`
      if (dks.length !== cands.length) return `lookup ${this.id} path ${pi}: ${cands.length} candidates, ${dks.length} distance keys`
      if (cands.length > this.p.maxCandidatesPerPath) return `lookup ${this.id} path ${pi}: ${cands.length} candidates > ${this.p.maxCandidatesPerPath}`
      let inflight = 0
      for (let i = 0; i < cands.length; i++) {
        const c = cands[i]!
        if (c.path !== pi || dks[i] !== this.distKey(c.contact)) return `lookup ${this.id} path ${pi}: candidate ${i} out of place`
        if (i > 0 && dks[i - 1]! > dks[i]!) return `lookup ${this.id} path ${pi}: candidates out of distance order at ${i}`
        if (c.state === INFLIGHT) {
          inflight++
          if (flying[c.flightIx] !== c) return `lookup ${this.id} path ${pi}: in-flight candidate ${c.contact.peer} not in the in-flight list`
        } else if (c.flightIx !== -1) {
          return `lookup ${this.id} path ${pi}: ${c.contact.peer} has an in-flight index but is not in flight`
        }
      }
      if (inflight !== flying.length) return `lookup ${this.id} path ${pi}: ${flying.length} in the in-flight list, ${inflight} in flight`
    }
    return undefined
  }

  /** When the lookup ends: every query still in flight counts as failed. */
  failInflight(): void {
    for (const path of this.paths) {
      for (const c of path.flying) {
        moveTo(c, FAILED)
        c.flightIx = -1
      }
      path.flying.length = 0
      path.sentAt.length = 0
    }
  }
}
