// The region round-trip-time matrix used by the latency model.
// Data: data/region-rtt/region-rtt-ms.csv, adapted from Microsoft's "Azure network round-trip
// latency statistics" (CC BY 4.0; see data/region-rtt/SOURCE.md for attribution and method).
// Data-centre medians: the network model adds access latency and jitter on top.
import { readFileSync } from 'node:fs'
import { BadInputError } from '../common/errors.js'

export interface RegionMatrix {
  readonly names: readonly string[]
  /** rttMs[i * n + j]: median RTT between regions i and j. */
  readonly rttMs: Float64Array
}

const CSV_URL = new URL('../../data/region-rtt/region-rtt-ms.csv', import.meta.url)

/**
 * Parses the CSV. `NA` on the diagonal (a region with one site) becomes the median of the
 * other diagonal entries: a data-derived intra-region default.
 */
export function parseRegionCsv(text: string): RegionMatrix {
  const rows = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => l.split(','))
  const header = rows[0]
  if (header === undefined || header.length < 2) throw new BadInputError('region-rtt-ms.csv: empty or without a header')
  const names = header.slice(1)
  const n = names.length
  if (rows.length !== n + 1) throw new BadInputError(`region-rtt-ms.csv: expected ${n} rows, got ${rows.length - 1}`)
  const rtt = new Float64Array(n * n).fill(NaN)
  for (let i = 0; i < n; i++) {
    const row = rows[i + 1]!
    if (row[0] !== names[i] || row.length !== n + 1) throw new BadInputError(`region-rtt-ms.csv: row ${i + 2} does not match the header`)
    for (let j = 0; j < n; j++) {
      const cell = row[j + 1]!
      if (cell === 'NA') continue
      const v = Number(cell)
      if (!Number.isFinite(v) || v < 0) throw new BadInputError(`region-rtt-ms.csv: row ${i + 2}: bad value "${cell}"`)
      rtt[i * n + j] = v
    }
  }
  const diag: number[] = []
  for (let i = 0; i < n; i++) if (!Number.isNaN(rtt[i * n + i]!)) diag.push(rtt[i * n + i]!)
  diag.sort((a, b) => a - b)
  const intraDefault = diag.length === 0 ? 20 : diag[Math.floor((diag.length - 1) / 2)]!
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (Number.isNaN(rtt[i * n + j]!)) {
        if (i !== j) throw new BadInputError(`region-rtt-ms.csv: missing value between ${names[i]} and ${names[j]}`)
        rtt[i * n + j] = intraDefault
      }
    }
  }
  return { names, rttMs: rtt }
}

let cached: RegionMatrix | undefined

/** The bundled matrix (read once). */
export function regionMatrix(): RegionMatrix {
  if (cached === undefined) {
    let text: string
    try {
      text = readFileSync(CSV_URL, 'utf8')
    } catch (err) {
      throw new BadInputError(`cannot read the region RTT matrix ${CSV_URL.pathname}: ${(err as Error).message}`)
    }
    cached = parseRegionCsv(text)
  }
  return cached
}

export function regionNames(): readonly string[] {
  return regionMatrix().names
}
