// The simulator's public surface: what the CLI commands (run, gate, sweep) and reports use.
export { runScenario, replayCommand, type RunOptions } from './run-scenario.js'
export { loadScenario, parseScenarioText, resolveScenario, scenarioJsonSchema, scenarioSchema, type ResolvedScenario } from './scenario.js'
export { Simulation, engineConfigFor, type EngineFactory, type EngineLike } from './simulation.js'
export { renderReportFiles, writeReportFiles, renderJson, renderMarkdown, gateRows, textTable } from './report-files.js'
export { METRIC_NAMES, type MetricName } from './metrics.js'
export { parseGate, checkGates, type GateSpec } from './gates.js'
export type { PacketRule, Packet, Verdict, ServiceModel } from './network.js'
export * from './report-types.js'
