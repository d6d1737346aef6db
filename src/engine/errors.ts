// Typed errors. Remote bytes never throw (decoders return results); these are for local misuse
// and broken invariants. exitCode is the documented CLI exit code for the error's class.

export class DhtError extends Error {
  readonly exitCode: number = 1
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** Bad input from a local user: scenario, config, flags. CLI exit code 2. */
export class BadInputError extends DhtError {
  override readonly exitCode = 2
}

/** A broken invariant: a bug. The simulator stops and prints the replay command. Exit code 3. */
export class InvariantError extends DhtError {
  override readonly exitCode = 3
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message)
}
