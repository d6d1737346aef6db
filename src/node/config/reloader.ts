// SIGHUP semantics: reload the configuration; an invalid one is refused and the last known
// good configuration stays in force. The caller (the node) logs and counts refusals.
import { loadConfig, ConfigInvalidError, type LoadConfigOptions, type NodeConfig } from './load.js'

/**
 * Keys (NodeConfig fields) that only take effect after a restart. `requirePq` is not one: a
 * reload may switch enforcement on (never off: serve.ts keeps it on and says so).
 */
export const RESTART_FIELDS: readonly (keyof NodeConfig)[] = [
  'dhtAddr',
  'metricsAddr',
  'amnesia',
  'identityFile',
  'dataDir',
  'linkShaper',
  'region',
  'adminSocket',
]

export type ReloadResult =
  | {
      readonly ok: true
      /** The configuration now in force. */
      readonly config: NodeConfig
      /** NodeConfig fields whose new value is now in force. */
      readonly changed: readonly (keyof NodeConfig)[]
      /** Changed fields that need a restart: `config` keeps their running value. */
      readonly restartRequired: readonly (keyof NodeConfig)[]
    }
  | {
      readonly ok: false
      /** Why the new configuration was refused. */
      readonly error: ConfigInvalidError
      /** The last known good configuration, still in force. */
      readonly config: NodeConfig
    }

export function changedFields(a: NodeConfig, b: NodeConfig): (keyof NodeConfig)[] {
  const out: (keyof NodeConfig)[] = []
  for (const k of Object.keys(a) as (keyof NodeConfig)[]) {
    if (k === 'sources') continue
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push(k)
  }
  return out
}

export class ConfigReloader {
  private good: NodeConfig
  private refusedCount = 0

  /** `opts` are the same options the node started with (file, env, flags). */
  constructor(
    private readonly opts: LoadConfigOptions,
    initial?: NodeConfig,
  ) {
    this.good = initial ?? loadConfig(opts)
  }

  /** The configuration in force (the last known good one). */
  get current(): NodeConfig {
    return this.good
  }

  /** Reloads refused so far. */
  get refused(): number {
    return this.refusedCount
  }

  /**
   * Re-reads the file (and the same env and flags). Never throws for a bad configuration.
   * `accept`, if given, checks the new configuration before it becomes the last good one (a
   * value the node cannot apply, such as an unreadable token file); its throw refuses it.
   */
  reload(accept?: (next: NodeConfig) => void): ReloadResult {
    let next: NodeConfig
    try {
      next = loadConfig(this.opts)
      accept?.(next)
    } catch (e) {
      if (!(e instanceof ConfigInvalidError)) throw e
      this.refusedCount++
      return { ok: false, error: e, config: this.good }
    }
    const changed = changedFields(this.good, next)
    const restartRequired = changed.filter((k) => RESTART_FIELDS.includes(k))
    // Restart-only fields keep their running values: `current` is what is really in force.
    const inForce: Record<string, unknown> = { ...next }
    for (const k of restartRequired) inForce[k] = this.good[k]
    this.good = inForce as unknown as NodeConfig
    return { ok: true, config: this.good, changed: changed.filter((k) => !restartRequired.includes(k)), restartRequired }
  }
}
