// The gate's simulator: load a scenario, run it at its own seed, render its files. Shared by the
// gate command and its worker threads, so both run a scenario the same way.
import { runScenario } from '../../sim/run-scenario.js'
import { loadScenario, type ResolvedScenario } from '../../sim/scenario.js'
import { renderReportFiles } from '../../report/files.js'
import type { GateSim } from '../../report/gate-run.js'
import { VERSION } from '../version.js'

export const simulatorGateSim: GateSim<ResolvedScenario> = {
  load: (path) => loadScenario(path),
  run: (scenario, path) => runScenario(scenario, { scenarioPath: path, toolVersion: VERSION }),
  files: (report) => renderReportFiles(report),
}
