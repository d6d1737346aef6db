// `dht-sim config check [file]`: validate a node configuration without starting anything, as
// `dht-sim serve` would load it: the file (argument, else RON_CONFIG) and then the environment
// (DHT_ALPHA=abc fails here as it would fail serve). --file-only checks the file on its own.
// Exit 0 and print `ok` when it is valid; otherwise throw ConfigInvalidError, which main.ts
// prints as one line (`dht-sim: ConfigInvalid(key=<key>): <what is wrong>`) with exit code 2.
import type { Command } from 'commander'
import { BadInputError } from '../../common/errors.js'
import { configAsFileKeys, loadConfig } from '../../node/config/index.js'

export function registerConfig(program: Command): void {
  const config = program.command('config').description('node configuration tools')
  config
    .command('check')
    .description('validate a node config as serve loads it (file, then environment): prints "ok" (exit 0) or one error line (exit 2)')
    .argument('[file]', 'TOML configuration file (default: $RON_CONFIG)')
    .option('--file-only', 'check the file alone, without this shell\'s environment')
    .option('--print', 'also print the resolved configuration as JSON (file keys, secrets redacted)')
    .action((fileArg: string | undefined, opts: { print?: boolean; fileOnly?: boolean }) => {
      const file = fileArg ?? process.env.RON_CONFIG
      if (file === undefined || file === '') throw new BadInputError('config check: give a file or set RON_CONFIG')
      const env = opts.fileOnly === true ? {} : { ...process.env, RON_CONFIG: undefined }
      const cfg = loadConfig({ file, env, flags: {}, fileLabel: fileArg !== undefined ? 'file' : 'RON_CONFIG' })
      if (opts.print === true) process.stdout.write(`${JSON.stringify(configAsFileKeys(cfg), null, 2)}\n`)
      process.stdout.write('ok\n')
    })
}
