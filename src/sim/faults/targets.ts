// Resolving a fault's `targets` into the peers (or links) it affects. Groups and fractions are
// drawn once per run from their own forked streams (`group/<name>`, `fault/<id>/targets`), so
// adding a fault or a group never changes who is in another one. Bootstrap peers are only in
// `bootstrap` and `all`/`region:` targets; adversary peers are never in a group or fraction.
import type { Rng } from '../../engine/rng.js'
import type { GroupSpec } from './chaos-schema.js'
import { onFaultLink } from '../../netmodel/faults.js'

export interface PeerLayout {
  readonly n: number
  readonly bootstraps: number
  readonly regionOf: Uint8Array
  readonly regionNames: readonly string[]
  /** 1 for adversary peers (never drawn into a group or a fraction). */
  readonly adversary: Uint8Array
}

/** A resolved target: a membership mask, or the inter-region link set. */
export type Target = { readonly kind: 'peers'; readonly member: Uint8Array; readonly count: number } | { readonly kind: 'inter-region' }

/** Draws `count` distinct items of `pool` (partial Fisher-Yates on a copy), in draw order. */
export function drawSample(rng: Rng, pool: readonly number[], count: number): number[] {
  const a = [...pool]
  const n = Math.min(count, a.length)
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(a.length - i)
    const t = a[i]!
    a[i] = a[j]!
    a[j] = t
  }
  return a.slice(0, n)
}

function honestPool(layout: PeerLayout, region?: number): number[] {
  const out: number[] = []
  for (let i = layout.bootstraps; i < layout.n; i++) {
    if (layout.adversary[i] === 1) continue
    if (region !== undefined && layout.regionOf[i] !== region) continue
    out.push(i)
  }
  return out
}

function mask(n: number, members: readonly number[]): Target {
  const m = new Uint8Array(n)
  for (const p of members) m[p] = 1
  return { kind: 'peers', member: m, count: members.length }
}

/** Members of each declared group, by name. */
export function resolveGroups(groups: readonly GroupSpec[], layout: PeerLayout, rng: Rng): Map<string, Target> {
  const out = new Map<string, Target>()
  for (const g of groups) {
    let region: number | undefined
    if (g.region !== undefined) {
      region = layout.regionNames.indexOf(g.region)
      if (region < 0) region = 255 // a region with no peers: an empty group
    }
    const pool = honestPool(layout, region)
    const count = g.count ?? Math.round((g.fraction ?? 0) * pool.length)
    out.set(g.name, mask(layout.n, drawSample(rng.fork(`group/${g.name}`), pool, count)))
  }
  return out
}

/** Resolves one target string (already validated by the schema). */
export function resolveTarget(spec: string, layout: PeerLayout, groups: ReadonlyMap<string, Target>, rng: Rng): Target {
  if (spec === 'inter-region') return { kind: 'inter-region' }
  if (spec === 'all') {
    const all: number[] = []
    for (let i = 0; i < layout.n; i++) all.push(i)
    return mask(layout.n, all)
  }
  if (spec === 'bootstrap') {
    const b: number[] = []
    for (let i = 0; i < layout.bootstraps; i++) b.push(i)
    return mask(layout.n, b)
  }
  const colon = spec.indexOf(':')
  const kind = spec.slice(0, colon)
  const arg = spec.slice(colon + 1)
  if (kind === 'region') {
    const r = layout.regionNames.indexOf(arg)
    const members: number[] = []
    for (let i = 0; i < layout.n; i++) if (r >= 0 && layout.regionOf[i] === r) members.push(i)
    return mask(layout.n, members)
  }
  if (kind === 'group' || kind === 'replica') {
    const g = groups.get(arg)
    return g ?? mask(layout.n, [])
  }
  // fraction:<f>
  const pool = honestPool(layout)
  return mask(layout.n, drawSample(rng, pool, Math.round(Number(arg) * pool.length)))
}

/**
 * Whether a packet from `from` to `to` is on a link of the target. `touch` (loss, latency): any
 * link with a target end (inbound: into a target; outbound: out of one). `cut` (partition): only
 * links between the target set and the rest (inbound: rest -> target; outbound: target -> rest).
 */
export function onTargetLink(
  t: Target,
  from: number,
  to: number,
  fromRegion: number,
  toRegion: number,
  direction: 'both' | 'inbound' | 'outbound',
  mode: 'touch' | 'cut',
): boolean {
  if (t.kind === 'inter-region') return fromRegion !== toRegion
  return onFaultLink(t.member[from] === 1, t.member[to] === 1, direction, mode)
}
