// The distributed-sweep examples of deploy/ run real commands: the Kubernetes Indexed Job, its
// merge Job and volume validate against the Kubernetes schemas; the shares they run (n pods, n
// matrix jobs) agree with the n in --shard; every flag they pass is a flag of `dht-sim sweep` or
// `dht-sim sweep merge` (read from the command itself, not from a list kept here); each grid is
// valid for the scenario it names; and the merge reads where the shares were written.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, type Option } from 'commander'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments, parse as parseYaml } from 'yaml'
import { Job } from 'kubernetes-models/batch/v1'
import { PersistentVolumeClaim } from 'kubernetes-models/v1'
import { registerSweep } from '../../src/cli/commands/sweep.js'
import { parseShard } from '../../src/report/sweep-shard.js'
import { cellScenario, readRaw } from '../../src/sim/sweep/cell.js'
import { expandGrid, parseParams } from '../../src/sim/sweep/grid.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const deploy = join(ROOT, 'deploy')

/** The `sweep` command and its `merge` subcommand, as the CLI registers them. */
function sweepCommands(): { sweep: Command; merge: Command } {
  const program = new Command()
  registerSweep(program)
  const sweep = program.commands.find((c) => c.name() === 'sweep')!
  const merge = sweep.commands.find((c) => c.name() === 'merge')!
  return { sweep, merge }
}

interface Invocation {
  readonly positional: string[]
  readonly flags: Map<string, string[]>
}

/**
 * Checks an argument list (after the program name) against the real command definitions: the
 * command word, every --flag known to that command, a value after each flag that takes one.
 * Returns what it parsed; throws naming the first thing that is not a real flag.
 */
export function checkArgs(args: readonly string[]): { command: 'sweep' | 'merge'; inv: Invocation } {
  const { sweep, merge } = sweepCommands()
  if (args[0] !== 'sweep') throw new Error(`not a sweep command: ${args.join(' ')}`)
  const isMerge = args[1] === 'merge'
  const cmd = isMerge ? merge : sweep
  const rest = args.slice(isMerge ? 2 : 1)
  const known = new Map<string, Option>(cmd.options.map((o) => [o.long!, o]))
  const inv: Invocation = { positional: [], flags: new Map() }
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!
    if (!a.startsWith('--')) {
      inv.positional.push(a)
      continue
    }
    const o = known.get(a)
    if (o === undefined) throw new Error(`${isMerge ? 'sweep merge' : 'sweep'}: ${a} is not a flag of the command`)
    const values = inv.flags.get(a) ?? []
    if (o.required || o.optional) {
      const v = rest[++i]
      if (v === undefined || v.startsWith('--')) throw new Error(`${a}: needs a value`)
      values.push(v)
    }
    inv.flags.set(a, values)
  }
  for (const o of cmd.options) if (o.mandatory && !inv.flags.has(o.long!)) throw new Error(`${o.long} is required`)
  return { command: isMerge ? 'merge' : 'sweep', inv }
}

/** Every cell of the grid resolves against the scenario (what the sweep checks before running). */
function checkGrid(scenarioFile: string, params: readonly string[]): number {
  const axes = parseParams(params)
  const raw = readRaw(scenarioFile)
  const cells = expandGrid(axes, 'check')
  for (const c of cells) cellScenario(raw, scenarioFile, c)
  return cells.length
}

type Doc = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function k8s(name: string): Doc[] {
  return parseAllDocuments(readFileSync(join(deploy, 'kubernetes/sweep', name), 'utf8')).map((d) => {
    expect(d.errors).toEqual([])
    return d.toJS() as Doc
  })
}

describe('the argument checker', () => {
  it('can fail: a misspelt flag, a flag of the other command, a missing value', () => {
    expect(() => checkArgs(['sweep', 's.yaml', '--shards', '0/2'])).toThrow(/--shards is not a flag/)
    expect(() => checkArgs(['sweep', 'merge', 'dir', '--out', 'x', '--param', 'a=1'])).toThrow(/sweep merge: --param is not a flag/)
    expect(() => checkArgs(['sweep', 'merge', 'dir'])).toThrow(/--out is required/)
    expect(() => checkArgs(['sweep', 's.yaml', '--shard'])).toThrow(/--shard: needs a value/)
    expect(checkArgs(['sweep', 's.yaml', '--param', 'a=1', '--quiet']).inv.flags.get('--param')).toEqual(['a=1'])
  })
})

describe('Kubernetes: a sweep as an Indexed Job, then a merge Job', () => {
  const [job] = k8s('sweep-job.yaml') as [Doc]
  const [merge] = k8s('merge-job.yaml') as [Doc]
  const [pvc] = k8s('pvc.yaml') as [Doc]

  it('validates against the Kubernetes schemas', () => {
    expect(() => new Job(job as never).validate()).not.toThrow()
    expect(() => new Job(merge as never).validate()).not.toThrow()
    expect(() => new PersistentVolumeClaim(pvc as never).validate()).not.toThrow()
    expect(() => new Job({ ...job, spec: { ...job.spec, completions: 'four' } } as never).validate()).toThrow(/completions/)
  })

  it('runs share k of n in pod k: n = completions = parallelism, k from the completion index', () => {
    expect(job.spec.completionMode).toBe('Indexed')
    const c = job.spec.template.spec.containers[0]
    const env = new Map<string, Doc>(c.env.map((e: Doc) => [e.name, e]))
    const n = Number(env.get('SHARD_COUNT')!.value)
    expect(job.spec.completions).toBe(n)
    expect(job.spec.parallelism).toBe(n)
    expect(env.get('SHARD_INDEX')!.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']")
    const { command, inv } = checkArgs(c.args)
    expect(command).toBe('sweep')
    expect(inv.flags.get('--shard')).toEqual(['$(SHARD_INDEX)/$(SHARD_COUNT)'])
    for (let k = 0; k < n; k++) expect(parseShard(`${k}/${n}`)).toEqual({ index: k, count: n })
    // The scenario comes from the ConfigMap made from scenarios/eclipse.yaml (see the manifest's steps).
    expect(inv.positional).toEqual(['/etc/dht-sim/sweep/scenario.yaml'])
    expect(c.volumeMounts.find((m: Doc) => m.name === 'scenario').mountPath).toBe('/etc/dht-sim/sweep')
    expect(checkGrid(join(ROOT, 'scenarios/eclipse.yaml'), inv.flags.get('--param')!)).toBeGreaterThanOrEqual(n)
  })

  it('the merge Job reads the shares from the same volume and path', () => {
    const c = job.spec.template.spec.containers[0]
    const m = merge.spec.template.spec.containers[0]
    const shareDir = checkArgs(c.args).inv.flags.get('--out')![0]!
    const { command, inv } = checkArgs(m.args)
    expect(command).toBe('merge')
    expect(inv.positional).toEqual([shareDir])
    expect(inv.flags.get('--out')![0]).not.toBe(shareDir)
    const claim = (d: Doc): string => d.spec.template.spec.volumes.find((v: Doc) => v.persistentVolumeClaim !== undefined).persistentVolumeClaim.claimName
    expect(claim(job)).toBe(pvc.metadata.name)
    expect(claim(merge)).toBe(pvc.metadata.name)
    expect(pvc.spec.accessModes).toContain('ReadWriteMany')
  })
})

describe('GitHub Actions: a sweep as a matrix, then a merge job', () => {
  const wf = parseYaml(readFileSync(join(deploy, 'ci/github-sweep.yml'), 'utf8')) as Doc
  /** The dht-sim command lines of a job, its ${{ }} expressions replaced first (then split on blanks). */
  const runs = (job: Doc, vars: Record<string, string | number> = {}): string[][] =>
    (job.steps as Doc[])
      .filter((s) => typeof s.run === 'string' && s.run.includes('bin/dht-sim.js'))
      .map((s) => {
        const line = (s.run as string).replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_m, v: string) => {
          if (!(v in vars)) throw new Error(`unexpected expression ${v} in ${String(s.run)}`)
          return String(vars[v])
        })
        return line.trim().split(/\s+/).slice(2) // drop "node bin/dht-sim.js"
      })

  it('runs share i of n in matrix job i, n being the number of matrix jobs', () => {
    const n = Number(wf.env.SHARDS)
    expect(wf.jobs.shard.strategy.matrix.index).toEqual(Array.from({ length: n }, (_, i) => i))
    for (let i = 0; i < n; i++) {
      const [line] = runs(wf.jobs.shard, { 'matrix.index': i, 'env.SHARDS': wf.env.SHARDS as number }) as [string[]]
      expect(parseShard(checkArgs(line).inv.flags.get('--shard')![0]!)).toEqual({ index: i, count: n })
    }
    const [args] = runs(wf.jobs.shard, { 'matrix.index': 0, 'env.SHARDS': wf.env.SHARDS as number }) as [string[]]
    const { command, inv } = checkArgs(args)
    expect(command).toBe('sweep')
    expect(inv.positional).toEqual(['scenarios/eclipse.yaml'])
    expect(checkGrid(join(ROOT, inv.positional[0]!), inv.flags.get('--param')!)).toBeGreaterThanOrEqual(n)
    const upload = (wf.jobs.shard.steps as Doc[]).find((s) => String(s.uses).startsWith('actions/upload-artifact'))!
    expect(upload.with.path.replace(/\/$/, '')).toBe(inv.flags.get('--out')![0])
  })

  it('the merge job needs every share and merges what it downloaded', () => {
    expect(wf.jobs.merge.needs).toBe('shard')
    const download = (wf.jobs.merge.steps as Doc[]).find((s) => String(s.uses).startsWith('actions/download-artifact'))!
    expect(download.with['merge-multiple']).toBe(true)
    const [args] = runs(wf.jobs.merge) as [string[]]
    const { command, inv } = checkArgs(args)
    expect(command).toBe('merge')
    expect(inv.positional).toEqual([download.with.path.replace(/\/$/, '')])
  })
})
