// The sweep grid: `--param path=v1,v2,...` flags become axes; their cartesian product the cells
// (first axis slowest). Each cell's seed is derived from the master seed and the cell's label —
// its parameters sorted by name — never from its position, so adding a value or an axis, or
// running cells in another order or in parallel, leaves every other cell's result unchanged.
import { createHash } from 'node:crypto'
import { BadInputError } from '../../common/errors.js'

export interface Axis {
  /** Dotted scenario path in the scenario's own (snake_case) spelling, e.g. "dht.disjoint_paths". */
  readonly name: string
  readonly values: readonly (number | string)[]
}

export interface Cell {
  readonly index: number
  readonly params: Readonly<Record<string, number | string>>
  readonly label: string
  readonly seed: string
}

/** At most this many cells in one sweep (a limit on everything). */
export const MAX_CELLS = 1024
const PATH_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/

/** "disjointPaths" -> "disjoint_paths" (each path segment), so both spellings work. */
export function snakePath(path: string): string {
  return path
    .split('.')
    .map((s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase())
    .join('.')
}

function parseValue(v: string): number | string {
  const t = v.trim()
  if (t !== '' && /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t)
  return t
}

/** Parses one `--param path=v1,v2` flag. */
export function parseParam(flag: string): Axis {
  const eq = flag.indexOf('=')
  if (eq <= 0) throw new BadInputError(`--param: must look like path=v1,v2,... (got ${JSON.stringify(flag)})`)
  const path = flag.slice(0, eq).trim()
  if (!PATH_RE.test(path)) throw new BadInputError(`--param: "${path}" is not a dotted scenario path`)
  const raw = flag.slice(eq + 1).split(',')
  if (raw.some((v) => v.trim() === '')) throw new BadInputError(`--param ${path}: empty value in ${JSON.stringify(flag.slice(eq + 1))}`)
  const values = raw.map(parseValue)
  const seen = new Set(values.map(String))
  if (seen.size !== values.length) throw new BadInputError(`--param ${path}: duplicate value`)
  return { name: snakePath(path), values }
}

export function parseParams(flags: readonly string[]): Axis[] {
  const axes = flags.map(parseParam)
  const names = axes.map((a) => a.name)
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) throw new BadInputError(`--param: ${n} given twice`)
  })
  return axes
}

/** The label of a cell: its parameters sorted by name, "a=1,b=x". */
export function cellLabel(params: Readonly<Record<string, number | string>>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join(',')
}

/** The cell's seed: from the master seed and the label only (hex, 16 digits). */
export function cellSeed(master: string, label: string): string {
  return createHash('sha256').update(`dht-sim sweep\n${master}\n${label}`).digest('hex').slice(0, 16)
}

export function expandGrid(axes: readonly Axis[], master: string): Cell[] {
  let combos: Record<string, number | string>[] = [{}]
  for (const a of axes) {
    const next: Record<string, number | string>[] = []
    for (const c of combos) for (const v of a.values) next.push({ ...c, [a.name]: v })
    combos = next
    if (combos.length > MAX_CELLS) throw new BadInputError(`--param: the grid has more than ${MAX_CELLS} cells`)
  }
  return combos.map((params, index) => {
    const label = cellLabel(params)
    return { index, params, label, seed: axes.length === 0 ? master : cellSeed(master, label) }
  })
}

/** Sets a dotted path in a parsed scenario (creating mappings on the way); "true"/"false" become booleans. */
export function setPath(raw: Record<string, unknown>, path: string, value: number | string): void {
  const parts = path.split('.')
  let o: Record<string, unknown> = raw
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i]!
    const next = o[k]
    if (next === undefined || next === null) o[k] = {}
    else if (typeof next !== 'object' || Array.isArray(next)) throw new BadInputError(`--param ${path}: ${parts.slice(0, i + 1).join('.')} is not a mapping`)
    o = o[k] as Record<string, unknown>
  }
  o[parts[parts.length - 1]!] = value === 'true' ? true : value === 'false' ? false : value
}

/** A deep copy of a parsed YAML value (plain data only). */
export function cloneRaw<T>(raw: T): T {
  return JSON.parse(JSON.stringify(raw)) as T
}
