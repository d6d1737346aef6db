// The V8 limits every thread that runs a simulation starts with: `dht-sim run`'s worker and the
// gate's and sweep's pool workers (src/common/worker-pool.ts), one constant for all of them.
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
