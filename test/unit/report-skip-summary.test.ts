// The end-of-run lines of test/reporters/skip-summary.ts: each layer's count, a layer that ran
// nothing called SKIPPED, and each skipped group with the reason its name or note gives.
import { describe, expect, it } from 'vitest'
import { layerOf, skipSummary, type TestFacts } from '../reporters/skip-summary.js'

const ran = (file: string): TestFacts => ({ file, layer: layerOf(file), skipped: false })
const skipped = (file: string, skipGroup?: string, note?: string): TestFacts => ({
  file,
  layer: layerOf(file),
  skipped: true,
  ...(skipGroup !== undefined ? { skipGroup } : {}),
  ...(note !== undefined ? { note } : {}),
})

describe('skip summary', () => {
  it('layers are the directories under test/', () => {
    expect(layerOf('test/unit/a.test.ts')).toBe('unit')
    expect(layerOf('test/browser/x/y.test.ts')).toBe('browser')
    expect(layerOf('other/a.test.ts')).toBe('other')
    expect(layerOf('a.test.ts')).toBe('.')
  })

  it('lists every skipped group with its reason, and a layer that ran nothing as SKIPPED', () => {
    const chromium = 'report.html in headless Chromium (skipped: /usr/bin/chromium missing)'
    const lines = skipSummary(
      [
        ran('test/unit/a.test.ts'),
        ran('test/unit/a.test.ts'),
        skipped('test/unit/b.test.ts', 'promtool (SKIPPED: promtool not on PATH)'),
        skipped('test/browser/report-html.test.ts', chromium),
        skipped('test/browser/report-html.test.ts', chromium),
        skipped('test/unit/c.test.ts', 'slow case', 'FUZZ_RUNS is 0'),
      ],
      false,
    )
    expect(lines).toEqual([
      '',
      ' Test layers',
      '   browser  1 file    SKIPPED',
      '   unit     3 files   2 tests run, 2 skipped',
      ' Skipped, and why',
      `   test/browser/report-html.test.ts: 2 tests, ${chromium}`,
      '   test/unit/b.test.ts: 1 test, promtool (SKIPPED: promtool not on PATH)',
      '   test/unit/c.test.ts: 1 test, slow case: FUZZ_RUNS is 0',
    ])
  })

  it('nothing skipped: the layers only', () => {
    expect(skipSummary([ran('test/unit/a.test.ts'), ran('test/scenario/b.test.ts')], false)).toEqual(['', ' Test layers', '   scenario  1 file    1 test run', '   unit      1 file    1 test run'])
    expect(skipSummary([], false)).toEqual([])
  })

  it('under a name filter, tests it left out are counted, not listed; a skip with a reason still is', () => {
    const lines = skipSummary([ran('test/unit/a.test.ts'), skipped('test/unit/a.test.ts', 'another test'), skipped('test/unit/b.test.ts', 'promtool (SKIPPED: promtool not on PATH)')], true)
    expect(lines.slice(-3)).toEqual([' Skipped, and why', '   test/unit/b.test.ts: 1 test, promtool (SKIPPED: promtool not on PATH)', ' 1 test left out by the name filter or .only'])
  })
})
