// The chaos part of a scenario (docs/ARCHITECTURE.md, "Faults"): named node groups, the fault timeline, adversaries,
// the eclipse probe, readiness/recovery definitions and comparison variants. Defined once here
// with zod and merged into the scenario schema (scenario.ts), so `dht-sim schema scenario`
// exports it and a bad value is one line naming its field.
import * as z from 'zod'
import { FAULT_ID_RE, faultSchema } from '../../netmodel/faults.js'

export { faultSchema, TARGET_RE, type FaultSpec } from '../../netmodel/faults.js'

const num = (min: number, max: number): z.ZodNumber => z.number().min(min).max(max)
const int = (min: number, max: number): z.ZodNumber => z.number().int().min(min).max(max)

const id = z.string().regex(FAULT_ID_RE, 'must be lower-case letters, digits, "_" or "-" (at most 48)')

export const groupSchema = z
  .strictObject({
    name: id,
    fraction: num(0, 1).optional().describe('this share of the non-bootstrap peers (from the group stream)'),
    count: int(1, 1_000_000).optional().describe('this many non-bootstrap peers'),
    region: z.string().optional().describe('only peers of this region'),
  })
  .describe('a named group of peers (a replica) that faults can target')

export const behavioursSchema = z
  .strictObject({
    drop: num(0, 1).default(0).describe('probability of ignoring a request'),
    misroute: z.boolean().default(true).describe('answer FIND_NODE / GET_PROVIDERS with colluding peers only'),
    providers: z.enum(['none', 'fake', 'honest']).default('none').describe('GET_PROVIDERS: no providers, colluders as providers, or the honest answer'),
    store: z.boolean().default(false).describe('store ADD_PROVIDER records (false: refuse silently)'),
    slow_ms: num(0, 60_000).default(0).describe('delay every answer by this much'),
  })
  .prefault({})

export const adversarySchema = z
  .strictObject({
    fraction: num(0, 0.9).default(0).describe('Sybil share of the non-bootstrap peers, spread over the keyspace'),
    behaviours: behavioursSchema,
    addresses: z
      .enum(['concentrated', 'spread', 'diverse'])
      .default('spread')
      .describe('a few /24 groups; a botnet (one /24 each, over 256 /16s); or one /16 each (cloud ranges rented in many places)'),
    address_groups: int(1, 65_536).default(4).describe('/24 groups used when concentrated'),
    eclipse: z
      .strictObject({
        target: z.enum(['probe-key', 'victim']).default('probe-key').describe('the probe key, or a victim node id'),
        victim: int(0, 1_000_000).optional().describe('victim peer index (target: victim)'),
        cluster: int(1, 10_000).default(20).describe('Sybils packed around the target'),
        extra_bits: int(1, 200).default(8).describe('shared prefix beyond log2(peers): how much closer than any honest peer (ignored when density is set)'),
        density: num(0.01, 1e15)
          .optional()
          .describe('place the cluster at this multiple of the honest density (3-4: under a fixed 4x threshold) instead of inside a shared prefix'),
        offset_spacings: num(0, 1e6).default(0).describe('with density: the cluster starts this many honest spacings (1/peers of the keyspace) from the target'),
        addresses: z.enum(['concentrated', 'spread', 'diverse']).default('spread'),
      })
      .optional()
      .describe('a cluster of Sybils closer to the target than any honest peer'),
  })
  .prefault({})

export const probeSchema = z
  .strictObject({
    providers: int(1, 1000).default(5).describe('honest peers that PROVIDE the probe key (not used for a victim)'),
    provide_at_s: num(0, 30 * 86_400).optional().describe('when they provide it (needed unless the eclipse target is a victim)'),
    start_s: num(0, 30 * 86_400).describe('first probe lookup'),
    get_per_s: num(0.001, 10_000).default(1).describe('probe lookups per second, from random honest ready peers'),
  })
  .describe(
    'the eclipse probe: honest providers of one key and GET_PROVIDERS of it (metric honest_provider_success); for a victim node, FIND_NODE of its id (metric victim_found)',
  )

export const readinessSchema = z
  .strictObject({
    sample_s: num(0.1, 3600).default(5).describe('readiness sampling period'),
    ready_below: num(0, 1).default(0.9).describe('readiness "flipped" once the ready share of honest online peers is below this'),
    window_s: num(1, 3600).default(60).describe('sliding window for collapse and recovery'),
    step_s: num(0.1, 3600).default(5).describe('sliding window step'),
    collapse_success_below: num(0, 1).default(0.99).describe('lookups "collapsed" when success in a window is below this...'),
    collapse_p95_factor: num(1, 1000).default(2).describe('...or p95 is above this many times the p95 of the same span just before the fault'),
    nominal_hops_p99: num(0, 255).default(5).describe('recovered when hops p99 <= this...'),
    nominal_p95_ms: num(0, 600_000).default(500).describe('...and p95 < this...'),
    hold_s: num(0, 86_400).default(120).describe('...for every window starting within this span'),
  })
  .prefault({})

export const variantSchema = z.strictObject({
  label: z.string().min(1).max(80),
  set: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).describe('dotted scenario paths and their values, e.g. {dht.policy: default}'),
})

export const responseSchema = z
  .strictObject({
    id,
    at_s: num(0, 30 * 86_400).describe('virtual time the operator acts'),
    for_s: num(0.001, 30 * 86_400).optional().describe('undone after this long (each setting back to what it was just before); absent: kept to the end of the run'),
    policy: z.enum(['default', 'strict']).optional().describe('switch every honest node to this policy profile'),
    alpha: int(1, 32).optional().describe('set every honest node\'s alpha (parallel requests per lookup)'),
    beta: int(0, 32).optional().describe('set every honest node\'s beta (slow requests a lookup stops waiting for)'),
    reprovide: z.boolean().optional().describe('true: every honest node re-announces now the keys it provides (`dht-sim ctl reprovide`), once, at at_s'),
  })
  .describe(
    "an operator's action on every honest node at at_s: a hot reload of these engine settings (what the runbook does with SIGHUP; tables, records and lookups under way are kept), in force until for_s ends; gate windows during:<id> and after:<id>",
  )

/** The engine settings a response may set. */
export const RESPONSE_SETTINGS = ['policy', 'alpha', 'beta'] as const

/** The fields the chaos part adds to the scenario schema. */
export const chaosFields = {
  groups: z.array(groupSchema).max(64).default([]),
  faults: z.array(faultSchema).max(256).default([]),
  adversary: adversarySchema,
  probe: probeSchema.optional(),
  readiness: readinessSchema,
  variants: z.array(variantSchema).max(8).default([]).describe('the same run with these changes, shown beside it in the report'),
  response: z.array(responseSchema).max(32).optional().describe("the operator's response on the timeline (the runbook's actions), shown in the report as windows"),
}

export const chaosSchema = z.strictObject(chaosFields)

export type GroupSpec = z.output<typeof groupSchema>
export type AdversarySpec = z.output<typeof adversarySchema>
export type ProbeSpec = z.output<typeof probeSchema>
export type ReadinessSpec = z.output<typeof readinessSchema>
export type VariantSpec = z.output<typeof variantSchema>
export type ResponseSpec = z.output<typeof responseSchema>
export type ChaosSpec = z.output<typeof chaosSchema>

/** Cross-field checks (ids unique, groups named by targets exist, windows inside the run). */
export function chaosIssues(c: ChaosSpec, durationS: number, peers: number, bootstraps: number): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = []
  const groupNames = c.groups.map((g) => g.name)
  c.groups.forEach((g, i) => {
    if (groupNames.indexOf(g.name) !== i) out.push({ path: ['groups', i, 'name'], message: `duplicate group "${g.name}"` })
    if ((g.fraction === undefined) === (g.count === undefined)) out.push({ path: ['groups', i], message: 'needs exactly one of fraction or count' })
    if (g.count !== undefined && g.count > peers - bootstraps) out.push({ path: ['groups', i, 'count'], message: `must be <= ${peers - bootstraps} (the non-bootstrap peers)` })
  })
  const ids = c.faults.map((f) => f.id)
  c.faults.forEach((f, i) => {
    if (ids.indexOf(f.id) !== i) out.push({ path: ['faults', i, 'id'], message: `duplicate fault id "${f.id}"` })
    if (f.at_s >= durationS) out.push({ path: ['faults', i, 'at_s'], message: `must be < duration_s (${durationS}) (got ${f.at_s})` })
    const m = /^(group|replica):(.+)$/.exec(f.targets)
    if (m !== null && !groupNames.includes(m[2]!)) out.push({ path: ['faults', i, 'targets'], message: `names no group of this scenario ("${m[2]!}")` })
    if (f.targets === 'inter-region' && f.kind !== 'loss' && f.kind !== 'latency' && f.kind !== 'partition') {
      out.push({ path: ['faults', i, 'targets'], message: `inter-region names links, not peers: not valid for kind ${f.kind}` })
    }
  })
  ;(c.response ?? []).forEach((r, i) => {
    if (ids.includes(r.id) || (c.response ?? []).findIndex((x) => x.id === r.id) !== i) out.push({ path: ['response', i, 'id'], message: `duplicate id "${r.id}" (fault and response ids name gate windows)` })
    if (r.at_s >= durationS) out.push({ path: ['response', i, 'at_s'], message: `must be < duration_s (${durationS}) (got ${r.at_s})` })
    if (RESPONSE_SETTINGS.every((k) => r[k] === undefined) && r.reprovide !== true) out.push({ path: ['response', i], message: `does nothing: needs one of ${RESPONSE_SETTINGS.join(', ')} or reprovide: true` })
  })
  const e = c.adversary.eclipse
  if (e !== undefined) {
    if (e.target === 'probe-key' && c.probe === undefined) out.push({ path: ['adversary', 'eclipse', 'target'], message: 'probe-key needs a probe section' })
    if (e.target === 'victim' && (e.victim === undefined || e.victim >= peers)) out.push({ path: ['adversary', 'eclipse', 'victim'], message: `needs a peer index < ${peers}` })
  }
  if (c.probe !== undefined && c.probe.provide_at_s === undefined && e?.target !== 'victim') {
    out.push({ path: ['probe', 'provide_at_s'], message: 'is required (the probe key must be provided before it is looked up)' })
  }
  return out
}

/** The chaos part with every default filled (a scenario that leaves it all out resolves to this). */
export function chaosDefaults(): ChaosSpec {
  return chaosSchema.parse({})
}

/** Whether the chaos part differs from its defaults (only then is it written into the resolved scenario). */
export function chaosIsDefault(c: ChaosSpec): boolean {
  return JSON.stringify(c) === JSON.stringify(chaosDefaults())
}

/** Fills what a resolved scenario left out (the chaos part is only kept there when it is used). */
export function chaosOf(s: Partial<ChaosSpec>): ChaosSpec {
  const d = chaosDefaults()
  return {
    groups: s.groups ?? d.groups,
    faults: s.faults ?? d.faults,
    adversary: s.adversary ?? d.adversary,
    ...(s.probe !== undefined ? { probe: s.probe } : {}),
    readiness: s.readiness ?? d.readiness,
    variants: s.variants ?? d.variants,
    ...(s.response !== undefined ? { response: s.response } : {}),
  }
}

export { FAULT_KINDS } from '../../netmodel/faults.js'
