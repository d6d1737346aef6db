// Who the attackers are: a Sybil population (a fraction of the non-bootstrap peers, ids spread
// over the keyspace as any peer's) and an optional eclipse cluster around a target. The cluster
// either shares log2(peers) + extra_bits leading bits with the target (closer than any honest peer
// is expected to be; extra_bits far past 8 is an attacker who ground ids), or, with `density`,
// sits at that multiple of the honest density starting `offset_spacings` honest spacings from the
// target (a sub-threshold attacker: 3-4x, a few spacings away, yet most of the k closest).
// Addresses come from a few /24 groups (concentrated), one random /24 each (a botnet, over 256
// /16s) or one /16 each (diverse). The cluster joins with everyone else, before any defender has
// a size estimate. Everything is drawn from the `adversary/...` streams, once per run.
import type { Rng } from '../../engine/rng.js'
import { KEY_BYTES } from '../../engine/constants.js'
import type { SimContact } from '../peers.js'
import { simContact } from '../peers.js'
import type { AdversarySpec } from '../faults/chaos-schema.js'
import { drawSample } from '../faults/targets.js'

export const HONEST = 0
export const SYBIL = 1
export const ECLIPSE = 2

export interface AdversaryPlan {
  /** HONEST, SYBIL or ECLIPSE per peer. */
  readonly role: Uint8Array
  /** 1 for SYBIL and ECLIPSE peers. */
  readonly adversary: Uint8Array
  /** The eclipse target (probe key or victim id), when there is a cluster. */
  readonly eclipseTarget: Uint8Array | undefined
  readonly count: number
}

export function planRoles(spec: AdversarySpec, n: number, bootstraps: number, rng: Rng): AdversaryPlan {
  const role = new Uint8Array(n)
  const adversary = new Uint8Array(n)
  const pool: number[] = []
  const victim = spec.eclipse?.target === 'victim' ? spec.eclipse.victim : undefined
  for (let i = bootstraps; i < n; i++) if (i !== victim) pool.push(i)
  const clusterSize = spec.eclipse === undefined ? 0 : Math.min(spec.eclipse.cluster, pool.length)
  const sybils = Math.min(pool.length - clusterSize, Math.round(spec.fraction * (n - bootstraps)))
  const drawn = drawSample(rng.fork('adversary/pick'), pool, clusterSize + sybils)
  drawn.forEach((p, i) => {
    role[p] = i < clusterSize ? ECLIPSE : SYBIL
    adversary[p] = 1
  })
  return { role, adversary, eclipseTarget: undefined, count: drawn.length }
}

/** An id sharing its first `bits` bits with `target`, the rest random. */
export function idNear(target: Uint8Array, bits: number, rng: Rng): Uint8Array {
  const out = rng.bytes(KEY_BYTES)
  const b = Math.min(bits, KEY_BYTES * 8)
  const whole = b >> 3
  for (let i = 0; i < whole; i++) out[i] = target[i]!
  const rem = b & 7
  if (rem > 0 && whole < KEY_BYTES) {
    const mask = (0xff << (8 - rem)) & 0xff
    out[whole] = (target[whole]! & mask) | (out[whole]! & ~mask & 0xff)
  }
  return out
}

/**
 * An id at keyspace fraction `fraction` (in [0, 1)) of XOR distance from `target`: the leading
 * bytes of the distance from the fraction (56 significant bits, wherever they start), the rest random.
 */
export function idAtDistance(target: Uint8Array, fraction: number, rng: Rng): Uint8Array {
  const dist = rng.bytes(KEY_BYTES)
  let x = Math.min(Math.max(fraction, 0), 1 - 2 ** -52)
  let significant = 0
  for (let i = 0; i < KEY_BYTES && significant < 7; i++) {
    x *= 256
    const b = Math.floor(x)
    x -= b
    dist[i] = b
    if (b !== 0 || significant > 0) significant++
  }
  const out = new Uint8Array(KEY_BYTES)
  for (let i = 0; i < KEY_BYTES; i++) out[i] = target[i]! ^ dist[i]!
  return out
}

type AddressSpec = 'concentrated' | 'spread' | 'diverse'

function groupName(spec: AddressSpec, groups: number, peer: number, rng: Rng): string {
  if (spec === 'concentrated') {
    const g = rng.int(groups)
    return `172.${16 + (g >> 8)}.${g & 255}`
  }
  // One /16 per attacker (distinct up to 89 x 256 attackers), outside the honest 10.0.0.0/8.
  if (spec === 'diverse') return `${11 + ((peer >> 8) % 89)}.${peer & 255}.${rng.int(256)}`
  return `100.${rng.int(256)}.${rng.int(256)}`
}

/**
 * Rewrites the contacts of adversary peers (new objects, same index and handle): addresses for
 * every attacker, ids near the target for the eclipse cluster. `eclipseTarget` is the probe key
 * or, for a victim, undefined (the victim's own id is used).
 */
export function applyAdversaryPlan(
  contacts: SimContact[],
  plan: AdversaryPlan,
  spec: AdversarySpec,
  probeKey: Uint8Array | undefined,
  rng: Rng,
): AdversaryPlan {
  if (plan.count === 0) return plan
  const e = spec.eclipse
  let target: Uint8Array | undefined
  if (e !== undefined) target = e.target === 'victim' ? contacts[e.victim ?? 0]?.id : probeKey
  const n = Math.max(2, contacts.length)
  const bits = Math.ceil(Math.log2(n)) + (e?.extra_bits ?? 0)
  let rank = 0 // the cluster member's place, nearest first (with density)
  for (let i = 0; i < contacts.length; i++) {
    const r = plan.role[i]!
    if (r === HONEST) continue
    const own = rng.fork(`adversary/peer/${i}`)
    const c = contacts[i]!
    const eclipse = r === ECLIPSE && target !== undefined
    let id = c.id
    if (eclipse && target !== undefined) {
      // With density r: the j-th member in the j-th slot of width 1/(r·N) past the offset.
      id = e!.density === undefined ? idNear(target, bits, own) : idAtDistance(target, (e!.offset_spacings + (rank++ + own.next()) / e!.density) / n, own)
    }
    const ipGroup = groupName(eclipse ? e!.addresses : spec.addresses, spec.address_groups, i, own)
    const port = c.addrs[0]?.split(':')[1] ?? '9444'
    contacts[i] = simContact(id, c.peer, [`${ipGroup}.${1 + own.int(254)}:${port}`], ipGroup, c.idx)
  }
  return { ...plan, eclipseTarget: target }
}
