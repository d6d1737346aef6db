// The sweep grid: parameters, cells, per-cell seeds by label (not by position), and a small
// sweep run end to end inline (same cell => same result whatever the grid around it).
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BadInputError } from '../../src/common/errors.js'
import { cellLabel, cellSeed, expandGrid, parseParam, parseParams, setPath, snakePath } from '../../src/sim/sweep/grid.js'
import { runSweep } from '../../src/sim/sweep/run-sweep.js'
import { renderSweepMarkdown } from '../../src/report/sweep-markdown.js'
import { writeCellReport } from '../../src/report/sweep-files.js'

describe('sweep grid', () => {
  it('parses --param flags, camelCase paths becoming the scenario spelling', () => {
    expect(parseParam('adversary.fraction=0,0.1,0.2')).toEqual({ name: 'adversary.fraction', values: [0, 0.1, 0.2] })
    expect(parseParam('dht.disjointPaths=1,2')).toEqual({ name: 'dht.disjoint_paths', values: [1, 2] })
    expect(parseParam('dht.policy=default,strict').values).toEqual(['default', 'strict'])
    expect(snakePath('network.joinSpreadS')).toBe('network.join_spread_s')
  })

  it('rejects malformed flags as bad input', () => {
    for (const bad of ['nope', '=1', 'a.b=', 'a.b=1,,2', 'a..b=1', 'a.b=1,1']) expect(() => parseParam(bad)).toThrow(BadInputError)
    expect(() => parseParams(['a.b=1', 'a.b=2'])).toThrow(/given twice/)
  })

  it('expands the product, first axis slowest, with seeds that depend on the label only', () => {
    const cells = expandGrid([{ name: 'a', values: [1, 2] }, { name: 'b', values: ['x', 'y', 'z'] }], 'm')
    expect(cells.map((c) => c.label)).toEqual(['a=1,b=x', 'a=1,b=y', 'a=1,b=z', 'a=2,b=x', 'a=2,b=y', 'a=2,b=z'])
    const swapped = expandGrid([{ name: 'b', values: ['z', 'x'] }, { name: 'a', values: [2] }], 'm')
    expect(swapped.find((c) => c.label === 'a=2,b=x')!.seed).toBe(cells.find((c) => c.label === 'a=2,b=x')!.seed)
    expect(new Set(cells.map((c) => c.seed)).size).toBe(6)
    expect(cellSeed('m', 'a=1')).not.toBe(cellSeed('n', 'a=1'))
    expect(cellLabel({ b: 1, a: 2 })).toBe('a=2,b=1')
  })

  it('sets dotted paths, creating mappings, and refuses to walk through a value', () => {
    const raw: Record<string, unknown> = { dht: { k: 20 }, name: 'x' }
    setPath(raw, 'dht.disjoint_paths', 4)
    setPath(raw, 'adversary.fraction', 0.1)
    setPath(raw, 'adversary.behaviours.store', 'true')
    expect(raw).toEqual({ dht: { k: 20, disjoint_paths: 4 }, name: 'x', adversary: { fraction: 0.1, behaviours: { store: true } } })
    expect(() => setPath(raw, 'name.x', 1)).toThrow(BadInputError)
  })
})

describe('runSweep (inline)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-test-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tiny.yaml')
  writeFileSync(
    file,
    `name: tiny
seed: 5
duration_s: 60
warmup_s: 10
network: {peers: 40, bootstraps: 2, join_spread_s: 5}
workload: {find_node_per_s: 3, provide_per_s: 0, get_providers_per_s: 0}
gates: ["lookup_success >= 0.5", "hops_p99 <= 1"]
`,
  )

  it('runs every cell, writes cell reports, and a cell gives the same result in any grid', async () => {
    const a = await runSweep({ file, axes: [{ name: 'dht.disjoint_paths', values: [1, 2] }], jobs: 1, toolVersion: 't', onCellReport: (cell, report) => writeCellReport(join(dir, 'a'), cell, report) })
    expect(a.cells.length).toBe(2)
    expect(a.cells[0]!.gates.length).toBe(2)
    expect(existsSync(join(dir, 'a', a.cells[1]!.report_path!))).toBe(true)
    expect(a.cells[0]!.replay).toContain('--param dht.disjoint_paths=1')
    const b = await runSweep({ file, axes: [{ name: 'dht.disjoint_paths', values: [2] }], jobs: 1, toolVersion: 't' })
    expect(b.cells[0]!.seed).toBe(a.cells[1]!.seed)
    expect(b.cells[0]!.metrics).toEqual(a.cells[1]!.metrics)
    const md = renderSweepMarkdown(a)
    expect(md).toContain('| dht.disjoint_paths | result |')
  })

  it('a parameter the schema rejects is bad input, before any cell runs', async () => {
    await expect(runSweep({ file, axes: [{ name: 'dht.disjoint_paths', values: [1, 99] }], jobs: 1, toolVersion: 't', onCellReport: (cell, report) => writeCellReport(join(dir, 'bad'), cell, report) })).rejects.toThrow(/disjoint_paths/)
    expect(existsSync(join(dir, 'bad'))).toBe(false)
  })
})
