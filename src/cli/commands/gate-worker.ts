// A worker thread of `dht-sim gate --jobs N`: runs the gate scenarios it is sent, one at a time,
// exactly as the gate runs them on its own thread (simulatorGateSim, the scenario's own seed), and
// answers each with its report or the invariant it broke (see src/common/worker-pool.ts).
import { serveJobs } from '../../common/worker-pool.js'
import { runOneScenario } from '../../report/gate-run.js'
import { SIM_ERROR_KINDS } from '../../sim/sweep/pool-errors.js'
import { simulatorGateSim } from './gate-sim.js'

export interface GateJob {
  readonly path: string
}

serveJobs((job: GateJob) => runOneScenario(simulatorGateSim, simulatorGateSim.load(job.path), job.path), SIM_ERROR_KINDS)
