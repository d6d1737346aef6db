// The latency model both worlds share: the simulator's Network and the node's link shaper.
// A message from a to b takes
//     RTT(region a, region b) / 2 + access(a) + access(b) + jitter
// with the region RTT from the bundled matrix (regions.ts), a per-peer one-way access latency
// (log-normal, drawn once per peer) and a per-message log-normal jitter (mostly small,
// sometimes large). Pure functions of their inputs and the Rng they are given.
import { logNormal, type Rng } from '../engine/rng.js'
import { BadInputError } from '../common/errors.js'
import { regionMatrix } from './regions.js'

/** A log-normal distribution in ms: its median and the sigma of the underlying normal. */
export interface LogNormalMs {
  readonly median: number
  readonly sigma: number
}

/**
 * One-way base delay between the named regions, oneWayMs[i * n + j] = RTT(i, j) / 2. A name the
 * matrix does not know throws BadInputError naming it.
 */
export function oneWayMatrix(names: readonly string[]): Float64Array {
  const matrix = regionMatrix()
  const idx = names.map((name) => {
    const i = matrix.names.indexOf(name)
    if (i < 0) throw new BadInputError(`unknown region "${name}" (known: ${matrix.names.join(', ')})`)
    return i
  })
  const m = idx.length
  const oneWay = new Float64Array(m * m)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) oneWay[i * m + j] = matrix.rttMs[idx[i]! * matrix.names.length + idx[j]!]! / 2
  }
  return oneWay
}

/** A peer's one-way access latency, drawn once (a constant when sigma is 0). */
export function accessLatencyMs(rng: Rng, access: LogNormalMs): number {
  return access.sigma === 0 ? access.median : logNormal(rng, access.median, access.sigma)
}

/** One message's jitter (0 when the median is 0). */
export function jitterMs(rng: Rng, jitter: LogNormalMs): number {
  return jitter.median > 0 ? logNormal(rng, jitter.median, jitter.sigma) : 0
}
