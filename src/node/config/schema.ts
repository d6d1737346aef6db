// The node's configuration keys and their one zod schema.
//
// Every key has one name per source, derived mechanically:
//   TOML file key   = snake_case (`dht_alpha`)          — flat, no tables
//   environment     = the file key in upper case (`DHT_ALPHA`)
//   CLI flag        = the file key in kebab case (`--dht-alpha`)
// Values may arrive typed (TOML numbers, booleans, arrays) or as strings (environment, flags);
// the schema accepts both and produces typed values. Nothing here reads files or the process.
import { isIP } from 'node:net'
import { z } from 'zod'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { ADMISSION_DELAY_MS, ADMISSION_INFLIGHT } from '../../engine/constants.js'

export interface HostPort {
  /** IPv4 or IPv6 literal, without brackets. */
  readonly host: string
  /** 0..65535; 0 asks the OS for a free port (tests). */
  readonly port: number
  /** As written: "0.0.0.0:9444", "[::1]:9909". */
  readonly text: string
}

/** Longest list of bootstrap peers accepted. */
export const MAX_BOOTSTRAP_PEERS = 64
/** Admin tokens shorter than this are refused (a capability token must not be guessable). */
export const MIN_ADMIN_TOKEN_LENGTH = 16
const MAX_STRING = 4096

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}

function int(min: number, max: number) {
  const msg = `expected an integer from ${min} to ${max}`
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: (i) => `${msg}, got ${show(i.input)}` })
      .int({ error: (i) => `${msg}, got ${show(i.input)}` })
      .min(min, { error: (i) => `${msg}, got ${show(i.input)}` })
      .max(max, { error: (i) => `${msg}, got ${show(i.input)}` }),
  )
}

const TRUE = new Set(['on', 'true', '1', 'yes'])
const FALSE = new Set(['off', 'false', '0', 'no'])

function onOff() {
  return z.preprocess(
    (v) => {
      if (typeof v !== 'string') return v
      const s = v.trim().toLowerCase()
      return TRUE.has(s) ? true : FALSE.has(s) ? false : v
    },
    z.boolean({ error: (i) => `expected on/off (or true/false), got ${show(i.input)}` }),
  )
}

function parseHostPort(v: string): HostPort | string {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(v.trim())
  if (m === null) return `expected <ip>:<port> (IPv6 in brackets), got ${show(v)}`
  const host = m[1] ?? m[2]!
  const port = Number(m[3])
  if (isIP(host) === 0) return `${show(host)} is not an IP address`
  if (m[1] !== undefined && isIP(host) !== 6) return `${show(host)} in brackets is not an IPv6 address`
  if (port > 65535) return `port ${port} is out of range 0..65535`
  return { host, port, text: v.trim() }
}

function hostPort() {
  return z.string({ error: (i) => `expected "<ip>:<port>", got ${show(i.input)}` }).transform((v, ctx) => {
    const r = parseHostPort(v)
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: r })
      return z.NEVER
    }
    return r
  })
}

/** Checks one bootstrap multiaddr: it parses and names its peer with /p2p/<valid peer id>. */
export function checkBootstrapAddr(addr: string): string | undefined {
  let ma
  try {
    ma = multiaddr(addr)
  } catch {
    return `${show(addr)} is not a multiaddr`
  }
  const p2p = ma.getComponents().filter((c) => c.name === 'p2p')
  if (p2p.length === 0) return `${show(addr)} has no /p2p/<peer id>`
  try {
    peerIdFromString(p2p[p2p.length - 1]!.value ?? '')
  } catch {
    return `${show(addr)} has an invalid peer id`
  }
  return undefined
}

function bootstrapList() {
  return z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(/[\s,]+/)
            .map((s) => s.trim())
            .filter((s) => s.length > 0)
        : v,
    z
      .array(z.string({ error: (i) => `expected multiaddr strings, got ${show(i.input)}` }), {
        error: (i) => `expected a list of multiaddrs, got ${show(i.input)}`,
      })
      .max(MAX_BOOTSTRAP_PEERS, { error: `at most ${MAX_BOOTSTRAP_PEERS} bootstrap peers` })
      .superRefine((list, ctx) => {
        list.forEach((a, i) => {
          const e = checkBootstrapAddr(a)
          if (e !== undefined) ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: ${e}` })
        })
      }),
  )
}

function path() {
  return z
    .string({ error: (i) => `expected a path, got ${show(i.input)}` })
    .min(1, { error: 'expected a path, got ""' })
    .max(MAX_STRING, { error: `longer than ${MAX_STRING} characters` })
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: (i) => `expected one of ${values.join(', ')}, got ${show(i.input)}` })
}

/** The token is a secret: its value never appears in an error message. */
function token() {
  return z
    .string({ error: 'expected a string' })
    .min(MIN_ADMIN_TOKEN_LENGTH, { error: `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters` })
    .max(512, { error: 'must be at most 512 characters' })
    .refine((s) => !/\s/.test(s), { error: 'must not contain whitespace' })
}

/**
 * The one schema. Every key is optional here: defaults (DEFAULTS) are merged in before the
 * final parse, and each source (file, environment, flags) is checked with this same schema so
 * an error names the key as that source spells it.
 */
export const ConfigSchema = z.strictObject({
  /** libp2p TCP listener. */
  dht_addr: hostPort().optional(),
  /** HTTP listener: /metrics, /healthz, /readyz, client API, admin. */
  metrics_addr: hostPort().optional(),
  dht_alpha: int(1, 16).optional(),
  dht_beta: int(0, 16).optional(),
  dht_timeout_ms: int(50, 60_000).optional(),
  /** on: nothing is written to disk (no routing-table cache, no identity file created). */
  ron_amnesia: onOff().optional(),
  policy_profile: oneOf(['default', 'strict']).optional(),
  require_pq_on: onOff().optional(),
  /** Multiaddrs with /p2p/<peer id>; a comma/space separated string in the environment. */
  dht_bootstrap: bootstrapList().optional(),
  /** Private key file (libp2p protobuf). Missing: created (amnesia off) or ephemeral (on). */
  dht_identity_file: path().optional(),
  /** Routing-table cache directory (ignored with amnesia on). */
  dht_data_dir: path().optional(),
  dht_log_level: oneOf(LOG_LEVELS).optional(),
  /** Capability token for admin endpoints. Prefer dht_admin_token_file. */
  dht_admin_token: token().optional(),
  /** File holding the admin token (first line). */
  dht_admin_token_file: path().optional(),
  /** Bound on draining in-flight lookups at SIGTERM/SIGINT. */
  dht_drain_timeout_ms: int(0, 600_000).optional(),
  /** on: the user-space link shaper runs and the admin fault routes act (fault drills, testbeds). */
  dht_link_shaper: onOff().optional(),
  /** This node's region label (carried in its PQ proof; repair can prefer a region). */
  dht_region: z
    .string({ error: 'expected a string' })
    .regex(/^[A-Za-z0-9._-]{1,32}$/, { error: 'must be 1-32 characters of [A-Za-z0-9._-]' })
    .optional(),
  /** Also serve the HTTP API on this Unix domain socket (mode 0600; admin without a token). */
  dht_admin_socket: path().optional(),
  /** Admission control: refuse a FIND_NODE-sized request that would wait longer than this (ms). */
  dht_admission_delay_ms: int(1, 60_000).optional(),
  /** Admission control: refuse new requests while this many inbound ones are open. */
  dht_admission_inflight: int(1, 1_000_000).optional(),
  /** Refused requests within 10 s that put a peer in the penalty box (0: never); default the profile's. */
  dht_penalty_refusals: int(0, 1_000_000).optional(),
  /** How long a penalized peer is cut off (ms); default the profile's. */
  dht_penalty_ms: int(1_000, 86_400_000).optional(),
})

export type ConfigKey = keyof typeof ConfigSchema.shape
export const CONFIG_KEYS = Object.keys(ConfigSchema.shape) as ConfigKey[]

/** Defaults, in the raw (file) form. */
export const DEFAULTS: Readonly<Partial<Record<ConfigKey, unknown>>> = {
  dht_addr: '0.0.0.0:9444',
  metrics_addr: '127.0.0.1:9909',
  dht_alpha: 3,
  dht_beta: 2,
  dht_timeout_ms: 750,
  ron_amnesia: false,
  policy_profile: 'default',
  require_pq_on: false,
  dht_bootstrap: [],
  dht_log_level: 'info',
  dht_drain_timeout_ms: 10_000,
  dht_link_shaper: false,
  dht_admission_delay_ms: ADMISSION_DELAY_MS,
  dht_admission_inflight: ADMISSION_INFLIGHT,
}

/** Keys whose values are paths: relative paths in a file resolve against the file's directory. */
export const PATH_KEYS: readonly ConfigKey[] = ['dht_identity_file', 'dht_data_dir', 'dht_admin_token_file', 'dht_admin_socket']

export const envName = (k: ConfigKey): string => k.toUpperCase()
export const flagName = (k: ConfigKey): string => `--${k.replaceAll('_', '-')}`
