// A sweep split across machines. `dht-sim sweep --shard i/n` runs share i of n (its cells dealt
// round robin in grid order, see shardIndices) and writes shard-<i>-of-<n>.json: the sweep's identity (the scenario
// file's sha256, the grid, the seed, the tool version: everything of sweep.json but its cells),
// and for each of its cells the grid index, the sweep's row and the cell's whole report.
// `dht-sim sweep merge` reads every share, checks that they belong to one sweep and that each of
// the n shares is there exactly once, and only then renders the files a whole sweep writes:
// sweep.json, sweep.md, sweep.html and cells/<slug>/report.*, byte for byte the same, since every
// cell's result depends only on the master seed and its own parameters.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { BadInputError } from '../common/errors.js'
import { reportSchema, type Report } from '../sim/report-types.js'
import { cellLabel, type Cell } from '../sim/sweep/grid.js'
import { shardIndices, type SweepShard } from '../sim/sweep/run-sweep.js'
import type { SweepCell, SweepReport } from '../sim/sweep/sweep-types.js'
import { canonicalJson } from './canonical-json.js'
import { renderReportFiles, type ReportFile } from './files.js'
import { cellReportDir, renderSweepFiles } from './sweep-files.js'
import { firstIssueLine } from './zod-line.js'

export const SHARD_SCHEMA_VERSION = 1
/** Shares at most (a limit on everything; a sweep has at most 1024 cells). */
export const MAX_SHARDS = 1024
/** Largest shard file read (a cell's report is tens of KiB; a JavaScript string tops out near 512 MiB). */
export const MAX_SHARD_BYTES = 256 * 1024 * 1024

export interface ShardCell {
  /** The cell's index in the whole grid. */
  readonly index: number
  /** Its row of sweep.json (report_path as the merged sweep writes it). */
  readonly row: SweepCell
  readonly report: Report
}

export interface SweepShardFile {
  readonly kind: 'sweep-shard'
  readonly schema_version: typeof SHARD_SCHEMA_VERSION
  readonly shard: SweepShard
  /** sha256 of the scenario file's bytes. */
  readonly scenario_sha256: string
  /** Cells in the whole grid. */
  readonly cell_count: number
  /** sweep.json with its cells left empty (kept in place: key order is part of the bytes): the same in every share of one sweep. */
  readonly sweep: SweepReport
  readonly cells: readonly ShardCell[]
}

/** Parses `--shard i/n`: i from 0 to n-1, n from 1 to MAX_SHARDS. */
export function parseShard(flag: string): SweepShard {
  const m = /^(\d{1,7})\/(\d{1,7})$/.exec(flag.trim())
  const bad = (why: string): BadInputError => new BadInputError(`--shard: ${why} (got ${JSON.stringify(flag)})`)
  if (m === null) throw bad('must be i/n, share i (from 0) of n, e.g. 0/4')
  const index = Number(m[1])
  const count = Number(m[2])
  if (count < 1) throw bad('n must be at least 1')
  if (count > MAX_SHARDS) throw bad(`at most ${MAX_SHARDS} shares`)
  if (index >= count) throw bad(`i counts from 0, so it must be below n (${count})`)
  return { index, count }
}

export function shardFileName(s: SweepShard): string {
  return `shard-${s.index}-of-${s.count}.json`
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex')
}

export function buildShardFile(sweep: SweepReport, shard: SweepShard, cellCount: number, scenarioSha256: string, reports: ReadonlyMap<number, Report>): SweepShardFile {
  const indices = shardIndices(cellCount, shard)
  if (indices.length !== sweep.cells.length) throw new Error(`shard ${shard.index}/${shard.count}: ${sweep.cells.length} cells, expected ${indices.length}`)
  return {
    kind: 'sweep-shard',
    schema_version: SHARD_SCHEMA_VERSION,
    shard,
    scenario_sha256: scenarioSha256,
    cell_count: cellCount,
    sweep: { ...sweep, cells: [] },
    cells: sweep.cells.map((row, k) => {
      const report = reports.get(indices[k]!)
      if (report === undefined) throw new Error(`shard ${shard.index}/${shard.count}: no report for cell ${indices[k]}`)
      return { index: indices[k]!, row, report }
    }),
  }
}

export function renderShardFile(f: SweepShardFile): string {
  return `${JSON.stringify(f)}\n`
}

const SHARD_NAME_RE = /^shard-\d+-of-\d+\.json$/

/** The shard files named: each a file, or a directory whose shard-<i>-of-<n>.json files are taken. */
export function shardPaths(args: readonly string[]): string[] {
  if (args.length === 0) throw new BadInputError('sweep merge: name the shard files or the directory that holds them')
  const out: string[] = []
  for (const a of args) {
    let isDir: boolean
    try {
      isDir = statSync(a).isDirectory()
    } catch (err) {
      throw new BadInputError(`${a}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
    if (!isDir) {
      out.push(a)
      continue
    }
    const names = readdirSync(a)
      .filter((n) => SHARD_NAME_RE.test(n))
      .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
    if (names.length === 0) throw new BadInputError(`${a}: no shard-<i>-of-<n>.json file in this directory`)
    out.push(...names.map((n) => join(a, n)))
  }
  return out
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Reads one shard file; anything malformed is one BadInputError line naming the file and field. */
export function loadShardFile(path: string): SweepShardFile {
  let text: string
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new BadInputError(`${path}: not a file`)
    if (st.size > MAX_SHARD_BYTES) throw new BadInputError(`${path}: larger than ${MAX_SHARD_BYTES} bytes`)
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (err instanceof BadInputError) throw err
    throw new BadInputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new BadInputError(`${path}: not valid JSON (${(err as Error).message.replace(/\s+/g, ' ')})`)
  }
  const bad = (field: string, why: string): BadInputError => new BadInputError(`${path}: ${field}: ${why}`)
  if (!isObject(raw) || raw.kind !== 'sweep-shard') throw bad('kind', 'not a sweep shard (written by `dht-sim sweep --shard i/n`)')
  if (raw.schema_version !== SHARD_SCHEMA_VERSION) throw bad('schema_version', `must be ${SHARD_SCHEMA_VERSION}`)
  const s = raw.shard
  if (!isObject(s) || !Number.isInteger(s.count) || !Number.isInteger(s.index) || (s.count as number) < 1 || (s.count as number) > MAX_SHARDS || (s.index as number) < 0 || (s.index as number) >= (s.count as number)) {
    throw bad('shard', 'must be {index, count} with 0 <= index < count')
  }
  if (typeof raw.scenario_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(raw.scenario_sha256)) throw bad('scenario_sha256', 'must be 64 hex digits')
  if (!Number.isInteger(raw.cell_count) || (raw.cell_count as number) < 1) throw bad('cell_count', 'must be a positive integer')
  if (!isObject(raw.sweep) || raw.sweep.kind !== 'sweep' || !Array.isArray(raw.sweep.cells) || raw.sweep.cells.length !== 0) throw bad('sweep', 'must be the sweep with its cells left empty')
  if (!Array.isArray(raw.cells)) throw bad('cells', 'must be a list')
  const want = shardIndices(raw.cell_count as number, { index: s.index as number, count: s.count as number })
  if (raw.cells.length !== want.length) throw bad('cells', `share ${String(s.index)}/${String(s.count)} of ${String(raw.cell_count)} cells has ${want.length}, the file ${raw.cells.length}`)
  raw.cells.forEach((c: unknown, k) => {
    if (!isObject(c) || c.index !== want[k] || !isObject(c.row) || !isObject(c.row.params)) throw bad(`cells[${k}]`, `must be cell ${want[k]} with its row and report`)
    // Checked, not replaced: the parsed copy would put keys in the schema's order and change the bytes.
    const parsed = reportSchema.safeParse(c.report)
    if (!parsed.success) throw new BadInputError(firstIssueLine(`${path}: cells[${k}].report`, parsed.error))
  })
  return raw as unknown as SweepShardFile
}

/** Which part of two shares' identity differs, in words. */
function identityDiff(a: SweepShardFile, b: SweepShardFile): string | null {
  if (a.scenario_sha256 !== b.scenario_sha256) return 'the scenario file differs'
  const x = a.sweep
  const y = b.sweep
  const fields: [string, unknown, unknown][] = [
    ['scenario', x.scenario.name, y.scenario.name],
    ['seed', x.seed, y.seed],
    ['grid (--param)', x.axes, y.axes],
    ['cell count', a.cell_count, b.cell_count],
    ['columns', x.columns, y.columns],
    ['tool version', x.tool, y.tool],
    ['resolved scenario', x.scenario.resolved, y.scenario.resolved],
  ]
  for (const [name, p, q] of fields) if (canonicalJson(p ?? null) !== canonicalJson(q ?? null)) return `the ${name} differs`
  if (JSON.stringify(x) !== JSON.stringify(y)) return 'the sweep differs'
  return null
}

/** Checks that the shares make one whole sweep; returns it. Nothing is written here. */
export function mergeShards(shards: readonly { path: string; file: SweepShardFile }[]): { sweep: SweepReport; cells: { cell: Cell; report: Report }[] } {
  if (shards.length === 0) throw new BadInputError('sweep merge: no shard given')
  const first = shards[0]!
  const n = first.file.shard.count
  for (const s of shards) {
    if (s.file.shard.count !== n) throw new BadInputError(`${s.path}: share ${s.file.shard.index}/${s.file.shard.count} of a sweep split ${s.file.shard.count} ways, but ${first.path} is split ${n} ways`)
    const diff = identityDiff(first.file, s.file)
    if (diff !== null) throw new BadInputError(`${s.path}: not a share of the same sweep as ${first.path} (${diff})`)
  }
  const byIndex = new Map<number, string>()
  for (const s of shards) {
    const other = byIndex.get(s.file.shard.index)
    if (other !== undefined) throw new BadInputError(`${s.path}: duplicate of share ${s.file.shard.index}/${n} (also ${other})`)
    byIndex.set(s.file.shard.index, s.path)
  }
  const missing: number[] = []
  for (let i = 0; i < n; i++) if (!byIndex.has(i)) missing.push(i)
  if (missing.length > 0) {
    const list = missing.slice(0, 10).map((i) => `${i}/${n}`).join(', ')
    throw new BadInputError(`sweep merge: missing share${missing.length > 1 ? 's' : ''} ${list}${missing.length > 10 ? ', ...' : ''} (got ${shards.length} of ${n})`)
  }
  const rows = new Array<SweepCell | undefined>(first.file.cell_count).fill(undefined)
  const cells = new Array<{ cell: Cell; report: Report } | undefined>(first.file.cell_count).fill(undefined)
  for (const s of shards) {
    for (const c of s.file.cells) {
      rows[c.index] = c.row
      cells[c.index] = { cell: { index: c.index, params: c.row.params, label: cellLabel(c.row.params), seed: c.row.seed }, report: c.report }
    }
  }
  // Spread keeps `cells` where the whole sweep has it.
  return { sweep: { ...first.file.sweep, cells: rows as SweepCell[] }, cells: cells as { cell: Cell; report: Report }[] }
}

/** Every file a whole sweep writes, relative to its directory, rendered in memory. */
export function renderMergedFiles(merged: ReturnType<typeof mergeShards>): ReportFile[] {
  const files: ReportFile[] = []
  for (const { cell, report } of merged.cells) {
    const dir = cellReportDir(cell)
    for (const f of renderReportFiles(report)) files.push({ name: join(dir, f.name), contents: f.contents })
  }
  files.push(...renderSweepFiles(merged.sweep))
  return files
}

/** The shard's file name says which share it claims to be; the content must agree. */
export function checkShardName(path: string, f: SweepShardFile): void {
  const name = basename(path)
  if (!SHARD_NAME_RE.test(name)) return
  if (name !== shardFileName(f.shard)) throw new BadInputError(`${path}: holds share ${f.shard.index}/${f.shard.count}, not what its name says`)
}
