// `dht-sim serve [--config file] [flags]`: run the production node (src/node/serve.ts).
// Every configuration key is also a flag (`dht_alpha` -> `--dht-alpha`); flags override the
// environment, which overrides the file. Exit codes: 0 after a graceful drain, 2 for a bad
// configuration or a port in use (one line naming the key or the address).
import type { Command } from 'commander'
import { CONFIG_KEYS, flagName } from '../../node/config/schema.js'
import { serve } from '../../node/serve.js'
import { COMMIT, VERSION } from '../version.js'

const camel = (k: string): string => k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Run a DHT node on real sockets: libp2p Kademlia, /metrics, /healthz, /readyz, client API, admin')
    .option('--config <file>', 'TOML configuration file (or RON_CONFIG)')
  for (const k of CONFIG_KEYS) cmd.option(`${flagName(k)} <value>`, `config key ${k} (env ${k.toUpperCase()})`)
  cmd.action(async (options: Record<string, unknown>) => {
    const flags: Record<string, unknown> = {}
    for (const k of CONFIG_KEYS) {
      const v = options[camel(k)]
      if (v !== undefined) flags[k] = v
    }
    const code = await serve({
      ...(typeof options.config === 'string' ? { file: options.config } : {}),
      env: process.env,
      flags,
      version: VERSION,
      commit: COMMIT,
    })
    process.exitCode = code
    // Anything libp2p left behind must not keep a drained node alive.
    setTimeout(() => process.exit(code), 1_000).unref()
  })
}
