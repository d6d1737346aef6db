// Packet rules for the network-level faults (turmoil's Rule -> Verdict). Each active fault
// installs one rule; the Network asks them in order and the first verdict that is not "pass"
// decides. Rules are kept sorted by kind (partition, loss, latency: a cut link drops before it
// could be delayed) and then by their order in the scenario, whatever order they start in.
// Randomness (loss draws, jitter) comes from the fault's own forked stream.
import type { Rng } from '../../engine/rng.js'
import { PASS, type Network, type Packet, type PacketRule, type Verdict } from '../network.js'
import { onTargetLink, type Target } from './targets.js'
import { LINK_KIND_RANK, type Direction } from '../../netmodel/faults.js'

export type { Direction } from '../../netmodel/faults.js'

export function partitionRule(t: Target, direction: Direction, reason: string): PacketRule {
  const v: Verdict = Object.freeze({ verdict: 'drop', reason })
  return (p: Readonly<Packet>) => (onTargetLink(t, p.fromPeer, p.toPeer, p.fromRegion, p.toRegion, direction, 'cut') ? v : PASS)
}

export function lossRule(t: Target, direction: Direction, percent: number, rng: Rng, reason: string): PacketRule {
  const v: Verdict = Object.freeze({ verdict: 'drop', reason })
  const p = percent / 100
  return (pk: Readonly<Packet>) => {
    if (!onTargetLink(t, pk.fromPeer, pk.toPeer, pk.fromRegion, pk.toRegion, direction, 'touch')) return PASS
    return rng.next() < p ? v : PASS
  }
}

export function latencyRule(t: Target, direction: Direction, addMs: number, jitterMs: number, rng: Rng): PacketRule {
  const fixed: Verdict = Object.freeze({ verdict: 'delay', ms: addMs })
  return (pk: Readonly<Packet>) => {
    if (!onTargetLink(t, pk.fromPeer, pk.toPeer, pk.fromRegion, pk.toRegion, direction, 'touch')) return PASS
    return jitterMs > 0 ? { verdict: 'delay', ms: addMs + rng.next() * jitterMs } : fixed
  }
}

/** Installed rules with their sort key, so Network.rules stays ordered (kind rank, declaration). */
export class RuleSet {
  private readonly active: { readonly key: number; readonly rule: PacketRule }[] = []

  constructor(private readonly network: Network) {}

  install(key: number, rule: PacketRule): void {
    this.active.push({ key, rule })
    this.active.sort((a, b) => a.key - b.key)
    this.sync()
  }

  remove(rule: PacketRule): void {
    const i = this.active.findIndex((r) => r.rule === rule)
    if (i >= 0) this.active.splice(i, 1)
    this.sync()
  }

  /** Our rules go first, in order; rules someone else installed keep their place after them. */
  private sync(): void {
    const ours = new Set<PacketRule>(this.installed)
    const others = this.network.rules.filter((r) => !ours.has(r))
    this.installed = this.active.map((r) => r.rule)
    this.network.rules.length = 0
    this.network.rules.push(...this.installed, ...others)
  }

  private installed: PacketRule[] = []
}


/** Sort key of a fault's rule: kind rank first, then its index in the scenario. */
export function ruleKey(kind: string, index: number): number {
  return (LINK_KIND_RANK[kind] ?? 3) * 100_000 + index
}
