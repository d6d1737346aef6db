// The dht-sim command line. Each command lives in its own module under commands/ and registers
// itself on the program; this file only wires them together and maps errors to exit codes.
import { Command, CommanderError } from 'commander'
import { COMMANDS } from './command-list.js'
import { EXIT_BAD_INPUT, exitCodeFor } from './exit-codes.js'
import { VERSION } from './version.js'

const program = new Command()
program
  .name('dht-sim')
  .description('Kademlia DHT: deterministic simulator with service-level gates, and the same engine as a real node')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError(false)
  // One prefix for every error line, commander's own (unknown option, missing argument) included.
  .configureOutput({ outputError: (text, write) => write(`dht-sim: ${text.replace(/^error: /, '')}`) })

// The command named on the line (the first word that is not an option; after `help`, the word
// that follows) is the only module loaded. Without one, every command is listed from the table
// of command-list.ts with no module loaded (`--version`, `--help`, a mistyped command name all stay fast).
const words = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const word = words[0] === 'help' ? words[1] : words[0]
const named = COMMANDS.find((c) => c.name === word)
if (named !== undefined) (await named.load())(program)
else for (const c of COMMANDS) program.command(c.args === '' ? c.name : `${c.name} ${c.args}`).description(c.description)

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
