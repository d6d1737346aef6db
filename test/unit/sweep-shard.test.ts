// Sweep shares at the unit level (the cells run inline): --shard parsing, the round-robin deal,
// a shard file's round trip through JSON, the merge's checks, and the joined files equal to the
// whole sweep's (the command-line test does the same with worker threads and real files).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BadInputError } from '../../src/common/errors.js'
import { renderReportFiles } from '../../src/report/files.js'
import { cellReportDir, renderSweepFiles } from '../../src/report/sweep-files.js'
import { buildShardFile, loadShardFile, mergeShards, parseShard, renderMergedFiles, renderShardFile, sha256Hex, type SweepShardFile } from '../../src/report/sweep-shard.js'
import type { Report } from '../../src/sim/report-types.js'
import { runSweep, shardIndices } from '../../src/sim/sweep/run-sweep.js'

describe('--shard i/n', () => {
  it('takes i from 0 to n-1', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 })
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 })
    for (const bad of ['3/3', '0/0', '-1/2', 'a/b', '1', '1/2/3', '', '1/1025']) expect(() => parseShard(bad), bad).toThrow(BadInputError)
    expect(() => parseShard('3/3')).toThrow(/^--shard: i counts from 0, so it must be below n \(3\)/)
  })

  it('deals the cells round robin: every cell in exactly one share, shares differing by one at most', () => {
    for (const [total, n] of [[6, 3], [7, 3], [2, 4], [1024, 7]] as const) {
      const shares = Array.from({ length: n }, (_, i) => shardIndices(total, { index: i, count: n }))
      expect(shares.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i))
      const sizes = shares.map((s) => s.length)
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    }
  })

  it('gives each share every value of a last axis of n values (plain round robin gives it one)', () => {
    // Cell k of a grid whose last axis has `len` values holds value k % len.
    const spread = (total: number, len: number, n: number, deal: (i: number) => number[]): number[] =>
      Array.from({ length: n }, (_, i) => new Set(deal(i).map((k) => k % len)).size)
    for (const [total, len, n] of [[6, 2, 2], [9, 3, 3], [8, 2, 4], [24, 4, 4], [12, 3, 3]] as const) {
      const turned = spread(total, len, n, (i) => shardIndices(total, { index: i, count: n }))
      expect(turned, `${total} cells, last axis ${len}, ${n} shares`).toEqual(Array<number>(n).fill(Math.min(len, total / n)))
      const plain = spread(total, len, n, (i) => Array.from({ length: total }, (_, k) => k).filter((k) => k % n === i))
      if (len === n) expect(plain).toEqual(Array<number>(n).fill(1))
    }
  })
})

describe('shares joined (inline)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-shard-unit-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tiny.yaml')
  const text = `name: tiny
seed: 5
duration_s: 60
warmup_s: 10
network: {peers: 40, bootstraps: 2, join_spread_s: 5}
workload: {find_node_per_s: 3, provide_per_s: 0, get_providers_per_s: 0}
gates: ["lookup_success >= 0.5", "hops_p99 <= 3"]
`
  writeFileSync(file, text)
  const axes = [
    { name: 'dht.disjoint_paths', values: [1, 2] },
    { name: 'network.peers', values: [30, 50] },
  ]

  async function share(i: number, n: number, seed?: string): Promise<{ path: string; file: SweepShardFile }> {
    const kept = new Map<number, Report>()
    const sweep = await runSweep({
      file,
      axes,
      jobs: 1,
      toolVersion: 't',
      shard: { index: i, count: n },
      columns: ['messages_per_lookup'],
      onCellReport: (cell, report) => {
        kept.set(cell.index, report)
        return join(cellReportDir(cell), 'report.json')
      },
      ...(seed !== undefined ? { seed } : {}),
    })
    // Through JSON, as a file between machines.
    const f = JSON.parse(renderShardFile(buildShardFile(sweep, { index: i, count: n }, 4, sha256Hex(text), kept))) as SweepShardFile
    return { path: `shard-${i}-of-${n}.json`, file: f }
  }

  it('gives the whole sweep files, byte for byte; refuses what is not one whole sweep', async () => {
    const reports = new Map<string, Report>()
    const whole = await runSweep({
      file,
      axes,
      jobs: 1,
      toolVersion: 't',
      columns: ['messages_per_lookup'],
      onCellReport: (cell, report) => {
        reports.set(cellReportDir(cell), report)
        return join(cellReportDir(cell), 'report.json')
      },
    })
    const want = new Map<string, string>()
    for (const [d, r] of reports) for (const f of renderReportFiles(r)) want.set(join(d, f.name), f.contents)
    for (const f of renderSweepFiles(whole)) want.set(f.name, f.contents)

    const shares = [await share(0, 3), await share(1, 3), await share(2, 3)]
    expect(shares.map((s) => s.file.cells.map((c) => c.index))).toEqual([[0], [1, 3], [2]])
    const got = new Map(renderMergedFiles(mergeShards([shares[2]!, shares[0]!, shares[1]!])).map((f) => [f.name, f.contents]))
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort())
    for (const [name, contents] of want) expect(got.get(name) === contents, name).toBe(true)

    expect(() => mergeShards([shares[0]!, shares[2]!])).toThrow(/missing share 1\/3/)
    expect(() => mergeShards([shares[0]!, shares[1]!, shares[1]!, shares[2]!])).toThrow(/duplicate of share 1\/3/)
    const reseeded = await share(1, 3, '77')
    expect(() => mergeShards([shares[0]!, reseeded, shares[2]!])).toThrow(/not a share of the same sweep .*\(the seed differs\)/)
    const otherTool = { path: 'x.json', file: { ...shares[1]!.file, sweep: { ...shares[1]!.file.sweep, tool: { name: 'dht-sim' as const, version: 'u' } } } }
    expect(() => mergeShards([shares[0]!, otherTool, shares[2]!])).toThrow(/\(the tool version differs\)/)
  })

  it('a shard file that does not hold the cells of its share is refused on reading', async () => {
    const s = await share(0, 2)
    const good = join(dir, 'shard-0-of-2.json')
    writeFileSync(good, JSON.stringify(s.file))
    expect(loadShardFile(good).cells.map((c) => c.index)).toEqual([0, 3])
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify({ ...s.file, cells: [s.file.cells[0]] }))
    expect(() => loadShardFile(bad)).toThrow(/bad\.json: cells: share 0\/2 of 4 cells has 2, the file 1/)
    writeFileSync(bad, JSON.stringify({ ...s.file, cells: [s.file.cells[0], { ...s.file.cells[1]!, index: 1 }] }))
    expect(() => loadShardFile(bad)).toThrow(/cells\[1\]: must be cell 3/)
    writeFileSync(bad, JSON.stringify({ ...s.file, cells: [s.file.cells[0], { ...s.file.cells[1]!, report: { ...s.file.cells[1]!.report, pass: 'yes' } }] }))
    expect(() => loadShardFile(bad)).toThrow(/cells\[1\]\.report/)
    writeFileSync(bad, JSON.stringify({ ...s.file, kind: 'sweep' }))
    expect(() => loadShardFile(bad)).toThrow(/kind: not a sweep shard/)
  })
})
