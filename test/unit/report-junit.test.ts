// junit.xml and summary.md: junit is parsed back with a strict little XML parser (well-formed,
// balanced, every attribute quoted, every & an entity) and its counts and messages checked;
// hostile names survive the round trip. summary.md is checked for its table and verdict.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { emptyBaseline, entryForReport, type Baseline } from '../../src/report/baseline.js'
import { evaluateGate } from '../../src/report/gate.js'
import { renderJunit } from '../../src/report/junit.js'
import { renderGateTable, renderSummaryMarkdown } from '../../src/report/summary.js'
import type { Report } from '../../src/sim/report-types.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const load = (name: string): Report => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Report

interface XmlElement {
  readonly name: string
  readonly attrs: Record<string, string>
  readonly children: XmlElement[]
  text: string
}

/** A strict parser for the subset of XML that junit uses. Throws on anything not well-formed. */
function parseXml(xml: string): XmlElement {
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`)
  }
  const decode = (s: string): string => {
    if (/[<]/.test(s)) fail('raw < in text')
    return s.replace(/&([^;]*);?/g, (m, name: string) => {
      if (!m.endsWith(';')) fail('bare &')
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
      if (name in named) return named[name]!
      if (/^#\d+$/.test(name)) return String.fromCodePoint(Number(name.slice(1)))
      if (/^#x[0-9a-fA-F]+$/.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16))
      return fail(`unknown entity &${name};`)
    })
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml)) fail('control character')
  const decl = /^<\?xml version="1.0" encoding="UTF-8"\?>\n/.exec(xml)
  if (decl === null) fail('no XML declaration')
  i = decl![0].length
  const stack: XmlElement[] = []
  let root: XmlElement | undefined
  while (i < xml.length) {
    if (xml.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(xml.slice(i))
      if (m === null) fail('bad end tag')
      const open = stack.pop()
      if (open === undefined || open.name !== m![1]) fail(`mismatched </${m![1]}>`)
      i += m![0].length
      if (stack.length === 0) root = open
    } else if (xml[i] === '<') {
      if (root !== undefined) fail('content after the root element')
      const m = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"]*")*)\s*(\/?)>/.exec(xml.slice(i))
      if (m === null) fail('bad start tag')
      const attrs: Record<string, string> = {}
      for (const a of m![2]!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
        if (a[1]! in attrs) fail(`duplicate attribute ${a[1]}`)
        attrs[a[1]!] = decode(a[2]!)
      }
      const el: XmlElement = { name: m![1]!, attrs, children: [], text: '' }
      stack.at(-1)?.children.push(el)
      i += m![0].length
      if (m![3] === '/') {
        if (stack.length === 0) root = el
      } else {
        stack.push(el)
      }
    } else {
      const next = xml.indexOf('<', i)
      const raw = xml.slice(i, next < 0 ? xml.length : next)
      const top = stack.at(-1)
      if (top === undefined) {
        if (raw.trim() !== '') fail('text outside the root element')
      } else {
        top.text += decode(raw)
      }
      i += raw.length
    }
  }
  if (stack.length > 0 || root === undefined) fail('unclosed element')
  return root!
}

function baselineOf(...reports: Report[]): Baseline {
  return { ...emptyBaseline(), scenarios: Object.fromEntries(reports.map((r) => [r.scenario.name, entryForReport(r)])) }
}

describe('the test parser itself', () => {
  it('rejects what is not well-formed', () => {
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a><b></a></b>')).toThrow(/mismatched/)
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="1 & 2"/>')).toThrow(/bare &/)
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x=1/>')).toThrow(/bad start tag/)
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a/><b/>')).toThrow(/after the root/)
  })
})

describe('junit.xml', () => {
  const base = load('baseline-pass.json')
  const drill = load('drill-loss-fail.json')
  const slower: Report = { ...base, gates: base.gates.map((g) => (g.metric === 'lookup_p95_ms' ? { ...g, measured: 420 } : g)) }
  const outcome = evaluateGate([slower, drill], baselineOf(base))
  const xml = renderJunit(outcome)
  const root = parseXml(xml)

  it('has one suite per scenario and one case per gate and per baseline metric', () => {
    expect(root.name).toBe('testsuites')
    expect(root.children.map((s) => s.attrs.name)).toEqual(['baseline', 'bootstrap-loss'])
    const [b, d] = root.children
    const names = b!.children.filter((c) => c.name === 'testcase').map((c) => c.attrs.name)
    expect(names).toEqual([
      'hops_p99 <= 5 [all]',
      'lookup_p95_ms < 500 [all]',
      'time_to_ready_p99_s <= 10 [all]',
      'lookup_success >= 0.999 [all]',
      'regression: hops_p99',
      'regression: lookup_p95_ms',
      'regression: time_to_ready_p99_s',
      'regression: lookup_success',
      'regression: messages_per_lookup',
    ])
    // The drill has no baseline entry: its regression check is one skipped case.
    const dCases = d!.children.filter((c) => c.name === 'testcase')
    expect(dCases).toHaveLength(drill.gates.length + 1)
    expect(dCases.at(-1)?.children[0]?.name).toBe('skipped')
  })

  it('counts add up at every level', () => {
    let tests = 0
    let failures = 0
    let skipped = 0
    for (const s of root.children) {
      const cases = s.children.filter((c) => c.name === 'testcase')
      const f = cases.filter((c) => c.children.some((x) => x.name === 'failure')).length
      const k = cases.filter((c) => c.children.some((x) => x.name === 'skipped')).length
      expect(Number(s.attrs.tests)).toBe(cases.length)
      expect(Number(s.attrs.failures)).toBe(f)
      expect(Number(s.attrs.skipped)).toBe(k)
      tests += cases.length
      failures += f
      skipped += k
    }
    expect([Number(root.attrs.tests), Number(root.attrs.failures), Number(root.attrs.skipped)]).toEqual([tests, failures, skipped])
    expect(failures).toBe(2)
  })

  it('failures carry measured vs threshold, and regressions measured vs baseline', () => {
    const all = root.children.flatMap((s) => s.children.filter((c) => c.name === 'testcase'))
    const gateFail = all.find((c) => c.attrs.name === 'lookup_p95_ms < 800 [during:bootstrap-loss]')!.children[0]!
    expect(gateFail.name).toBe('failure')
    expect(gateFail.attrs.type).toBe('gate')
    expect(gateFail.attrs.message).toBe('measured 912.5; needs lookup_p95_ms < 800 (window during:bootstrap-loss)')
    expect(gateFail.text).toContain('replay: dht-sim run scenarios/bootstrap-loss.yaml --seed 7')
    const reg = all.find((c) => c.attrs.name === 'regression: lookup_p95_ms')!.children[0]!
    expect(reg.attrs.type).toBe('regression')
    expect(reg.attrs.message).toBe('lookup_p95_ms: measured 420, baseline 312.4, tolerance +10 %: regressed')
  })

  it('is deterministic', () => {
    expect(renderJunit(evaluateGate([slower, drill], baselineOf(base)))).toBe(xml)
  })

  it('hostile names survive the round trip', () => {
    const evil = `a"b'c<d>&e]]>\u0001`
    const r: Report = { ...drill, scenario: { ...drill.scenario, name: evil }, replay: evil, gates: drill.gates.map((g) => ({ ...g, metric: evil, window: evil })) }
    const parsed = parseXml(renderJunit(evaluateGate([r], null)))
    expect(parsed.children[0]?.attrs.name).toBe(evil.replace('\u0001', ''))
    expect(parsed.children[0]?.children[1]?.attrs.name).toContain(`a"b'c<d>&e]]>`)
  })

  it('a crashed scenario is one <error> case in its own suite', () => {
    const crash = { name: 'churn', path: 'scenarios/churn.yaml', message: 'routing table holds self (seed 9; replay: dht-sim run scenarios/churn.yaml --seed 9)' }
    const p = parseXml(renderJunit(evaluateGate([base], null, { crashes: [crash] })))
    expect(p.attrs.errors).toBe('1')
    const suite = p.children.find((x) => x.attrs.name === 'churn')!
    expect(suite.attrs.errors).toBe('1')
    expect(suite.children[0]?.children[0]).toMatchObject({ name: 'error', attrs: { type: 'invariant', message: crash.message } })
  })

  it('marks regressions skipped while the baseline is rewritten', () => {
    const p = parseXml(renderJunit(evaluateGate([slower], baselineOf(base), { updateBaseline: true })))
    const last = p.children[0]!.children.at(-1)!
    expect(last.attrs.name).toBe('regression')
    expect(last.children[0]?.attrs.message).toBe('baseline rewritten by --update-baseline')
    expect(p.attrs.failures).toBe('0')
  })
})

describe('summary.md and the console table', () => {
  const base = load('baseline-pass.json')
  const drill = load('drill-loss-fail.json')
  const outcome = evaluateGate([base, drill], baselineOf(base))

  it('has a verdict, one row per gate with its baseline comparison, failures and replay commands', () => {
    const md = renderSummaryMarkdown(outcome)
    expect(md.startsWith('## dht-sim gate: FAIL')).toBe(true)
    expect(md).toContain('FAIL: 2 scenarios, 9/10 gates hold, 0 regressions')
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario'))
    expect(rows).toHaveLength(11) // 10 gates, and the guarded messages_per_lookup the baseline keeps without a gate
    expect(rows).toContain('| baseline | messages_per_lookup (baseline only) | all | 38.2 | - | 38.2 | 0 | +10 % | ok |')
    expect(rows[1]).toBe('| baseline | lookup_p95_ms < 500 | all | 312.4 | PASS | 312.4 | 0 | +10 % | ok |')
    expect(rows.find((r) => r.includes('912.5'))).toContain('**FAIL**')
    expect(md).toContain('- bootstrap-loss: not in the baseline: regressions were not checked')
    expect(md).toContain('  dht-sim run scenarios/bootstrap-loss.yaml --seed 7')
    // Only the failed scenario is replayed; the passing one is linked, not replayed.
    expect(md).not.toContain(`  ${base.replay}`)
  })

  it('prints the same rows as an aligned table with a final verdict', () => {
    const text = renderGateTable(outcome)
    const lines = text.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^scenario\s+gate\s+window\s+measured\s+result\s+baseline\s+change\s+tolerance\s+regression$/)
    expect(lines.at(-1)).toBe('FAIL: 2 scenarios, 9/10 gates hold, 0 regressions')
    expect(text).toContain('FAIL  bootstrap-loss: gate lookup_p95_ms < 800 failed: measured 912.5; needs lookup_p95_ms < 800 (window during:bootstrap-loss)')
  })

  it('says when there is no baseline at all', () => {
    expect(renderGateTable(evaluateGate([base], null))).toContain('note  no baseline file: regressions were not checked')
  })
})
