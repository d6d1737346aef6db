// Structured logs of the node: one JSON object per line (pino) with `ts` (ISO time), `level`
// (as a word), `msg`, and where they apply `corr_id`, `peer_id`, `hops`. Nothing secret is
// ever passed to a log call (the admin token and the private key stay out of log fields).
import { pino } from 'pino'
import type { Logger, DestinationStream } from 'pino'

export type NodeLogger = Logger

export interface LoggerOptions {
  /** pino level name; "silent" in tests. */
  readonly level?: string
  /** Where lines go (default: stdout, synchronously so nothing is lost at exit). */
  readonly destination?: DestinationStream
}

export function createLogger(opts: LoggerOptions = {}): NodeLogger {
  const dest = opts.destination ?? pino.destination({ dest: 1, sync: true })
  return pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  )
}

/** A short random correlation id for one client request or lookup (hex, 8 chars). */
let corrCounter = 0
const corrPrefix = Math.floor(Math.random() * 0xffff)
  .toString(16)
  .padStart(4, '0')
export function newCorrId(): string {
  corrCounter = (corrCounter + 1) & 0xffff
  return corrPrefix + corrCounter.toString(16).padStart(4, '0')
}
