// The simulation of `dht-sim run`, in a worker thread: the simulator runs synchronously for
// minutes, and a signal handler on a thread that never yields would never run. The main thread
// keeps its event loop free for the progress bar and for Ctrl-C (it terminates this thread).
// Posts {progress} at most every 100 ms, then {report} or {error}.
import { parentPort, workerData } from 'node:worker_threads'
import { BadInputError } from '../../common/errors.js'
import { InvariantError } from '../../engine/errors.js'
import { loadScenario } from '../../sim/scenario.js'
import { runScenario } from '../../sim/run-scenario.js'

export interface RunJob {
  readonly file: string
  readonly seed?: string
  readonly toolVersion: string
  readonly progress: boolean
}

export type RunReply =
  | { readonly progress: number }
  | { readonly report: unknown }
  | { readonly error: string; readonly kind: 'bad-input' | 'invariant' | 'other' }

const job = workerData as RunJob
const post = (m: RunReply): void => parentPort!.postMessage(m)
let last = -Infinity
try {
  const report = runScenario(loadScenario(job.file), {
    ...(job.seed !== undefined ? { seed: job.seed } : {}),
    scenarioPath: job.file,
    toolVersion: job.toolVersion,
    ...(job.progress
      ? {
          onProgress: (v: number): void => {
            const now = performance.now()
            if (now - last < 100) return
            last = now
            post({ progress: v })
          },
        }
      : {}),
  })
  post({ report })
} catch (err) {
  const e = err as Error
  post({ error: e.message ?? String(err), kind: err instanceof BadInputError ? 'bad-input' : err instanceof InvariantError ? 'invariant' : 'other' })
}
