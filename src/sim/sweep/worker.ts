// A sweep worker thread: runs the cells it is sent, one at a time, and posts each outcome back.
// Errors are posted as {error, badInput} so the parent can rethrow them as the same kind.
import { parentPort } from 'node:worker_threads'
import '../../polyfill.js'
import { BadInputError } from '../../common/errors.js'
import { runCell, type CellJob } from './cell.js'

parentPort?.on('message', (job: CellJob) => {
  try {
    parentPort!.postMessage({ ok: runCell(job) })
  } catch (err) {
    const e = err as Error
    parentPort!.postMessage({ error: e.message ?? String(err), badInput: err instanceof BadInputError, index: job.cell.index })
  }
})
