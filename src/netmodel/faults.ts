// The fault definitions of a scenario (`faults:` in scenarios/*.yaml), shared by the two worlds
// that apply them: the simulator's fault timeline (packet rules on virtual time) and the node's
// link shaper (real frames, injected at run time through the admin endpoint). Defined once here
// with zod; the scenario schema embeds it, so `dht-sim schema scenario` exports it.
import * as z from 'zod'

const num = (min: number, max: number): z.ZodNumber => z.number().min(min).max(max)
const int = (min: number, max: number): z.ZodNumber => z.number().int().min(min).max(max)

export const FAULT_ID_RE = /^[a-z0-9][a-z0-9_-]{0,47}$/
const id = z.string().regex(FAULT_ID_RE, 'must be lower-case letters, digits, "_" or "-" (at most 48)')

/**
 * A target names a set of peers (or, for `inter-region`, a set of links):
 * `bootstrap`, `all`, `region:<name>`, `group:<name>` (or `replica:<name>`), `inter-region`,
 * `fraction:<0..1>` (that share of the non-bootstrap peers, drawn from the fault's own stream).
 */
export const TARGET_RE = /^(bootstrap|all|inter-region|region:[a-z0-9-]+|(group|replica):[a-z0-9][a-z0-9_-]*|fraction:(0(\.\d+)?|1(\.0+)?))$/
const target = z
  .string()
  .regex(TARGET_RE, 'must be bootstrap, all, inter-region, region:<name>, group:<name>, replica:<name> or fraction:<0..1>')

const common = {
  id,
  at_s: num(0, 30 * 86_400).describe('virtual time the fault starts'),
  for_s: num(0.001, 30 * 86_400).describe('how long it lasts; removed at at_s + for_s'),
  targets: target,
}

const direction = z.enum(['both', 'inbound', 'outbound']).default('both').describe('which links of the targets: into them, out of them, or both')

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...common, kind: z.literal('loss'), percent: num(0, 100), direction }),
  z.strictObject({
    ...common,
    kind: z.literal('latency'),
    add_ms: num(0, 60_000).describe('added one-way delay'),
    jitter_ms: num(0, 60_000).default(0).describe('plus uniform [0, jitter_ms)'),
    direction,
  }),
  z.strictObject({
    ...common,
    kind: z.literal('partition'),
    direction: z.enum(['both', 'inbound', 'outbound']).default('both').describe('both: cut off both ways; inbound: nothing reaches the group; outbound: nothing leaves it'),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('cpu'),
    service_ms: num(0.001, 60_000).describe('processing time of one unit of work (a FIND_NODE-sized request) on a target while pegged'),
    queue_max: int(1, 1_000_000).default(64).describe('units of work the service queue holds; a message finding it full is dropped unanswered ("queue-full"); the engine refuses work ("overloaded") long before'),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('load'),
    lookups_per_s: num(0.001, 100_000).describe('extra FIND_NODE lookups per second, issued by the (ready) targets'),
  }),
  z
    .strictObject({ ...common, kind: z.literal('crash') })
    .describe('the targets crash at at_s (their engines stop, state lost) and restart at at_s + for_s, bootstrapping again'),
  z.strictObject({
    ...common,
    kind: z.literal('churn-spike'),
    turnover_per_hour: num(0, 1000).describe('fraction of the online targets leaving per hour during the window'),
    downtime_mean_s: num(1, 86_400).default(60).describe('mean time a peer stays away (exponential)'),
  }),
])

export type FaultSpec = z.output<typeof faultSchema>
export type Direction = 'both' | 'inbound' | 'outbound'

/** The fault kinds, for error messages. */
export const FAULT_KINDS = ['loss', 'latency', 'partition', 'cpu', 'load', 'crash', 'churn-spike'] as const
/** The kinds that act on links (what the node's link shaper applies); the rest act on peers. */
export const LINK_FAULT_KINDS = ['partition', 'loss', 'latency'] as const

/** Order in which link faults are asked: a cut link drops before it could be delayed. */
export const LINK_KIND_RANK: Readonly<Record<string, number>> = { partition: 0, loss: 1, latency: 2 }

/**
 * Whether a message from `fromIn` to `toIn` (each: is that end in the fault's target set) is on
 * a link of the fault. `touch` (loss, latency): any link with a target end (inbound: into a
 * target; outbound: out of one). `cut` (partition): only links between the target set and the
 * rest (inbound: rest -> target; outbound: target -> rest).
 */
export function onFaultLink(fromIn: boolean, toIn: boolean, direction: Direction, mode: 'touch' | 'cut'): boolean {
  if (mode === 'cut') {
    if (direction === 'inbound') return toIn && !fromIn
    if (direction === 'outbound') return fromIn && !toIn
    return fromIn !== toIn
  }
  if (direction === 'inbound') return toIn
  if (direction === 'outbound') return fromIn
  return fromIn || toIn
}
