// Round trips of answered requests, as the requester sees them: from the engine's send to the
// answer's arrival. Both worlds measure them the same way and write the same report section
// (`report.rpc`): the simulator from its network's delays (with the stack model on), the testbed
// from its nodes' own clocks (rpc-io.ts). Set side by side by `calibrate`, they say whether a gap
// in lookup latency is in each request (transport, processing, queueing) or in how many of them
// a lookup waits for. ADD_PROVIDER is left out (it has no answer).
//
// Split by whether the request had a connection to use: a first contact (a connection opened
// for it, or one still being set up) pays the set-up; a request on an open connection pays a
// stream's negotiation and the link.

import { quantile } from '../common/quantile.js'

/** Quantiles of one class of requests. */
export interface RpcQuantiles {
  readonly requests: number
  readonly p50_ms: number | null
  readonly p95_ms: number | null
  readonly p99_ms: number | null
}

export interface RpcSection {
  readonly all: RpcQuantiles
  readonly first_contact: RpcQuantiles
  readonly open_connection: RpcQuantiles
}

/** Samples kept per class; past it, later ones are counted, not kept (a bound on memory). */
export const MAX_RPC_SAMPLES = 200_000

export class RpcTimes {
  private readonly first: number[] = []
  private readonly open: number[] = []
  private firstCount = 0
  private openCount = 0

  add(ms: number, firstContact: boolean): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return
    if (firstContact) {
      this.firstCount++
      if (this.first.length < MAX_RPC_SAMPLES) this.first.push(ms)
    } else {
      this.openCount++
      if (this.open.length < MAX_RPC_SAMPLES) this.open.push(ms)
    }
  }

  /** Adds another collector's samples (a testbed worker's). */
  merge(s: { readonly first: readonly number[]; readonly open: readonly number[] }): void {
    for (const ms of s.first) this.add(ms, true)
    for (const ms of s.open) this.add(ms, false)
  }

  /** The raw samples (for a worker to hand to the orchestrator). */
  samples(): { first: number[]; open: number[] } {
    return { first: [...this.first], open: [...this.open] }
  }

  reset(): void {
    this.first.length = 0
    this.open.length = 0
    this.firstCount = 0
    this.openCount = 0
  }

  section(): RpcSection {
    return {
      all: quantiles([...this.first, ...this.open], this.firstCount + this.openCount),
      first_contact: quantiles([...this.first], this.firstCount),
      open_connection: quantiles([...this.open], this.openCount),
    }
  }
}

function quantiles(ms: number[], requests: number): RpcQuantiles {
  ms.sort((a, b) => a - b)
  const q = (f: number): number | null => {
    const v = quantile(ms, f)
    return v === null ? null : Math.round(v * 10) / 10
  }
  return { requests, p50_ms: q(0.5), p95_ms: q(0.95), p99_ms: q(0.99) }
}
