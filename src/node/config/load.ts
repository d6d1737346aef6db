// Loading the node's configuration: defaults < TOML file < environment < CLI flags.
//
// Theory of operation: each source is turned into a raw record keyed by file key, then checked
// on its own against the one schema (ConfigSchema), so an error names the key the way that
// source spells it (`dht_alpha` in the file, `DHT_ALPHA` in the environment, `--dht-alpha` for
// a flag). The raw records are then merged over the defaults and parsed once more into a
// typed NodeConfig; cross-key rules are checked last. Unknown keys in the file or the flags are
// errors; the environment is only read for the known names (so platform variables such as
// Kubernetes' DHT_SERVICE_HOST do not trip it) and an empty variable counts as unset.
// Apart from reading the one file, loadConfig is pure.
import { homedir } from 'node:os'
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { parse as parseToml, TomlError } from 'smol-toml'
import type { ZodError } from 'zod'
import { BadInputError } from '../../common/errors.js'
import type { PolicyProfile } from '../../engine/config.js'
import {
  CONFIG_KEYS,
  ConfigSchema,
  DEFAULTS,
  PATH_KEYS,
  envName,
  flagName,
  type ConfigKey,
  type HostPort,
  type LogLevel,
} from './schema.js'

/** Bad configuration: `ConfigInvalid(key=<key>): <what is wrong>`. CLI exit code 2. */
export class ConfigInvalidError extends BadInputError {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`ConfigInvalid(key=${key}): ${reason}`)
  }
}

export type ConfigSource = 'default' | 'file' | 'env' | 'flag'

export interface NodeConfig {
  readonly dhtAddr: HostPort
  readonly metricsAddr: HostPort
  readonly alpha: number
  readonly beta: number
  readonly timeoutMs: number
  readonly amnesia: boolean
  readonly policyProfile: PolicyProfile
  readonly requirePq: boolean
  /** Multiaddr strings, each with /p2p/<peer id>. */
  readonly bootstrap: readonly string[]
  readonly identityFile: string | undefined
  readonly dataDir: string
  readonly logLevel: LogLevel
  /** Secret: keep out of logs (see redactConfig). */
  readonly adminToken: string | undefined
  readonly adminTokenFile: string | undefined
  readonly drainTimeoutMs: number
  /** The user-space link shaper (fault injection) is on. */
  readonly linkShaper: boolean
  readonly region: string | undefined
  readonly adminSocket: string | undefined
  /** Admission control (the engine's admissionDelayMs and admissionInflight). */
  readonly admissionDelayMs: number
  readonly admissionInflight: number
  /** Penalty box thresholds; undefined: the policy profile's (src/node/host/limits.ts). */
  readonly penaltyRefusals: number | undefined
  readonly penaltyMs: number | undefined
  /** The config file read, if any. */
  readonly file: string | undefined
  /** Where each value came from. */
  readonly sources: Readonly<Record<ConfigKey, ConfigSource>>
}

export interface LoadConfigOptions {
  /** The TOML file (from --config); falls back to env.RON_CONFIG. */
  readonly file?: string
  /** The environment (process.env in production). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** CLI flags keyed by file key (see configFlagsFromOptions); undefined values are ignored. */
  readonly flags?: Readonly<Record<string, unknown>>
  /** Base for relative paths given by env and flags (default: process.cwd()). */
  readonly cwd?: string
  /** How errors about the file itself name it (default: `--config`, or `RON_CONFIG`). */
  readonly fileLabel?: string
}

type Raw = Partial<Record<ConfigKey, unknown>>

function checkLayer(raw: Record<string, unknown>, label: (k: string) => string): void {
  const r = ConfigSchema.safeParse(raw)
  if (!r.success) throw fromZod(r.error, label)
}

function fromZod(e: ZodError, label: (k: string) => string): ConfigInvalidError {
  const issue = e.issues[0]!
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?'
    return new ConfigInvalidError(label(key), 'unknown key')
  }
  const key = String(issue.path[0] ?? '?')
  return new ConfigInvalidError(label(key), issue.message)
}

/** Reads and parses the TOML file into raw values (paths resolved against its directory). */
export function readConfigFile(file: string, keyLabel = 'config'): Raw {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error'
    throw new ConfigInvalidError(keyLabel, `cannot read ${file} (${code})`)
  }
  let doc: Record<string, unknown>
  try {
    doc = parseToml(text) as Record<string, unknown>
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0] ?? 'invalid TOML'
      throw new ConfigInvalidError(keyLabel, `${file}:${e.line}:${e.column}: ${first}`)
    }
    throw new ConfigInvalidError(keyLabel, `${file}: invalid TOML`)
  }
  checkLayer(doc, (k) => k)
  const raw: Raw = { ...(doc as Raw) }
  const base = dirname(resolve(file))
  for (const k of PATH_KEYS) {
    const v = raw[k]
    if (typeof v === 'string' && !isAbsolute(v)) raw[k] = resolve(base, v)
  }
  return raw
}

function envLayer(env: Readonly<Record<string, string | undefined>>): Raw {
  const raw: Raw = {}
  for (const k of CONFIG_KEYS) {
    const v = env[envName(k)]
    if (v !== undefined && v !== '') raw[k] = v
  }
  checkLayer(raw, (k) => envName(k as ConfigKey))
  return raw
}

function flagLayer(flags: Readonly<Record<string, unknown>>): Raw {
  const raw: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) raw[k] = v
  checkLayer(raw, (k) => (CONFIG_KEYS.includes(k as ConfigKey) ? flagName(k as ConfigKey) : `--${k.replaceAll('_', '-')}`))
  return raw as Raw
}

function resolvePaths(raw: Raw, cwd: string): Raw {
  const out = { ...raw }
  for (const k of PATH_KEYS) {
    const v = out[k]
    if (typeof v === 'string' && !isAbsolute(v)) out[k] = resolve(cwd, v)
  }
  return out
}

/**
 * Where the node keeps its state when dht_data_dir is not set: never beside the sources.
 * systemd's $STATE_DIRECTORY (StateDirectory=), else $XDG_STATE_HOME/dht-sim, else
 * ~/.local/state/dht-sim.
 */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>>): string {
  const sd = env.STATE_DIRECTORY?.split(':')[0]
  if (sd !== undefined && sd !== '') return sd
  if (env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== '') return join(env.XDG_STATE_HOME, 'dht-sim')
  return join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.local', 'state', 'dht-sim')
}

/** Loads, merges and validates the configuration. Throws ConfigInvalidError (exit 2). */
export function loadConfig(opts: LoadConfigOptions = {}): NodeConfig {
  const env = opts.env ?? {}
  const cwd = opts.cwd ?? process.cwd()
  const fileFromFlag = opts.file !== undefined && opts.file !== ''
  const file = fileFromFlag ? opts.file : env.RON_CONFIG !== undefined && env.RON_CONFIG !== '' ? env.RON_CONFIG : undefined
  const fileRaw = file !== undefined ? readConfigFile(file, opts.fileLabel ?? (fileFromFlag ? '--config' : 'RON_CONFIG')) : {}
  const envRaw = resolvePaths(envLayer(env), cwd)
  const flagRaw = resolvePaths(flagLayer(opts.flags ?? {}), cwd)

  const sources = {} as Record<ConfigKey, ConfigSource>
  for (const k of CONFIG_KEYS) {
    sources[k] = k in flagRaw ? 'flag' : k in envRaw ? 'env' : k in fileRaw ? 'file' : 'default'
  }
  const merged = { ...resolvePaths(DEFAULTS as Raw, cwd), dht_data_dir: defaultStateDir(env), ...fileRaw, ...envRaw, ...flagRaw }
  const label = (k: string): string => {
    const s = sources[k as ConfigKey]
    return s === 'flag' ? flagName(k as ConfigKey) : s === 'env' ? envName(k as ConfigKey) : k
  }
  const parsed = ConfigSchema.safeParse(merged)
  if (!parsed.success) throw fromZod(parsed.error, label)
  const c = parsed.data
  if (c.dht_admin_token !== undefined && c.dht_admin_token_file !== undefined) {
    throw new ConfigInvalidError(label('dht_admin_token'), `set only one of ${label('dht_admin_token')} and ${label('dht_admin_token_file')}`)
  }
  if (c.dht_addr!.port !== 0 && c.dht_addr!.port === c.metrics_addr!.port && sameHostOrWildcard(c.dht_addr!, c.metrics_addr!)) {
    throw new ConfigInvalidError(label('metrics_addr'), `same port as ${label('dht_addr')} (${c.dht_addr!.port})`)
  }
  return {
    dhtAddr: c.dht_addr!,
    metricsAddr: c.metrics_addr!,
    alpha: c.dht_alpha!,
    beta: c.dht_beta!,
    timeoutMs: c.dht_timeout_ms!,
    amnesia: c.ron_amnesia!,
    policyProfile: c.policy_profile!,
    requirePq: c.require_pq_on!,
    bootstrap: c.dht_bootstrap!,
    identityFile: c.dht_identity_file,
    dataDir: c.dht_data_dir!,
    logLevel: c.dht_log_level!,
    adminToken: c.dht_admin_token,
    adminTokenFile: c.dht_admin_token_file,
    drainTimeoutMs: c.dht_drain_timeout_ms!,
    linkShaper: c.dht_link_shaper!,
    region: c.dht_region,
    adminSocket: c.dht_admin_socket,
    admissionDelayMs: c.dht_admission_delay_ms!,
    admissionInflight: c.dht_admission_inflight!,
    penaltyRefusals: c.dht_penalty_refusals,
    penaltyMs: c.dht_penalty_ms,
    file,
    sources,
  }
}

function sameHostOrWildcard(a: HostPort, b: HostPort): boolean {
  const wild = (h: string): boolean => h === '0.0.0.0' || h === '::'
  return a.host === b.host || wild(a.host) || wild(b.host)
}

/** The config as the file spells it (snake_case keys), secrets replaced: `config check --print`. */
export function configAsFileKeys(c: NodeConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    dht_addr: c.dhtAddr.text,
    metrics_addr: c.metricsAddr.text,
    dht_alpha: c.alpha,
    dht_beta: c.beta,
    dht_timeout_ms: c.timeoutMs,
    ron_amnesia: c.amnesia,
    policy_profile: c.policyProfile,
    require_pq_on: c.requirePq,
    dht_bootstrap: c.bootstrap,
    dht_identity_file: c.identityFile ?? null,
    dht_data_dir: c.dataDir,
    dht_log_level: c.logLevel,
    dht_admin_token: c.adminToken !== undefined ? '<redacted>' : null,
    dht_admin_token_file: c.adminTokenFile ?? null,
    dht_drain_timeout_ms: c.drainTimeoutMs,
    dht_link_shaper: c.linkShaper,
    dht_region: c.region ?? null,
    dht_admin_socket: c.adminSocket ?? null,
    dht_admission_delay_ms: c.admissionDelayMs,
    dht_admission_inflight: c.admissionInflight,
    dht_penalty_refusals: c.penaltyRefusals ?? null,
    dht_penalty_ms: c.penaltyMs ?? null,
  }
  return out
}

/** The file key of each NodeConfig field (logs and events speak the documented names). */
export const FILE_KEY_OF: Readonly<Record<Exclude<keyof NodeConfig, 'sources' | 'file'>, ConfigKey>> = {
  dhtAddr: 'dht_addr',
  metricsAddr: 'metrics_addr',
  alpha: 'dht_alpha',
  beta: 'dht_beta',
  timeoutMs: 'dht_timeout_ms',
  amnesia: 'ron_amnesia',
  policyProfile: 'policy_profile',
  requirePq: 'require_pq_on',
  bootstrap: 'dht_bootstrap',
  identityFile: 'dht_identity_file',
  dataDir: 'dht_data_dir',
  logLevel: 'dht_log_level',
  adminToken: 'dht_admin_token',
  adminTokenFile: 'dht_admin_token_file',
  drainTimeoutMs: 'dht_drain_timeout_ms',
  linkShaper: 'dht_link_shaper',
  region: 'dht_region',
  adminSocket: 'dht_admin_socket',
  admissionDelayMs: 'dht_admission_delay_ms',
  admissionInflight: 'dht_admission_inflight',
  penaltyRefusals: 'dht_penalty_refusals',
  penaltyMs: 'dht_penalty_ms',
}

/** NodeConfig field names as the file spells them (`file` for the config file itself). */
export function fileKeysOf(fields: readonly (keyof NodeConfig)[]): string[] {
  return fields.filter((f) => f !== 'sources').map((f) => (f === 'file' ? 'file' : FILE_KEY_OF[f]))
}

/** The config with secrets replaced, for logs and `config check --print`. */
export function redactConfig(c: NodeConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...c, dhtAddr: c.dhtAddr.text, metricsAddr: c.metricsAddr.text }
  delete out.sources
  if (c.adminToken !== undefined) out.adminToken = '<redacted>'
  return out
}
