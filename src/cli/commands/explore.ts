// `dht-sim explore <scenario.yaml>`: runs N seeds of the scenario, each with a random fault
// schedule drawn within bounds, checking safety while it runs and liveness after the last fault
// heals. Writes explore.json and explore.md (and, per failing seed, its shrunk schedule as a
// scenario file) into --out; prints each failing seed's replay command and shrunk schedule.
// Exit 0 when every seed passed and every drawn fault kind reached its state, 1 otherwise.
import { join } from 'node:path'
import type { Command } from 'commander'
import { BadInputError } from '../../common/errors.js'
import { loadScenario } from '../../sim/scenario.js'
import { DEFAULT_BOUNDS } from '../../sim/explore/schedule.js'
import { DEFAULT_INVARIANT_EVERY, exploreMany } from '../../sim/explore/explore.js'
import { canonicalJson } from '../../report/canonical-json.js'
import { renderExploreMarkdown, renderExploreText, shrunkScenarioYaml } from '../../report/explore.js'
import { writeReportFiles } from '../../report/files.js'
import { EXIT_GATE_FAILED, EXIT_OK } from '../exit-codes.js'

export interface ExploreFlags {
  readonly seeds: string
  readonly from: string
  readonly out?: string
  readonly peers?: string
  readonly invariantEvery?: string
  readonly maxFaults?: string
  readonly draw: boolean
  readonly shrink: boolean
  readonly quiet?: boolean
}

function intFlag(name: string, v: string, min: number, max: number): number {
  const n = Number(v)
  if (!/^\d+$/.test(v) || n < min || n > max) throw new BadInputError(`${name}: must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`)
  return n
}

function q(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

export function exploreCommand(file: string, flags: ExploreFlags): number {
  const seeds = intFlag('--seeds', flags.seeds, 1, 1_000_000)
  const from = intFlag('--from', flags.from, 0, Number.MAX_SAFE_INTEGER - 1_000_000)
  const peers = flags.peers === undefined ? undefined : intFlag('--peers', flags.peers, 2, 1_000_000)
  const every = flags.invariantEvery === undefined ? DEFAULT_INVARIANT_EVERY : intFlag('--invariant-every', flags.invariantEvery, 0, 1_000_000_000)
  const maxFaults = flags.maxFaults === undefined ? DEFAULT_BOUNDS.maxFaults : intFlag('--max-faults', flags.maxFaults, 1, 64)
  const base = loadScenario(file)
  if (peers !== undefined && peers <= base.network.bootstraps) throw new BadInputError(`--peers: must be > network.bootstraps (${base.network.bootstraps}) (got ${peers})`)
  const outDir = flags.out ?? join('reports', 'explore', base.name)
  const extra = [
    ...(peers !== undefined ? ['--peers', String(peers)] : []),
    ...(flags.invariantEvery !== undefined ? ['--invariant-every', String(every)] : []),
    ...(flags.maxFaults !== undefined ? ['--max-faults', String(maxFaults)] : []),
    ...(flags.draw ? [] : ['--no-draw']),
  ]
  const replay = (seed: string): string => ['dht-sim explore', q(file), '--from', seed, '--seeds', '1', ...extra].join(' ')
  const rep = exploreMany(base, {
    from,
    seeds,
    bounds: { ...DEFAULT_BOUNDS, maxFaults },
    invariantEvery: every,
    ...(peers !== undefined ? { peers } : {}),
    draw: flags.draw,
    shrink: flags.shrink,
    replay,
    onSeed: flags.quiet ? undefined : (r, done, total) => process.stderr.write(`explore: seed ${r.seed} ${r.pass ? 'ok' : 'FAILS'} (${done}/${total})\n`),
  })
  const files = [
    { name: 'explore.json', contents: `${canonicalJson(rep, 2)}\n` },
    { name: 'explore.md', contents: renderExploreMarkdown(rep) },
    ...rep.failed.map((f) => ({ name: `seed-${f.seed}-shrunk.yaml`, contents: shrunkScenarioYaml(base, f.shrunk, peers) })),
  ]
  writeReportFiles(outDir, files)
  let text = renderExploreText(rep)
  for (const f of rep.failed) text += `seed ${f.seed}: shrunk schedule replays with: dht-sim explore ${q(join(outDir, `seed-${f.seed}-shrunk.yaml`))} --from ${f.seed} --seeds 1 --no-draw\n`
  if (!flags.quiet || !rep.pass) process.stdout.write(`${text}report: ${join(outDir, 'explore.json')}, ${join(outDir, 'explore.md')}\n`)
  return rep.pass ? EXIT_OK : EXIT_GATE_FAILED
}

export function registerExplore(program: Command): void {
  program
    .command('explore')
    .description('run many seeds of a scenario with random fault schedules; check safety while it runs and liveness after the faults heal')
    .argument('<scenario>', 'scenario YAML file')
    .option('--seeds <n>', 'how many seeds', '10')
    .option('--from <s>', 'first seed (seeds from, from+1, ...)', '1')
    .option('--out <dir>', 'output directory (default reports/explore/<scenario name>/)')
    .option('--peers <n>', 'replace network.peers and scale the workload rates with it (the same load per peer): more seeds per minute')
    .option('--invariant-every <n>', `check engine invariants and queue bounds every n engine steps; 0: off (default ${DEFAULT_INVARIANT_EVERY})`)
    .option('--max-faults <n>', `at most this many drawn faults per seed (default ${DEFAULT_BOUNDS.maxFaults})`)
    .option('--no-draw', "run the scenario's own faults only (replays a shrunk schedule)")
    .option('--no-shrink', 'do not shrink failing seeds')
    .option('--quiet', 'no per-seed progress; the summary only when something failed')
    .action((file: string, flags: ExploreFlags) => {
      process.exitCode = exploreCommand(file, flags)
    })
}
