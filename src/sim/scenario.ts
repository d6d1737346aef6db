// The scenario file: its schema (defined once, here, with zod; exported as JSON Schema by
// `dht-sim schema scenario`), loading YAML, and resolving it into the form the simulator runs.
// Every problem becomes ONE line naming the field path and what is wrong, thrown as
// BadInputError (exit code 2). The chaos part (faults/chaos-schema.ts) extends it with faults and adversaries.
import { readFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import * as z from 'zod'
import YAML from 'yaml'
import { BadInputError } from '../common/errors.js'
import * as C from '../engine/constants.js'
import { regionNames } from '../netmodel/regions.js'
import { stackSchema } from '../netmodel/stack.js'
import { parseGate, type GateSpec } from './gates.js'
import { chaosFields, chaosIsDefault, chaosIssues, FAULT_KINDS, type ChaosSpec } from './faults/chaos-schema.js'
import { fitProblem } from './session-fit.js'
import { referenceSchema, referenceIssues } from './reference.js'

const num = (min: number, max: number): z.ZodNumber => z.number().min(min).max(max)
const int = (min: number, max: number): z.ZodNumber => z.number().int().min(min).max(max)

const logNormalMs = (median: number, sigma: number) =>
  z
    .strictObject({
      median: num(0, 10_000).default(median).describe('median, ms'),
      sigma: num(0, 3).default(sigma).describe('sigma of the underlying normal (0: constant)'),
    })
    .prefault({})

const regionSchema = z.strictObject({
  name: z.string().describe('a region of data/region-rtt/region-rtt-ms.csv'),
  weight: num(0, 1e6).default(1).describe('share of peers placed in this region (relative)'),
})

const gateObject = z.strictObject({
  metric: z.string(),
  op: z.enum(['<', '<=', '>', '>=', '==']),
  threshold: z.number(),
  window: z.string().default('all').describe('"all" (after warm-up), "during:<fault>" or "after:<fault>"'),
  if_not_reached: z
    .enum(['pass', 'fail'])
    .default('fail')
    .describe('the verdict when the metric was not measured (null: e.g. lookups never collapsed); the scenario says which is right'),
})

export const scenarioSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be lower-case letters, digits, "_", "." or "-" (at most 64)')
      .optional()
      .describe('report directory name; defaults to the file name'),
    description: z.string().max(2000).default(''),
    seed: z.union([z.string().min(1).max(100), z.number().int().min(0)]).default(1).describe('master seed (overridden by --seed)'),
    gate: z.boolean().default(false).describe('run by `dht-sim gate`'),
    duration_s: num(1, 30 * 86_400).default(600).describe('virtual time simulated'),
    warmup_s: num(0, 30 * 86_400).default(0).describe('excluded from metrics and gates'),
    network: z
      .strictObject({
        peers: int(2, 1_000_000),
        bootstraps: int(1, 64).default(4).describe('the first peers; they never churn'),
        join_spread_s: num(0, 86_400).default(60).describe('non-bootstrap peers join uniformly over this span'),
        regions: z.array(regionSchema).min(1).max(32).default([{ name: 'europe-west', weight: 1 }]),
        access_latency_ms: logNormalMs(10, 0.5).describe('one-way last-mile latency per peer'),
        jitter_ms: logNormalMs(1, 1).describe('per-packet extra delay'),
        loss: num(0, 0.99).default(0).describe('uniform packet loss probability'),
        wire_codec: z
          .boolean()
          .default(false)
          .describe('pass every message through the node\'s wire codec (encode, frame, decode) and count bytes on the wire per message type'),
        stack: stackSchema.optional(),
        unreachable_share: num(0, 0.99)
          .optional()
          .describe('fraction of the non-bootstrap peers that nobody can dial (behind NAT): they send requests and get answers, so they enter routing tables, but a request sent to them is never answered and times out'),
        hosted: z
          .strictObject({
            share: num(0, 1).describe('fraction of the peers in data centres'),
            access_latency_ms: logNormalMs(1, 0.3).describe('one-way last-mile latency of a hosted peer'),
          })
          .optional()
          .describe('peers in data centres: this share gets its own (short) access latency; the rest keep access_latency_ms (home links)'),
      })
      .describe('peers and the network between them'),
    churn: z
      .strictObject({
        turnover_per_hour: num(0, 100).default(0).describe('fraction of online peers leaving per hour (0.1 = 10 %/h)'),
        session: z.enum(['exponential', 'weibull', 'lognormal']).default('exponential').describe('session-length family; "lognormal" needs session_cdf'),
        downtime: z.enum(['exponential', 'weibull']).default('exponential'),
        weibull_shape: num(0.1, 10).default(0.6),
        downtime_mean_s: num(1, 30 * 86_400).default(600),
        session_cdf: z
          .array(
            z.strictObject({
              s: num(0.001, 365 * 86_400).describe('session length, seconds'),
              fraction: z.number().gt(0).lt(1).describe('fraction of sessions that ended within s'),
            }),
          )
          .min(1)
          .max(32)
          .optional()
          .describe('published points of the session-length CDF: sessions follow `session` fitted to them (least squares; see docs/ipfs-2025.md), instead of turnover_per_hour and weibull_shape'),
        amnesia: z
          .boolean()
          .default(false)
          .describe('a restarted peer comes back with nothing on disk: it forgets the keys it provided (no re-announce) and the provider records it held. Default false: a restart keeps both, as a real node keeps its datastore'),
      })
      .prefault({}),
    dht: z
      .strictObject({
        k: int(1, 64).default(C.K),
        alpha: int(1, 32).default(C.ALPHA),
        beta: int(0, 32).default(C.BETA),
        timeout_ms: num(10, 60_000).default(C.RPC_TIMEOUT_MS),
        hedge_delay_ms: num(0, 60_000).default(C.HEDGE_DELAY_MS),
        disjoint_paths: int(1, 16).default(C.DISJOINT_PATHS),
        replication: int(1, 64).default(C.K),
        providers_wanted: int(1, 100).default(1),
        refresh_interval_s: num(1, 7 * 86_400).default(C.REFRESH_INTERVAL_MS / 1000),
        max_inflight_lookups: int(1, 4096).default(C.MAX_INFLIGHT_LOOKUPS),
        max_queued_lookups: int(0, 1_000_000).default(C.MAX_QUEUED_LOOKUPS),
        max_queries_per_lookup: int(1, 10_000).default(C.MAX_QUERIES_PER_LOOKUP),
        warm_table_size: int(1, 1000).default(C.WARM_TABLE_SIZE),
        bootstrap_ping_interval_s: num(1, 86_400).default(C.BOOTSTRAP_PING_INTERVAL_MS / 1000),
        bootstrap_live_window_s: num(1, 86_400).default(C.BOOTSTRAP_LIVE_WINDOW_MS / 1000).describe('a bootstrap counts as live (readiness) this long after it answered'),
        admission_delay_ms: num(0, 1e9).default(C.ADMISSION_DELAY_MS).describe('admission control: refuse ("overloaded") a request that waited longer than this, scaled by its cost'),
        admission_inflight: num(0, 1e9).default(C.ADMISSION_INFLIGHT).describe('admission control: refuse ("overloaded") while this many requests wait, scaled by cost'),
        policy: z.enum(['default', 'strict']).default('default'),
      })
      .prefault({})
      .describe('engine overrides (EngineConfig)'),
    workload: z
      .strictObject({
        find_node_per_s: num(0, 1e6).default(1).describe('random-key FIND_NODE lookups per second (whole network)'),
        provide_per_s: num(0, 1e6).default(0.1),
        get_providers_per_s: num(0, 1e6).default(0.5),
        zipf_s: num(0, 5).default(1).describe('popularity skew of GET_PROVIDERS over provided keys'),
        max_content_keys: int(1, 10_000_000).default(10_000),
        start_s: num(0, 30 * 86_400)
          .optional()
          .describe('when users start issuing lookups; defaults to network.join_spread_s (every initial peer has joined)'),
        issuers: z
          .enum(['any', 'hosted'])
          .optional()
          .describe('who issues the lookups: any ready peer (default), or only ready peers in data centres (network.hosted), as a measurement fleet does'),
      })
      .prefault({}),
    metrics: z.strictObject({ window_s: num(1, 86_400).default(60) }).prefault({}),
    calibration: z
      .strictObject({
        latency_pct: num(0, 1000).default(15).describe('lookup p95: testbed within this many percent of the simulator'),
        mean_hops: num(0, 100).default(0.5).describe('mean hops: absolute difference allowed'),
        success_abs: num(0, 1).default(0.02).describe('lookup success: absolute difference allowed'),
        messages_pct: num(0, 1000).default(25).describe('messages per lookup: percent allowed'),
        alert_s: num(0, 86_400).default(30).describe('alert fire and clear times: seconds allowed (one scrape + one evaluation interval)'),
      })
      .optional()
      .describe('tolerances of `dht-sim calibrate` (simulator against the testbed)'),
    limits: z
      .strictObject({
        max_events: int(1, Number.MAX_SAFE_INTEGER).default(2_000_000_000),
        max_pending: int(16, 1 << 30).default(1 << 26),
      })
      .prefault({}),
    gates: z
      .array(z.union([z.string().describe('e.g. "hops_p99 <= 5"'), gateObject]))
      .max(100)
      .default([]),
    reference: referenceSchema.optional(),
    ...chaosFields,
  })
  .superRefine((s, ctx) => {
    const known = regionNames()
    s.network.regions.forEach((r, i) => {
      if (!known.includes(r.name)) {
        ctx.addIssue({ code: 'custom', path: ['network', 'regions', i, 'name'], message: `unknown region "${r.name}" (known: ${known.join(', ')})` })
      }
    })
    if (s.network.regions.every((r) => r.weight === 0)) {
      ctx.addIssue({ code: 'custom', path: ['network', 'regions'], message: 'at least one region needs a weight > 0' })
    }
    if (s.network.bootstraps >= s.network.peers) {
      ctx.addIssue({ code: 'custom', path: ['network', 'bootstraps'], message: `must be < network.peers (${s.network.peers}) (got ${s.network.bootstraps})` })
    }
    const cdf = s.churn.session_cdf
    if (cdf !== undefined) {
      const problem = fitProblem(cdf, s.churn.session)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['churn', 'session_cdf'], message: problem })
    } else if (s.churn.session === 'lognormal') {
      ctx.addIssue({ code: 'custom', path: ['churn', 'session'], message: '"lognormal" needs churn.session_cdf (the points to fit)' })
    }
    for (const issue of referenceIssues(s.reference)) ctx.addIssue({ code: 'custom', path: ['reference', ...issue.path], message: issue.message })
    if (s.workload.issuers === 'hosted' && (s.network.hosted === undefined || s.network.hosted.share === 0)) {
      ctx.addIssue({ code: 'custom', path: ['workload', 'issuers'], message: '"hosted" needs network.hosted with a share > 0' })
    }
    const hosts = s.network.stack?.hosts
    if (hosts !== undefined) {
      // The processes' CPU queues are the simulator's one service model; a `cpu` fault installs another.
      if (s.faults.some((f) => f.kind === 'cpu')) ctx.addIssue({ code: 'custom', path: ['network', 'stack', 'hosts'], message: 'cannot be combined with a "cpu" fault (both model the peers\' CPU)' })
      const share = Math.min(1, hosts.cores / hosts.processes)
      const background = (Math.ceil(s.network.peers / hosts.processes) * hosts.background_cpu_ms) / 1000
      if (background >= share) {
        ctx.addIssue({ code: 'custom', path: ['network', 'stack', 'hosts', 'background_cpu_ms'], message: `a process's peers need ${background.toFixed(2)} of a core for background work alone, and a process gets ${share.toFixed(2)}` })
      }
    }
    if (s.warmup_s >= s.duration_s) {
      ctx.addIssue({ code: 'custom', path: ['warmup_s'], message: `must be < duration_s (${s.duration_s}) (got ${s.warmup_s})` })
    }
    for (const issue of chaosIssues(s, s.duration_s, s.network.peers, s.network.bootstraps)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message })
    // Fault and response ids a gate window may name.
    const faultIds: string[] = [...s.faults.map((f) => f.id), ...(s.response ?? []).map((r) => r.id)]
    s.gates.forEach((g, i) => {
      const parsed = parseGate(g)
      if (parsed.error !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['gates', i], message: parsed.error })
        return
      }
      const w = parsed.gate!.window
      const id = w.slice(w.indexOf(':') + 1)
      if (w !== 'all' && !faultIds.includes(id)) {
        ctx.addIssue({ code: 'custom', path: ['gates', i], message: `window "${w}" names no fault or response of this scenario` })
      }
    })
  })

export type ScenarioParsed = z.output<typeof scenarioSchema>

/**
 * The scenario as the simulator runs it: every default filled, gates parsed, seed a string. The
 * chaos part (groups, faults, adversary, probe, readiness, variants) is present only when the
 * scenario uses it (chaosOf() fills its defaults).
 */
export interface ResolvedScenario extends Omit<ScenarioParsed, 'name' | 'seed' | 'gates' | 'workload' | keyof ChaosSpec>, Partial<ChaosSpec> {
  readonly name: string
  readonly seed: string
  readonly workload: ScenarioParsed['workload'] & { readonly start_s: number }
  readonly gates: readonly GateSpec[]
}

/** JSON Schema of the scenario file (what a user may write: defaults are optional). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input' })
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out === '' ? String(p) : `.${String(p)}`
  }
  return out === '' ? '(top level)' : out
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  const s = JSON.stringify(v)
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}

function typeName(t: string): string {
  return t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'int' ? 'an integer' : `a ${t}`
}

/** One line for the first problem zod found. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input
  const got = ` (got ${describeValue(input)})`
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '?'
      return `${formatPath([...issue.path, key])}: unknown key`
    }
    case 'invalid_type':
      if (input === undefined) return `${formatPath(issue.path)}: required (${typeName(issue.expected)})`
      return `${formatPath(issue.path)}: must be ${typeName(issue.expected)}${got}`
    case 'too_small': {
      const what = issue.origin === 'array' ? 'items' : issue.origin === 'string' ? 'characters' : ''
      const op = issue.inclusive ? '>=' : '>'
      if (what !== '') return `${formatPath(issue.path)}: needs ${op} ${String(issue.minimum)} ${what}`
      return `${formatPath(issue.path)}: must be ${op} ${String(issue.minimum)}${got}`
    }
    case 'too_big': {
      const what = issue.origin === 'array' ? 'items' : issue.origin === 'string' ? 'characters' : ''
      const op = issue.inclusive ? '<=' : '<'
      if (what !== '') return `${formatPath(issue.path)}: needs ${op} ${String(issue.maximum)} ${what}`
      return `${formatPath(issue.path)}: must be ${op} ${String(issue.maximum)}${got}`
    }
    case 'invalid_value':
      return `${formatPath(issue.path)}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`
    case 'invalid_union':
      if (issue.path[0] === 'faults' && issue.path[issue.path.length - 1] === 'kind') {
        const kind = (input as { kind?: unknown } | undefined)?.kind
        return `${formatPath(issue.path)}: must be one of ${FAULT_KINDS.map((k) => JSON.stringify(k)).join(', ')} (got ${describeValue(kind)})`
      }
      if (issue.path[0] === 'gates') {
        return `${formatPath(issue.path)}: must be a gate like "hops_p99 <= 5" or {metric, op, threshold}${got}`
      }
      return `${formatPath(issue.path)}: invalid value${got}`
    case 'invalid_format':
      return `${formatPath(issue.path)}: ${issue.message}${got}`
    default:
      return `${formatPath(issue.path)}: ${issue.message}`
  }
}

/** Validates a parsed YAML value; `where` prefixes the message (the file name). */
export function resolveScenario(raw: unknown, where: string, fallbackName = 'scenario'): ResolvedScenario {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new BadInputError(`${where}: must be a mapping of scenario fields (got ${describeValue(raw)})`)
  }
  const r = scenarioSchema.safeParse(raw, { reportInput: true })
  if (!r.success) {
    const issue = r.error.issues[0]!
    throw new BadInputError(`${where}: ${formatIssue(issue)}`)
  }
  const s = r.data
  const chaos: ChaosSpec = {
    groups: s.groups,
    faults: s.faults,
    adversary: s.adversary,
    ...(s.probe !== undefined ? { probe: s.probe } : {}),
    readiness: s.readiness,
    variants: s.variants,
    ...(s.response !== undefined ? { response: s.response } : {}),
  }
  // Explicit key order: the resolved scenario is part of report.json, whose bytes must be stable.
  return {
    name: s.name ?? fallbackName,
    description: s.description,
    seed: String(s.seed),
    gate: s.gate,
    duration_s: s.duration_s,
    warmup_s: s.warmup_s,
    network: s.network,
    churn: s.churn,
    dht: s.dht,
    workload: { ...s.workload, start_s: s.workload.start_s ?? s.network.join_spread_s },
    metrics: s.metrics,
    limits: s.limits,
    ...(s.calibration !== undefined ? { calibration: s.calibration } : {}),
    gates: s.gates.map((g) => parseGate(g).gate!),
    // Published figures to set the run beside (only when given: other scenarios resolve as before).
    ...(s.reference !== undefined ? { reference: s.reference } : {}),
    // The chaos part only when the scenario uses it: plain scenarios resolve as before.
    ...(chaosIsDefault(chaos) ? {} : chaos),
  }
}

/** A file name turned into a scenario name ("Baseline.yaml" -> "baseline"). */
export function nameFromFile(file: string): string {
  const n = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
  return n === '' ? 'scenario' : n
}

/** A scenario file's text; an unreadable file throws BadInputError naming it. */
export function readScenarioText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new BadInputError(`${file}: cannot read (${e.code ?? e.message})`)
  }
}

/** Reads, parses and validates a scenario file. Bad input of any kind throws BadInputError. */
export function loadScenario(file: string): ResolvedScenario {
  return parseScenarioText(readScenarioText(file), file)
}

export function parseScenarioText(text: string, file: string): ResolvedScenario {
  const doc = YAML.parseDocument(text, { prettyErrors: true })
  const err = doc.errors[0]
  if (err !== undefined) {
    const line = err.linePos?.[0]?.line
    const msg = (err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
    throw new BadInputError(`${file}: YAML error${line !== undefined ? ` at line ${line}` : ''}: ${msg}`)
  }
  return resolveScenario(doc.toJS({ maxAliasCount: 100 }), file, nameFromFile(file))
}
