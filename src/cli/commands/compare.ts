// `dht-sim compare a/report.json b/report.json`: the metric deltas between two runs (absolute and
// relative, better/worse by the perf gate's own notion of worse) and every gate whose status
// changed. Exit 0 when both files load; 2 with one line naming the file and field when one does
// not. --json prints the comparison as JSON instead of tables.
import type { Command } from 'commander'
import { compareReports, renderComparison } from '../../report/compare.js'
import { loadReport } from '../../report/load-report.js'
import { EXIT_OK } from '../exit-codes.js'

export interface CompareFlags {
  readonly json?: boolean
}

export function compareCommand(a: string, b: string, flags: CompareFlags): { exitCode: number; output: string } {
  const ra = loadReport(a)
  const rb = loadReport(b)
  const c = compareReports(ra, rb)
  const output = flags.json ? `${JSON.stringify(c, null, 2)}\n` : renderComparison(c, `A ${a}`, `B ${b}`)
  return { exitCode: EXIT_OK, output }
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('print metric deltas and gate status changes between two report.json files')
    .argument('<a>', 'the earlier report.json')
    .argument('<b>', 'the later report.json')
    .option('--json', 'machine-readable output')
    .action((a: string, b: string, flags: CompareFlags) => {
      const r = compareCommand(a, b, flags)
      process.stdout.write(r.output)
      process.exitCode = r.exitCode
    })
}
