// Documented exit codes of every dht-sim command (README "Exit codes"), and the one mapping from
// an error to its code: errors outside the CLI carry no exit codes of their own.
import { BadInputError } from '../common/errors.js'
import { EngineMisuseError } from '../engine/errors.js'
import { InterruptedError } from './interrupt.js'

/** The exit code of a command that failed with `err`: bad input is 2, a bug 3. */
export function exitCodeFor(err: unknown): number {
  // The engine refuses a value the CLI let through (e.g. a key of the wrong length): still the user's input.
  if (err instanceof BadInputError || err instanceof EngineMisuseError) return EXIT_BAD_INPUT
  if (err instanceof InterruptedError) return EXIT_INTERRUPTED
  // A command's own error may name its code (a node that cannot be reached, a refused token).
  const own = (err as { exitCode?: unknown } | null | undefined)?.exitCode
  if (typeof own === 'number' && Number.isInteger(own) && own > 0 && own < 126) return own
  return EXIT_INTERNAL
}

export const EXIT_OK = 0
/** A gate failed (run, gate) or a regression beyond tolerance (gate). */
export const EXIT_GATE_FAILED = 1
/** Bad input: unreadable file, YAML/TOML error, unknown key, wrong type, out-of-range value, bad flag, port in use. */
export const EXIT_BAD_INPUT = 2
/** An internal invariant broke: a bug; the message carries the seed and the replay command. */
export const EXIT_INTERNAL = 3
/** Interrupted (SIGINT/SIGTERM): `run` and `sweep` write nothing; `testbed` writes what it measured, marked partial. */
export const EXIT_INTERRUPTED = 130
/** `ctl`: the node could not be reached (connection refused, no answer in time). */
export const EXIT_UNREACHABLE = 4
/** `ctl`: the node refused the admin token (401), or none was given. */
export const EXIT_UNAUTHORIZED = 5
/** `ctl`: the node answered but refused or could not do it (not ready, no such endpoint, 5xx). */
export const EXIT_NODE_REFUSED = 6
/** `calibrate`: the testbed was starved of CPU (its probe's verdict): the pairs are reported, not judged. */
export const EXIT_STARVED = 7
