// The commands of the dht-sim command line: name, usage, description, and how to load the module
// that registers it. main.ts loads only the module of the command named on the line.
import type { Command } from 'commander'

export type Register = (program: Command) => void

export interface CommandEntry {
  readonly name: string
  /** Its arguments in commander's syntax, as the command itself declares them ('' for none). */
  readonly args: string
  /** The command's own description (test/integration/cli-commands.test.ts keeps the two equal). */
  readonly description: string
  readonly load: () => Promise<Register>
}

// Each command's module, loaded only when that command runs: `serve`, `testbed` and `calibrate`
// load libp2p, `run` the simulator; `--version` loads none and `--help` lists them from this
// table without loading any. Listed in the order `--help` shows them.
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', args: '<scenario>', description: 'run a scenario on the simulator, check its gates, write report.json, report.md and report.html', load: async () => (await import('./commands/run.js')).registerRun },
  { name: 'testbed', args: '<scenario>', description: 'run a scenario on N real nodes on 127.0.0.1 (real libp2p, user-space link shaper), write the same report as `run`', load: async () => (await import('./commands/testbed.js')).registerTestbed },
  { name: 'calibrate', args: '<scenario>', description: 'run the simulator and the testbed on the same scenario, seed and N; compare metric by metric against tolerances', load: async () => (await import('./commands/calibrate.js')).registerCalibrate },
  { name: 'sweep', args: '<scenario>', description: 'run a scenario over a grid of parameters and tabulate the gate metrics per cell', load: async () => (await import('./commands/sweep.js')).registerSweep },
  { name: 'gate', args: '[scenarios...]', description: 'CI gate: run the gate scenarios, check gates and perf regressions, write summary.md, junit.xml and reports', load: async () => (await import('./commands/gate.js')).registerGate },
  { name: 'explore', args: '<scenario>', description: 'run many seeds of a scenario with random fault schedules; check safety while it runs and liveness after the faults heal', load: async () => (await import('./commands/explore.js')).registerExplore },
  { name: 'compare', args: '<a> <b>', description: 'print metric deltas and gate status changes between two report.json files', load: async () => (await import('./commands/compare.js')).registerCompare },
  { name: 'schema', args: '<kind>', description: 'print the JSON Schema of a file format (scenario)', load: async () => (await import('./commands/schema.js')).registerSchema },
  { name: 'serve', args: '', description: 'Run a DHT node on real sockets: libp2p Kademlia, /metrics, /healthz, /readyz, client API, admin', load: async () => (await import('./commands/serve.js')).registerServe },
  { name: 'config', args: '', description: 'node configuration tools', load: async () => (await import('./commands/config.js')).registerConfig },
  { name: 'ctl', args: '', description: 'control a running node over its admin API (see RUNBOOK.md)', load: async () => (await import('./commands/ctl.js')).registerCtl },
]
