// The dht-sim command line. Each command lives in its own module under commands/ and registers
// itself on the program; this file only wires them together and maps errors to exit codes.
import { Command, CommanderError } from 'commander'
import { registerRun } from './commands/run.js'
import { registerSchema } from './commands/schema.js'
import { registerServe } from './commands/serve.js'
import { registerConfig } from './commands/config.js'
import { registerCtl } from './commands/ctl.js'
import { registerGate } from './commands/gate.js'
import { registerCompare } from './commands/compare.js'
import { registerSweep } from './commands/sweep.js'
import { registerTestbed } from './commands/testbed.js'
import { registerCalibrate } from './commands/calibrate.js'
import { registerExplore } from './commands/explore.js'
import { EXIT_BAD_INPUT, exitCodeFor } from './exit-codes.js'
import { VERSION } from './version.js'

const program = new Command()
program
  .name('dht-sim')
  .description('Kademlia DHT: deterministic simulator with service-level gates, and the same engine as a real node')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError(false)

registerRun(program)
registerTestbed(program)
registerCalibrate(program)
registerSweep(program)
registerGate(program)
registerExplore(program)
registerCompare(program)
registerSchema(program)
registerServe(program)
registerConfig(program)
registerCtl(program)

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
