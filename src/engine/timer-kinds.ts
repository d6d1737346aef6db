// What a timer in the engine's heap is for. Every request arms an RPC timeout, so a timer is not
// an object: its kind and its argument (an rpc id, a lookup id or a bootstrap poll's number) are
// one number. Only the helpers below know how; everything else names kinds and arguments.

export const RPC_TIMEOUT = 0
export const LOOKUP_HEDGE = 1
export const BUCKET_REFRESH = 2
export const PROVIDER_SWEEP = 3
export const BOOTSTRAP_POLL = 4
export const JOIN_RETRY = 5
export const REPUBLISH = 6
export const ANNOUNCE = 7

export type TimerKind =
  | typeof RPC_TIMEOUT
  | typeof LOOKUP_HEDGE
  | typeof BUCKET_REFRESH
  | typeof PROVIDER_SWEEP
  | typeof BOOTSTRAP_POLL
  | typeof JOIN_RETRY
  | typeof REPUBLISH
  | typeof ANNOUNCE

/** A timer's kind and argument packed into one number (arg < 2^50 stays exact in a double). */
export type TimerPayload = number

const KINDS = 8

export function timerPayload(kind: TimerKind, arg = 0): TimerPayload {
  return arg * KINDS + kind
}

export function timerKind(p: TimerPayload): TimerKind {
  return (p % KINDS) as TimerKind
}

export function timerArg(p: TimerPayload): number {
  return (p - (p % KINDS)) / KINDS
}
