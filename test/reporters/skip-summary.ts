// A vitest reporter that ends the run with what did not run, and why: one line per test layer
// (test/<layer>/) with its files and tests, then every skipped group with the reason its name
// or its skip note gives ("report.html in headless Chromium (skipped: /usr/bin/chromium
// missing)"). A layer whose tool is missing is skipped quietly otherwise: the default summary
// only counts "14 skipped" and a green run looks complete. Tests left out by `-t` or `.only` are
// counted, not listed: they were not skipped for a reason of the machine's.
import { relative, sep } from 'node:path'
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node'

/** What the summary needs of one test: its file, its layer, and if skipped, the group and reason. */
export interface TestFacts {
  readonly file: string
  readonly layer: string
  readonly skipped: boolean
  /** The outermost suite (or the test) marked skip, and its note; absent when not skipped so. */
  readonly skipGroup?: string
  readonly note?: string
}

/** test/<layer>/..., else the first directory (or "." for a file at the top). */
export function layerOf(file: string): string {
  const parts = file.split(/[\\/]/)
  if (parts[0] === 'test' && parts.length > 2) return parts[1]!
  return parts.length > 1 ? parts[0]! : '.'
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`

/**
 * The lines printed at the end. `filtered`: a name filter (-t) or `.only` chose the tests, so skips
 * without a reason of their own are the filter's.
 */
export function skipSummary(tests: readonly TestFacts[], filtered: boolean): string[] {
  if (tests.length === 0) return []
  const layers = new Map<string, { files: Set<string>; run: number; skipped: number }>()
  for (const t of tests) {
    const l = layers.get(t.layer) ?? { files: new Set<string>(), run: 0, skipped: 0 }
    l.files.add(t.file)
    if (t.skipped) l.skipped++
    else l.run++
    layers.set(t.layer, l)
  }
  const names = [...layers.keys()].sort()
  const width = Math.max(...names.map((n) => n.length))
  const lines = ['', ' Test layers']
  for (const n of names) {
    const l = layers.get(n)!
    const state = l.run === 0 ? 'SKIPPED' : l.skipped > 0 ? `${plural(l.run, 'test')} run, ${l.skipped} skipped` : `${plural(l.run, 'test')} run`
    lines.push(`   ${n.padEnd(width)}  ${plural(l.files.size, 'file').padEnd(9)} ${state}`)
  }
  // Skipped groups with a reason: by file and group, in file order.
  const groups = new Map<string, { layer: string; file: string; what: string; n: number }>()
  let byFilter = 0
  for (const t of tests) {
    if (!t.skipped) continue
    const what = t.note !== undefined && t.note !== '' ? `${t.skipGroup ?? 'test'}: ${t.note}` : t.skipGroup
    if (what === undefined || (filtered && t.note === undefined && !/skip/i.test(what))) {
      byFilter++
      continue
    }
    const key = `${t.file}\n${what}`
    const g = groups.get(key) ?? { layer: t.layer, file: t.file, what, n: 0 }
    g.n++
    groups.set(key, g)
  }
  if (groups.size > 0) {
    lines.push(' Skipped, and why')
    const sorted = [...groups.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    for (const g of sorted) lines.push(`   ${g.file}: ${plural(g.n, 'test')}, ${g.what}`)
  }
  if (byFilter > 0) lines.push(` ${plural(byFilter, 'test')} left out by the name filter or .only`)
  return lines
}

/** The outermost suite or test whose own mode is skip or todo, and the test's skip note. */
function skipFacts(test: TestCase): { skipGroup?: string; note?: string } {
  let group: string | undefined
  let node: TestCase | TestSuite | TestModule = test
  while (node.type !== 'module') {
    if (node.options.mode === 'skip' || node.options.mode === 'todo') group = node.name
    node = node.parent
  }
  const r = test.result()
  const note = r.state === 'skipped' ? r.note : undefined
  return { ...(group !== undefined ? { skipGroup: group } : {}), ...(note !== undefined ? { note } : {}) }
}

export default class SkipSummaryReporter implements Reporter {
  private root = process.cwd()
  private filtered = false

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root
    this.filtered = vitest.config.testNamePattern !== undefined
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const tests: TestFacts[] = []
    let only = false
    for (const m of modules) {
      const file = relative(this.root, m.moduleId).split(sep).join('/')
      for (const t of m.children.allTests()) {
        const skipped = t.result().state === 'skipped'
        if (t.options.mode === 'only') only = true
        tests.push({ file, layer: layerOf(file), skipped, ...(skipped ? skipFacts(t) : {}) })
      }
    }
    const lines = skipSummary(tests, this.filtered || only)
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n\n`)
  }
}
