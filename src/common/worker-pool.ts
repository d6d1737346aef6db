// A small pool of worker threads for jobs that each take seconds to minutes (sweep cells, gate
// scenarios). Theory of operation: `size` workers start; each is sent the next job as soon as it
// answers the previous one, so a slow job never holds up the others. Every answer is handed to
// `finished` in completion order, and what `finished` returns is kept at the job's index: the
// caller gets its results in job order, whatever the number of workers or the order they finish
// in. A job's error comes back as the same kind of error (bad input here; the caller's `errors`
// add kinds of their own, e.g. a broken engine invariant, which this layer may not import); `failed`
// decides whether it is kept as a result (the gate records a crashed scenario and goes on) or
// stops the pool (the default). An abort signal terminates every worker.
//
// The worker side is `serveJobs(handler)`: the handler runs one job synchronously and returns
// its result, which must survive structured cloning (plain data).
import { parentPort, Worker, type ResourceLimits } from 'node:worker_threads'
import { BadInputError } from './errors.js'

/** What the pool sends a worker. */
export interface PoolRequest<J> {
  readonly index: number
  readonly job: J
}

/** What a worker answers. */
export type PoolReply<R> =
  | { readonly index: number; readonly ok: R }
  | { readonly index: number; readonly error: string; readonly kind: string }

/** How an error crosses the thread boundary: its kind as a word, and back. */
export interface ErrorKinds {
  kindOf(err: unknown): string
  errorOf(kind: string, message: string): Error
}

/** Bad input stays bad input; anything else comes back as a plain Error. */
export const BASIC_ERROR_KINDS: ErrorKinds = {
  kindOf: (err) => (err instanceof BadInputError ? 'bad-input' : 'other'),
  errorOf: (kind, message) => (kind === 'bad-input' ? new BadInputError(message) : new Error(message)),
}

export interface PoolOptions<J, R, F> {
  /** The compiled worker module; it calls serveJobs. */
  readonly workerUrl: URL
  readonly jobs: readonly J[]
  /** Workers at most (never more than there are jobs). */
  readonly size: number
  /** Receives each job's result in completion order; its return value is kept at the job's index. Throwing stops the pool. */
  readonly finished: (index: number, result: R) => F
  /** A job's error: return a value to keep in its place, or throw to stop the pool (default: rethrow). */
  readonly failed?: (index: number, err: Error) => F
  /** Called after each job (progress). */
  readonly onDone?: (done: number, total: number) => void
  readonly abort?: AbortSignal
  /** The error the pool rejects with when aborted. */
  readonly abortError?: () => Error
  /** Must match the worker's serveJobs (default BASIC_ERROR_KINDS). */
  readonly errors?: ErrorKinds
  /** A worker thread that dies (not a job's error). */
  readonly crashError?: (message: string) => Error
  /** V8 limits for each worker (the simulations' young generation: src/sim/thread-limits.ts); V8's defaults when absent. */
  readonly resourceLimits?: Readonly<ResourceLimits>
}

export function runPool<J, R, F>(o: PoolOptions<J, R, F>): Promise<F[]> {
  const abortError = o.abortError ?? ((): Error => new Error('aborted'))
  const errors = o.errors ?? BASIC_ERROR_KINDS
  const crashError = o.crashError ?? ((m: string): Error => new Error(m))
  return new Promise((resolve, reject) => {
    if (o.abort?.aborted === true) {
      reject(abortError())
      return
    }
    const total = o.jobs.length
    const results = new Array<F | undefined>(total).fill(undefined)
    if (total === 0) {
      resolve([])
      return
    }
    const workers: Worker[] = []
    /** Workers let go because no job was left (their exit is expected). */
    const retired = new Set<Worker>()
    let next = 0
    let done = 0
    let stopped = false
    const stop = (err: Error): void => {
      if (stopped) return
      stopped = true
      Promise.all(workers.map((w) => w.terminate())).then(
        () => reject(err),
        () => reject(err),
      )
    }
    o.abort?.addEventListener('abort', () => stop(abortError()), { once: true })
    const feed = (w: Worker): void => {
      if (next < total) {
        const index = next++
        w.postMessage({ index, job: o.jobs[index] as J } satisfies PoolRequest<J>)
      } else {
        retired.add(w)
        void w.terminate()
      }
    }
    const keep = (index: number, value: () => F): boolean => {
      try {
        results[index] = value()
        return true
      } catch (err) {
        stop(err as Error)
        return false
      }
    }
    const size = Math.max(1, Math.min(o.size, total))
    for (let i = 0; i < size; i++) {
      const w = new Worker(o.workerUrl, o.resourceLimits === undefined ? undefined : { resourceLimits: { ...o.resourceLimits } })
      workers.push(w)
      w.on('message', (m: PoolReply<R>) => {
        if (stopped) return
        const kept =
          'ok' in m
            ? keep(m.index, () => o.finished(m.index, m.ok))
            : keep(m.index, () => {
                const err = errors.errorOf(m.kind, m.error)
                if (o.failed === undefined) throw err
                return o.failed(m.index, err)
              })
        if (!kept) return
        done++
        o.onDone?.(done, total)
        if (done === total) {
          stopped = true
          for (const x of workers) {
            retired.add(x)
            void x.terminate()
          }
          resolve(results as F[])
        } else feed(w)
      })
      w.on('error', (err) => stop(crashError(`worker crashed: ${err.message}`)))
      // A worker that ends without an error event (process.exit in a job) would otherwise leave its job unanswered forever.
      w.on('exit', (code) => {
        if (!retired.has(w)) stop(crashError(`worker exited (code ${code}) before answering`))
      })
      feed(w)
    }
  })
}

/** The worker side: runs each job it is sent with `handler` and answers with its result or error. */
export function serveJobs<J, R>(handler: (job: J) => R, errors: ErrorKinds = BASIC_ERROR_KINDS): void {
  const port = parentPort
  if (port === null) throw new Error('serveJobs: not in a worker thread')
  port.on('message', (m: PoolRequest<J>) => {
    let reply: PoolReply<R>
    try {
      reply = { index: m.index, ok: handler(m.job) }
    } catch (err) {
      const e = err as Error
      reply = { index: m.index, error: e.message ?? String(err), kind: errors.kindOf(err) }
    }
    port.postMessage(reply)
  })
}
