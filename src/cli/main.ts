// The dht-sim command line. Each command lives in its own module under commands/ and registers
// itself on the program; this file only wires them together and maps errors to exit codes.
import { Command, CommanderError } from 'commander'
import { EXIT_BAD_INPUT, exitCodeFor } from './exit-codes.js'
import { VERSION } from './version.js'

type Register = (program: Command) => void

// Each command's module, loaded only when that command runs: `serve` and `ctl` need neither the
// simulator nor the reports, and `ctl`, run once per runbook step, needs no libp2p at all.
// Listed in the order `--help` shows them.
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['run', async () => (await import('./commands/run.js')).registerRun],
  ['testbed', async () => (await import('./commands/testbed.js')).registerTestbed],
  ['calibrate', async () => (await import('./commands/calibrate.js')).registerCalibrate],
  ['sweep', async () => (await import('./commands/sweep.js')).registerSweep],
  ['gate', async () => (await import('./commands/gate.js')).registerGate],
  ['explore', async () => (await import('./commands/explore.js')).registerExplore],
  ['compare', async () => (await import('./commands/compare.js')).registerCompare],
  ['schema', async () => (await import('./commands/schema.js')).registerSchema],
  ['serve', async () => (await import('./commands/serve.js')).registerServe],
  ['config', async () => (await import('./commands/config.js')).registerConfig],
  ['ctl', async () => (await import('./commands/ctl.js')).registerCtl],
]

const program = new Command()
program
  .name('dht-sim')
  .description('Kademlia DHT: deterministic simulator with service-level gates, and the same engine as a real node')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError(false)

// The command named on the line (the first word that is not an option); without one, or with a
// word that is no command, all of them, so help and commander's own errors read as before.
const word = process.argv.slice(2).find((a) => !a.startsWith('-'))
const named = COMMANDS.find(([name]) => name === word)
for (const [, load] of named !== undefined ? [named] : COMMANDS) (await load())(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage errors (unknown option, missing argument) are bad input.
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_BAD_INPUT
  } else {
    const e = err as { message?: string }
    process.stderr.write(`dht-sim: ${e.message ?? String(err)}\n`)
    process.exitCode = exitCodeFor(err)
  }
}
