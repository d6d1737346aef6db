// `dht-sim config check <file>`: validate a node configuration file without starting anything.
// Exit 0 and print `ok` when it is valid; otherwise throw ConfigInvalidError, which main.ts
// prints as one line (`dht-sim: ConfigInvalid(key=<key>): <what is wrong>`) with exit code 2.
// The file is checked on its own: the environment and flags of this shell are not applied, so
// the verdict is the same wherever it runs.
import type { Command } from 'commander'
import { loadConfig, redactConfig } from '../../node/config/index.js'

export function registerConfig(program: Command): void {
  const config = program.command('config').description('node configuration tools')
  config
    .command('check')
    .description('validate a node TOML config file: prints "ok" (exit 0) or one error line (exit 2)')
    .argument('<file>', 'TOML configuration file')
    .option('--print', 'also print the resolved configuration as JSON (secrets redacted)')
    .action((file: string, opts: { print?: boolean }) => {
      const cfg = loadConfig({ file, env: {}, flags: {}, fileLabel: 'file' })
      if (opts.print === true) process.stdout.write(`${JSON.stringify(redactConfig(cfg), null, 2)}\n`)
      process.stdout.write('ok\n')
    })
}
