// Ctrl-C and SIGTERM during a long command (`run`, `sweep`): the command stops its work, puts the
// terminal back as it found it (a progress bar hides the cursor and turns line wrap off), removes
// what it had only begun, and exits 130 with the one line "dht-sim: interrupted". Reports are
// written only after the work is done, each file as temp + rename, so an interrupted command never
// leaves half a report.

/** The command was interrupted by a signal; the CLI maps it to exit 130. */
export class InterruptedError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super('interrupted')
    this.name = new.target.name
  }
}

/** Shows the cursor and turns line wrap back on, when the stream is a terminal. */
export function restoreTerminal(stream: NodeJS.WriteStream = process.stderr): void {
  if (stream.isTTY === true) stream.write('\x1b[?25h\x1b[?7h')
}

/**
 * Calls `handler` once on the first SIGINT or SIGTERM (further signals while it runs are
 * swallowed, so a second Ctrl-C cannot cut the clean-up short). Returns the function that
 * removes the handlers again.
 */
export function onInterrupt(handler: (signal: NodeJS.Signals) => void): () => void {
  let fired = false
  const h = (signal: NodeJS.Signals): void => {
    if (fired) return
    fired = true
    handler(signal)
  }
  process.on('SIGINT', h)
  process.on('SIGTERM', h)
  return () => {
    process.off('SIGINT', h)
    process.off('SIGTERM', h)
  }
}
