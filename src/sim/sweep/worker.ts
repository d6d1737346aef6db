// A sweep worker thread: runs the cells it is sent, one at a time, and answers each with its
// outcome (see src/common/worker-pool.ts for the protocol).
import '../../polyfill.js'
import { serveJobs } from '../../common/worker-pool.js'
import { runCell } from './cell.js'
import { SIM_ERROR_KINDS } from './pool-errors.js'

serveJobs(runCell, SIM_ERROR_KINDS)
