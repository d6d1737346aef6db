// The states of a lookup's candidate, and the one table of the moves between them. Every change
// of a candidate's state goes through moveTo, which throws an InvariantError on a move the table
// does not list (the check is one table read and a bit test, cheap enough for every move).
//
//   WAITING  --query sent-->              INFLIGHT
//   INFLIGHT --answer-->                  ANSWERED
//   INFLIGHT --adaptive timeout-->        SLOW      (out of consideration until it answers)
//   INFLIGHT, SLOW --failure/timeout-->   FAILED    (also: in flight when the lookup ends)
//   SLOW     --late answer-->             ANSWERED
//   any but SUSPECT --density check-->    SUSPECT   (inside an excluded Sybil cluster)
import type { Contact } from '../types.js'
import { InvariantError } from '../errors.js'

export const WAITING = 0
export const INFLIGHT = 1
export const ANSWERED = 2
export const FAILED = 3
/** Excluded by the Sybil-density check: treated like a failure, and its providers are dropped. */
export const SUSPECT = 4
/**
 * Silent past the adaptive timeout but not yet past the per-hop timeout: "removed from
 * consideration until and unless it responds" (the Kademlia paper). It no longer blocks the lookup
 * or holds a slot; a late answer still counts; it is in the result as a contact not known dead.
 */
export const SLOW = 5

export type CandidateState = typeof WAITING | typeof INFLIGHT | typeof ANSWERED | typeof FAILED | typeof SUSPECT | typeof SLOW

const NAMES = ['waiting', 'inflight', 'answered', 'failed', 'suspect', 'slow'] as const

export function stateName(s: CandidateState): string {
  return NAMES[s]
}

/** A set of states as a bit mask (bit s set: state s is in it). */
export type StateSet = number

export function stateSet(...states: CandidateState[]): StateSet {
  let m = 0
  for (const s of states) m |= 1 << s
  return m
}

export function isIn(s: CandidateState, set: StateSet): boolean {
  return ((1 << s) & set) !== 0
}

/** The transition table: the states each state may move to. */
const TRANSITIONS: Readonly<Record<CandidateState, readonly CandidateState[]>> = {
  [WAITING]: [INFLIGHT, SUSPECT],
  [INFLIGHT]: [ANSWERED, SLOW, FAILED, SUSPECT],
  [SLOW]: [ANSWERED, FAILED, SUSPECT],
  [ANSWERED]: [SUSPECT],
  [FAILED]: [SUSPECT],
  [SUSPECT]: [],
}

/** TRANSITIONS as one mask per state, indexed by state. */
const ALLOWED: readonly StateSet[] = NAMES.map((_, s) => stateSet(...TRANSITIONS[s as CandidateState]))

/** The part of a candidate that has a state (see Candidate in lookup.ts). */
export interface HasState {
  readonly contact: Contact
  state: CandidateState
}

/** Moves c to state `to`; a move not in the table is a bug and throws. */
export function moveTo(c: HasState, to: CandidateState): void {
  if (((ALLOWED[c.state]! >> to) & 1) === 0) {
    throw new InvariantError(`lookup candidate ${c.contact.peer}: no transition ${stateName(c.state)} -> ${stateName(to)}`)
  }
  c.state = to
}
