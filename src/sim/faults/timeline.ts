// Theory of operation
// -------------------
// The fault timeline applies a scenario's `faults` on virtual time. At install (before the run)
// every fault's targets are resolved and two callbacks are scheduled through the simulation:
// apply at at_s and remove at at_s + for_s. Network faults (partition, loss, latency) become
// packet rules in a RuleSet; `cpu` pegs the targets in the CPU service model (installed on the
// network once, wrapping any model already there); `churn-spike` draws, per target peer, leave
// times from an exponential at the spike's turnover rate, makes the peer leave when its time
// comes (if the spike is still on and the peer online) and brings it back after a downtime;
// `crash` stops every online target at once and starts them again (fresh state, bootstrapping) at
// the fault's end; `load` issues extra FIND_NODE lookups from random ready targets as a Poisson process (a load
// burst: what the engine cannot take it sheds as "busy").
// Each fault draws from its own forked stream (`fault/<id>/...`): adding a fault never shifts
// another's randomness. The fault windows are recorded for the report.
import type { Rng } from '../../engine/rng.js'
import { exponential } from '../../engine/rng.js'
import type { Input } from '../../engine/types.js'
import type { Network, PacketRule } from '../network.js'
import type { FaultWindow } from '../report-types.js'
import type { FaultSpec } from './chaos-schema.js'
import { CpuModel } from './cpu.js'
import { RejectLog } from './reject-log.js'
import { latencyRule, lossRule, partitionRule, ruleKey, RuleSet } from './rules.js'
import { resolveTarget, type PeerLayout, type Target } from './targets.js'

/** What the timeline needs of the simulation (Simulation satisfies it). */
export interface ChaosHost {
  readonly network: Network
  readonly nowMs: number
  readonly online: Uint8Array
  readonly ready: Uint8Array
  readonly faults: FaultWindow[]
  at(timeMs: number, fn: () => void): void
  leave(peer: number, comeBack?: boolean): void
  join(peer: number): void
  step(peer: number, input: Input): void
}

/** Allocates lookup tags for lookups the chaos layer issues (never >= 1: the workload's). */
export type TagSource = () => number

/** Attempts to find a ready target for one load arrival before skipping it. */
const PICK_TRIES = 32

export interface ActiveFault {
  readonly spec: FaultSpec
  readonly target: Target
  readonly startMs: number
  readonly endMs: number
}

export class FaultTimeline {
  readonly faults: ActiveFault[] = []
  readonly rejects: RejectLog
  private cpu: CpuModel | undefined
  private rules: RuleSet | undefined

  constructor(
    specs: readonly FaultSpec[],
    private readonly layout: PeerLayout,
    groups: ReadonlyMap<string, Target>,
    private readonly rng: Rng,
    rejects?: RejectLog,
    private readonly nextTag: TagSource = defaultTags(),
  ) {
    this.rejects = rejects ?? new RejectLog()
    for (const spec of specs) {
      const target = resolveTarget(spec.targets, layout, groups, rng.fork(`fault/${spec.id}/targets`))
      this.faults.push({ spec, target, startMs: spec.at_s * 1000, endMs: (spec.at_s + spec.for_s) * 1000 })
    }
  }

  get cpuModel(): CpuModel | undefined {
    return this.cpu
  }

  byId(id: string): ActiveFault | undefined {
    return this.faults.find((f) => f.spec.id === id)
  }

  /** Schedules every fault on the host; call once, before the run. */
  install(host: ChaosHost): void {
    this.rules = new RuleSet(host.network)
    this.faults.forEach((f, index) => {
      host.faults.push({ id: f.spec.id, kind: f.spec.kind, at_s: f.spec.at_s, until_s: f.spec.at_s + f.spec.for_s })
      host.at(f.startMs, () => this.apply(host, f, index))
    })
  }

  private apply(host: ChaosHost, f: ActiveFault, index: number): void {
    const s = f.spec
    const reason = `fault:${s.id}`
    const frng = this.rng.fork(`fault/${s.id}`)
    let rule: PacketRule | undefined
    switch (s.kind) {
      case 'partition':
        rule = partitionRule(f.target, s.direction, reason)
        break
      case 'loss':
        rule = lossRule(f.target, s.direction, s.percent, frng, reason)
        break
      case 'latency':
        rule = latencyRule(f.target, s.direction, s.add_ms, s.jitter_ms, frng)
        break
      case 'cpu': {
        const cpu = this.cpuFor(host)
        if (f.target.kind !== 'peers') return
        const pegs: { peer: number; p: ReturnType<CpuModel['peg']> }[] = []
        for (let i = 0; i < this.layout.n; i++) if (f.target.member[i] === 1) pegs.push({ peer: i, p: cpu.peg(i, s.service_ms, s.queue_max) })
        host.at(f.endMs, () => {
          for (const x of pegs) cpu.unpeg(x.peer, x.p)
        })
        return
      }
      case 'crash':
        this.crash(host, f)
        return
      case 'churn-spike':
        this.churnSpike(host, f, s.turnover_per_hour, s.downtime_mean_s, frng)
        return
      case 'load':
        this.load(host, f, s.lookups_per_s, frng)
        return
    }
    const rules = this.rules!
    rules.install(ruleKey(s.kind, index), rule)
    host.at(f.endMs, () => rules.remove(rule))
  }

  private cpuFor(host: ChaosHost): CpuModel {
    if (this.cpu === undefined) {
      this.cpu = new CpuModel(this.rejects)
      host.network.service = this.cpu
    }
    return this.cpu
  }

  private load(host: ChaosHost, f: ActiveFault, perS: number, rng: Rng): void {
    if (f.target.kind !== 'peers' || f.target.count === 0) return
    const members: number[] = []
    for (let i = 0; i < this.layout.n; i++) if (f.target.member[i] === 1) members.push(i)
    const meanMs = 1000 / perS
    const arrive = (): void => {
      for (let i = 0; i < PICK_TRIES; i++) {
        const p = members[rng.int(members.length)]!
        if (host.online[p] !== 1 || host.ready[p] !== 1) continue
        const target = rng.bytes(32)
        host.step(p, { kind: 'lookup', op: 'FIND_NODE', key: target, target, tag: this.nextTag() })
        break
      }
      const next = host.nowMs + exponential(rng, meanMs)
      if (next < f.endMs) host.at(next, arrive)
    }
    host.at(f.startMs, arrive)
  }

  /** Every online target stops at once; the ones this fault took down start again at its end. */
  private crash(host: ChaosHost, f: ActiveFault): void {
    if (f.target.kind !== 'peers') return
    const down: number[] = []
    for (let i = 0; i < this.layout.n; i++) {
      if (f.target.member[i] !== 1 || this.layout.adversary[i] === 1 || host.online[i] !== 1) continue
      host.leave(i, false)
      down.push(i)
    }
    host.at(f.endMs, () => {
      for (const p of down) host.join(p)
    })
  }

  private churnSpike(host: ChaosHost, f: ActiveFault, perHour: number, downtimeMeanS: number, rng: Rng): void {
    if (f.target.kind !== 'peers' || perHour <= 0) return
    const meanMs = 3_600_000 / perHour
    const endMs = f.endMs
    const schedule = (peer: number, fromMs: number, prng: Rng): void => {
      const t = fromMs + exponential(prng, meanMs)
      if (t >= endMs) return
      host.at(t, () => {
        if (host.online[peer] === 1) {
          host.leave(peer, false)
          const back = host.nowMs + Math.max(1, exponential(prng, downtimeMeanS * 1000))
          host.at(back, () => {
            host.join(peer)
            schedule(peer, host.nowMs, prng)
          })
        } else {
          schedule(peer, host.nowMs, prng)
        }
      })
    }
    for (let i = this.layout.bootstraps; i < this.layout.n; i++) {
      if (f.target.member[i] === 1 && this.layout.adversary[i] !== 1) schedule(i, f.startMs, rng.fork(`peer/${i}`))
    }
  }
}

function defaultTags(): TagSource {
  let t = -1_000_000_000
  return () => t--
}
