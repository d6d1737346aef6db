// CLI flags for every configuration key, for `dht-sim serve` (and anything else that runs a
// node). addConfigOptions() declares `--config <file>` and one `--<kebab-key> <value>` per key;
// configFlagsFromOptions() turns commander's parsed options back into loadConfig() input.
import type { Command } from 'commander'
import { CONFIG_KEYS, DEFAULTS, envName, flagName, type ConfigKey } from './schema.js'

const HELP: Record<ConfigKey, string> = {
  dht_addr: 'libp2p TCP listen address <ip:port>',
  metrics_addr: 'HTTP address for /metrics, /healthz, /readyz, client API <ip:port>',
  dht_alpha: 'parallel queries per lookup',
  dht_beta: 'hedged extra queries per lookup',
  dht_timeout_ms: 'per-hop RPC timeout (ms)',
  ron_amnesia: 'on: write nothing to disk',
  policy_profile: 'default | strict',
  require_pq_on: 'on: serve and use only peers that completed PQ (ML-DSA-87) authentication',
  dht_bootstrap: 'bootstrap multiaddrs with /p2p/<peer id>, comma separated',
  dht_identity_file: 'private key file',
  dht_data_dir: 'directory for the routing-table cache',
  dht_log_level: 'trace | debug | info | warn | error | fatal | silent',
  dht_admin_token: 'admin capability token (prefer --dht-admin-token-file)',
  dht_admin_token_file: 'file holding the admin token',
  dht_drain_timeout_ms: 'bound on draining at shutdown (ms)',
  dht_link_shaper: 'on: user-space fault injection on kad frames (admin /admin/faults)',
  dht_region: 'this node\'s region label (carried in its PQ proof)',
  dht_admin_socket: 'also serve the HTTP API on this Unix socket (admin without a token)',
  dht_admission_delay_ms: 'admission control: refuse requests that would wait longer than this (ms)',
  dht_admission_inflight: 'admission control: refuse requests while this many are open',
  dht_penalty_refusals: 'refused requests in 10 s that cut a peer off (0: never; default: the profile\'s)',
  dht_penalty_ms: 'how long a penalized peer is cut off (ms; default: the profile\'s)',
}

const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

/** Declares --config and one option per configuration key on `cmd`. */
export function addConfigOptions(cmd: Command): Command {
  cmd.option('--config <file>', 'TOML configuration file (env RON_CONFIG)')
  for (const k of CONFIG_KEYS) {
    const d = DEFAULTS[k]
    const def = d === undefined ? '' : `; default ${Array.isArray(d) ? 'none' : typeof d === 'boolean' ? (d ? 'on' : 'off') : String(d)}`
    cmd.option(`${flagName(k)} <value>`, `${HELP[k]} (env ${envName(k)}${def})`)
  }
  return cmd
}

/** Splits commander's options into loadConfig's `file` and `flags` (keyed by file key). */
export function configFlagsFromOptions(opts: Readonly<Record<string, unknown>>): { file?: string; flags: Record<string, unknown> } {
  const flags: Record<string, unknown> = {}
  for (const k of CONFIG_KEYS) {
    const v = opts[camel(k)]
    if (v !== undefined) flags[k] = v
  }
  const file = typeof opts.config === 'string' ? opts.config : undefined
  return file === undefined ? { flags } : { file, flags }
}
