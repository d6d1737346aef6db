// The V8 limits every thread that runs a simulation starts with: `dht-sim run`'s worker and the
// gate's and sweep's pool workers (src/common/worker-pool.ts), one constant for all of them.
import { setFlagsFromString } from 'node:v8'
import type { ResourceLimits } from 'node:worker_threads'

/**
 * The simulation thread's young generation, MiB: 64 MiB semi-spaces (V8 makes it three of them)
 * instead of V8's 16. Every message, lookup and candidate is young garbage that lives for
 * milliseconds to seconds of virtual time; in V8's default young generation too many of them are
 * still alive at a scavenge, are copied and promoted, and the old generation's mark-compacts then
 * grow with the network. Measured on the join storm at 4 x 10^4 peers: 23 % less user CPU
 * (BENCHMARKS.md, "The join storm's garbage"). Changes nothing simulated.
 */
export const SIM_YOUNG_GENERATION_MB = 192

/** What a simulation's worker thread is started with. */
export const SIM_THREAD_LIMITS: Readonly<ResourceLimits> = Object.freeze({ maxYoungGenerationSizeMb: SIM_YOUNG_GENERATION_MB })

/**
 * How far, in percent, the old generation may grow past what the last full collection kept
 * before V8 starts the next one. Left to itself, V8 picks up to 4x on a heap allowed to be as
 * large as this machine's, and a large network's join, which promotes its lookups' garbage, took
 * the heap to 2.7 times what the collection then kept: peak RSS was reached there, at about twice
 * what the network holds once settled. At 30 %, peak RSS is 23 % lower over an hour at 10^5 peers
 * for the same CPU, and 43 % lower at 10^4, where the more frequent mark-compacts take 4 % more
 * CPU on the second core and the wall time is 4 % shorter (BENCHMARKS.md, "Bytes per simulated
 * peer, counted again"). Changes nothing simulated.
 */
export const SIM_HEAP_GROWING_PERCENT = 30

/**
 * Sets SIM_HEAP_GROWING_PERCENT for this process (a V8 flag is global: the threads that simulate
 * and the one that starts them) before a simulation thread starts; setting it again changes
 * nothing. V8 reads it at each full collection, so threads started later follow it.
 */
export function limitSimHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${SIM_HEAP_GROWING_PERCENT}`)
}
