// Errors every part outside the engine shares. Bad input from a local user (a scenario, a config
// file, a flag, a report to compare) is refused with one line naming what is wrong; the CLI turns
// it into its documented exit code (src/cli/exit-codes.ts). The engine has errors of its own.

/** Bad input from a local user: scenario, config, flags, a report file. */
export class BadInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}
