// The engine's own errors. Remote bytes never throw (decoders return results); these are for a
// driver that misuses the engine and for broken invariants. What a driver makes of them (an exit
// code, a log line) is the driver's business.

export class EngineError extends Error {
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** The driver called the engine with something it must never pass (a self id of the wrong length). */
export class EngineMisuseError extends EngineError {}

/** A broken invariant: a bug. The simulator stops and prints the replay command. */
export class InvariantError extends EngineError {}
