// Theory of operation
// -------------------
// The eclipse probe: a few honest peers PROVIDE one content key (the probe key) at provide_at_s
// (a provider not ready yet retries every few seconds, a bounded number of times), then from
// start_s honest ready peers ask GET_PROVIDERS for it as a Poisson process. A probe lookup
// succeeds when its providers include an HONEST peer that provided the key — colluders posing
// as providers do not count. When the eclipse targets a victim node instead, nobody provides:
// honest peers look up the victim's own id with FIND_NODE, and a probe lookup succeeds when the
// victim itself is in the result (the attack hides the victim behind Sybils packed around its id).
// Probe lookups carry tags <= -2 from the chaos layer (the engine's
// own use -1; the workload's are >= 1), so the simulator core ignores them.
import type { Rng } from '../../engine/rng.js'
import { exponential } from '../../engine/rng.js'
import type { Contact, Input } from '../../engine/types.js'
import type { ProbeSpec } from '../faults/chaos-schema.js'
import { drawSample } from '../faults/targets.js'

export interface ProbeHost {
  readonly n: number
  readonly bootstrapCount: number
  readonly nowMs: number
  readonly durationMs: number
  readonly online: Uint8Array
  readonly ready: Uint8Array
  at(timeMs: number, fn: () => void): void
  step(peer: number, input: Input): void
}

const RETRY_MS = 5_000
const MAX_RETRIES = 120
/** Attempts to find a ready honest issuer before skipping one arrival. */
const PICK_TRIES = 64

export class Probe {
  readonly providers: number[]
  private readonly providerSet: Set<number>
  private readonly pending = new Map<number, { issuer: number; startMs: number; op: 'PROVIDE' | 'GET_PROVIDERS' | 'FIND_NODE' }>()
  provided = 0
  skipped = 0

  constructor(
    private readonly spec: ProbeSpec,
    readonly key: Uint8Array,
    private readonly excluded: Uint8Array,
    n: number,
    bootstraps: number,
    private readonly rng: Rng,
    private readonly nextTag: () => number,
    /** The eclipsed victim node (its id is `key`), or undefined for the probe key. */
    private readonly victim?: number,
  ) {
    const pool: number[] = []
    for (let i = bootstraps; i < n; i++) if (excluded[i] !== 1) pool.push(i)
    this.providers = victim !== undefined ? [] : drawSample(rng.fork('probe/providers'), pool, spec.providers)
    this.providerSet = new Set(this.providers)
  }

  isProbeTag(tag: number): boolean {
    return this.pending.has(tag)
  }

  install(host: ProbeHost): void {
    for (const p of this.providers) this.provide(host, p, (this.spec.provide_at_s ?? 0) * 1000, 0)
    const arrivals = this.rng.fork('probe/arrivals')
    const pick = this.rng.fork('probe/pick')
    const meanMs = 1000 / this.spec.get_per_s
    const next = (t: number): void => {
      if (t > host.durationMs) return
      host.at(t, () => {
        this.ask(host, pick)
        next(host.nowMs + exponential(arrivals, meanMs))
      })
    }
    next(this.spec.start_s * 1000)
  }

  private provide(host: ProbeHost, peer: number, atMs: number, tries: number): void {
    host.at(atMs, () => {
      if (host.online[peer] === 1 && host.ready[peer] === 1) {
        const tag = this.nextTag()
        this.pending.set(tag, { issuer: peer, startMs: host.nowMs, op: 'PROVIDE' })
        host.step(peer, { kind: 'lookup', op: 'PROVIDE', key: this.key, target: this.key, tag })
      } else if (tries < MAX_RETRIES) {
        this.provide(host, peer, host.nowMs + RETRY_MS, tries + 1)
      }
    })
  }

  private ask(host: ProbeHost, pick: Rng): void {
    for (let i = 0; i < PICK_TRIES; i++) {
      const p = pick.int(host.n)
      if (host.online[p] !== 1 || host.ready[p] !== 1 || this.excluded[p] === 1 || this.providerSet.has(p) || p === this.victim) continue
      const tag = this.nextTag()
      const op = this.victim !== undefined ? 'FIND_NODE' : 'GET_PROVIDERS'
      this.pending.set(tag, { issuer: p, startMs: host.nowMs, op })
      host.step(p, { kind: 'lookup', op, key: this.key, target: this.key, tag })
      return
    }
    this.skipped++
  }

  /**
   * A probe lookup ended: for GET_PROVIDERS and FIND_NODE, the row to log ({issuer, startMs,
   * honest}: an honest provider found / the victim found); for PROVIDE, undefined (it only counts
   * towards `provided`).
   */
  done(
    tag: number,
    ev: { readonly success: boolean; readonly providers: readonly Contact[]; readonly closest: readonly Contact[]; readonly error?: string | undefined },
    indexOf: (c: Contact) => number,
  ): { issuer: number; startMs: number; honest: boolean } | undefined {
    const { success, providers, error } = ev
    const p = this.pending.get(tag)
    if (p === undefined) return undefined
    this.pending.delete(tag)
    if (error === 'stopped') return undefined
    if (p.op === 'PROVIDE') {
      if (success) this.provided++
      return undefined
    }
    let honest = false
    if (p.op === 'FIND_NODE') {
      for (const c of ev.closest) if (indexOf(c) === this.victim) honest = true
      return { issuer: p.issuer, startMs: p.startMs, honest }
    }
    for (const c of providers) {
      const i = indexOf(c)
      if (i >= 0 && this.excluded[i] !== 1 && this.providerSet.has(i)) {
        honest = true
        break
      }
    }
    return { issuer: p.issuer, startMs: p.startMs, honest }
  }
}
