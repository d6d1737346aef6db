// Who can be dialled and how far each peer sits from its router: the parts of a real network's
// population that the plain placement (peers.ts: a region and one access-latency distribution
// for everyone) leaves out. Both are off unless a scenario asks (`network.hosted`,
// `network.unreachable_share`), and each draws from its own forked stream, so turning one on
// shifts no other random stream and leaves every other scenario's run as it was.
//
// - Hosted peers (data centres) get their own, short, access latency; the others keep the
//   scenario's access_latency_ms (home links: DSL, cable, Wi-Fi add their round trip on top of
//   the region matrix, which is measured between data centres).
// - Unreachable peers are behind a NAT nobody can dial through: their own requests go out and
//   the answers come back on the connection they opened, so they are seen and land in routing
//   tables as real undialable DHT peers do; a request sent TO one is never answered and the
//   sender's per-hop timeout runs out (network.ts drops it as "unreachable"). Bootstraps and
//   hosted peers are always reachable.
import type { Rng } from '../engine/rng.js'
import { accessLatencyMs, type LogNormalMs } from '../netmodel/latency.js'

/** Marks the hosted peers (1) and gives them the hosted access latency, in place. */
export function placeHosted(rng: Rng, accessMs: Float32Array, share: number, access: LogNormalMs): Uint8Array {
  const hosted = new Uint8Array(accessMs.length)
  for (let i = 0; i < accessMs.length; i++) {
    if (rng.next() < share) {
      hosted[i] = 1
      accessMs[i] = accessLatencyMs(rng, access)
    }
  }
  return hosted
}

/** Marks the unreachable peers (1): each non-bootstrap, non-hosted peer with probability `share`. */
export function pickUnreachable(rng: Rng, peers: number, bootstraps: number, share: number, hosted?: Uint8Array): Uint8Array {
  const out = new Uint8Array(peers)
  for (let i = 0; i < peers; i++) {
    const u = rng.next()
    if (i >= bootstraps && hosted?.[i] !== 1 && u < share) out[i] = 1
  }
  return out
}
