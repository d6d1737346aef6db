// A sweep worker thread: runs the cells it is sent, one at a time, and posts each outcome back.
// Errors are posted as {error, exitCode} so the parent can rethrow them with the right code.
import { parentPort } from 'node:worker_threads'
import '../../polyfill.js'
import { runCell, type CellJob } from './cell.js'

parentPort?.on('message', (job: CellJob) => {
  try {
    parentPort!.postMessage({ ok: runCell(job) })
  } catch (err) {
    const e = err as Error & { exitCode?: number }
    parentPort!.postMessage({ error: e.message ?? String(err), exitCode: e.exitCode ?? 3, index: job.cell.index })
  }
})
