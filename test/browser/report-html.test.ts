// report.html in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core)
// opens each rendered fixture from a file:// URL; every chart canvas must have drawn pixels, the
// fault-window shading and the gate threshold line must be visible where expected, and there must
// be no console error, page error or request for anything but the file itself. Every gate of every
// gate scenario has a chart of its own metric with data and its threshold drawn (checked on a real
// report of each scenario, test/browser/fixtures/); screenshots of the baseline, eclipse and one
// drill report are left in reports/screenshots/ for a reviewer (CI keeps reports/ as artefacts).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import type { Report } from '../../src/sim/report-types.js'
import { renderHtml } from '../../src/report/html.js'
import { gateCharts } from '../../src/report/gate-charts.js'
import { discoverScenarioFiles } from '../../src/report/gate-run.js'
import { loadScenario } from '../../src/sim/scenario.js'
import { renderSweepHtml } from '../../src/report/sweep-html.js'
import type { SweepReport } from '../../src/sim/sweep/sweep-types.js'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'reports')
const ROOT = join(import.meta.dirname, '..', '..')
/** Real reports of the gate scenarios at their seeds (`dht-sim gate`), one per scenario name. */
const scenarioFixtures = join(import.meta.dirname, 'fixtures')
const SCREENSHOTS = join(ROOT, 'reports', 'screenshots')
const load = <T>(name: string): T => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as T

if (!hasChromium) {
  console.warn(`test/browser/report-html.test.ts SKIPPED: ${CHROMIUM} not found (install it: apt-get install -y chromium)`)
}

interface PageResult {
  readonly chartsAttr: string | null
  readonly canvases: { id: string; width: number; height: number; painted: number; red: number; shade: number; points: number; thresholds: number }[]
  readonly errors: string[]
  readonly foreignRequests: string[]
  readonly verdict: string
  readonly gateRows: number
}

/** Evaluated in the page: pixel statistics of every canvas, plus a few facts about the page. */
const PAGE_PROBE = `(() => {
  const canvases = [...document.querySelectorAll('canvas')].map((c) => {
    const ctx = c.getContext('2d')
    let painted = 0, red = 0, shade = 0
    if (ctx !== null && c.width > 0 && c.height > 0) {
      const px = ctx.getImageData(0, 0, c.width, c.height).data
      for (let i = 0; i < px.length; i += 4) {
        const r = px[i], g = px[i + 1], b = px[i + 2], a = px[i + 3]
        if (a === 0) continue
        painted++
        // The gate threshold line: #d62728 (anti-aliasing leaves some pixels lighter).
        if (r > 180 && g < 80 && b < 80 && a > 200) red++
        // The fault band: rgba(255, 159, 64, 0.2) drawn on a transparent canvas.
        if (r > 240 && g > 140 && g < 175 && b > 50 && b < 80 && a > 30 && a < 70) shade++
      }
    }
    return { id: c.id, width: c.width, height: c.height, painted, red, shade, points: Number(c.getAttribute('data-points')), thresholds: Number(c.getAttribute('data-thresholds')) }
  })
  const firstTable = document.querySelectorAll('table')[0]
  return {
    chartsAttr: document.body.getAttribute('data-charts'),
    canvases,
    verdict: document.querySelector('h1 .verdict')?.textContent ?? '',
    gateRows: firstTable ? firstTable.querySelectorAll('tbody tr').length : 0,
  }
})()`

describe.skipIf(!hasChromium)(`report.html in headless Chromium${hasChromium ? '' : ' (skipped: /usr/bin/chromium missing)'}`, () => {
  let browser: Browser
  let dir: string

  beforeAll(async () => {
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    dir = mkdtempSync(join(tmpdir(), 'dht-sim-report-html-'))
  })

  afterAll(async () => {
    await browser?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  async function open(name: string, html: string, screenshot?: string): Promise<PageResult> {
    const file = join(dir, name)
    writeFileSync(file, html)
    const url = pathToFileURL(file).href
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
    const errors: string[] = []
    const foreignRequests: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`)
    })
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
    page.on('request', (r) => {
      if (r.url() !== url && !r.url().startsWith('data:')) foreignRequests.push(r.url())
    })
    await page.goto(url, { waitUntil: 'load' })
    // A script error means the attribute never appears: fall through and report the errors.
    await page.waitForSelector('body[data-charts]', { timeout: 10_000 }).catch(() => undefined)
    // A string expression: it runs in the page, and this project's TS config has no DOM types.
    const result = (await page.evaluate(PAGE_PROBE)) as Omit<PageResult, 'errors' | 'foreignRequests'>
    if (screenshot !== undefined) {
      mkdirSync(SCREENSHOTS, { recursive: true })
      await page.screenshot({ path: join(SCREENSHOTS, screenshot), fullPage: true })
    }
    await page.close()
    return { ...result, errors, foreignRequests }
  }

  function expectAllDrawn(r: PageResult): void {
    expect(r.errors).toEqual([])
    expect(r.foreignRequests).toEqual([])
    expect(r.canvases.length).toBeGreaterThan(0)
    expect(r.chartsAttr).toBe(String(r.canvases.length))
    for (const c of r.canvases) {
      expect(c.width, c.id).toBeGreaterThan(100)
      // Axes, ticks and data: a drawn chart paints far more than a few stray pixels.
      expect(c.painted, `${c.id} painted pixels`).toBeGreaterThan(2000)
    }
  }

  it('the nominal report draws every chart and shows the gate table', async () => {
    const r = await open('baseline.html', renderHtml(load<Report>('baseline-pass.json')))
    expectAllDrawn(r)
    expect(r.canvases.map((c) => c.id)).toEqual(['chart-latency-cdf', 'chart-hops', 'chart-p95-time', 'chart-hops-time', 'chart-success-time', 'chart-ready'])
    expect(r.verdict).toBe('PASS')
    expect(r.gateRows).toBe(4)
    // The p95 gate (< 500 ms) is drawn as a red dashed line on the p95-over-time chart.
    expect(r.canvases.find((c) => c.id === 'chart-p95-time')?.red).toBeGreaterThan(50)
  })

  it('a failed chaos drill shades the fault window and charts the alerts', async () => {
    const r = await open('drill.html', renderHtml(load<Report>('drill-loss-fail.json')))
    expectAllDrawn(r)
    expect(r.verdict).toBe('FAIL')
    expect(r.canvases.map((c) => c.id)).toContain('chart-alerts')
    const p95 = r.canvases.find((c) => c.id === 'chart-p95-time')
    expect(p95?.shade, 'fault band pixels').toBeGreaterThan(1000)
    expect(p95?.red, 'threshold pixels').toBeGreaterThan(20)
  })

  it('a report with variants renders', async () => {
    const r = await open('eclipse.html', renderHtml(load<Report>('eclipse-variants.json')))
    expectAllDrawn(r)
  })

  it('the sweep report draws one chart per gate metric', async () => {
    const r = await open('sweep.html', renderSweepHtml(load<SweepReport>('sweep-eclipse.json')))
    expectAllDrawn(r)
    expect(r.canvases.map((c) => c.id)).toEqual(['chart-sweep-0', 'chart-sweep-1'])
  })

  describe('every gate of every gate scenario has a chart of its own metric', () => {
    const gateScenarios = discoverScenarioFiles(join(ROOT, 'scenarios'))
      .map((path) => loadScenario(path))
      .filter((s) => s.gate)
    const shots: Record<string, string> = { baseline: 'baseline.png', eclipse: 'eclipse.png', 'partition-replica': 'partition-replica.png' }

    it.each(gateScenarios.map((s) => [s.name, s] as const))('%s', async (name, scenario) => {
      const file = join(scenarioFixtures, `${name}.json`)
      expect(existsSync(file), `${file}: regenerate with dht-sim gate (see fixtures/README.md)`).toBe(true)
      const report = JSON.parse(readFileSync(file, 'utf8')) as Report
      // The fixture is a report of this scenario's gates as they are now.
      const key = (g: { metric: string; op: string; threshold: number; window: string }): string => `${g.metric} ${g.op} ${g.threshold} ${g.window}`
      expect(report.gates.map(key)).toEqual(scenario.gates.map(key))
      const charts = gateCharts(report)
      const r = await open(`${name}.html`, renderHtml(report), shots[name])
      expectAllDrawn(r)
      for (const g of report.gates) {
        const chart = charts.find((c) => c.gates.includes(g))
        const label = `${key(g)}: chart`
        expect(chart, label).toBeDefined()
        const canvas = r.canvases.find((c) => c.id === chart!.spec.id)
        expect(canvas, `${label} on the page`).toBeDefined()
        expect(canvas!.points, `${label} has data`).toBeGreaterThan(0)
        expect(canvas!.thresholds, `${label} draws its threshold`).toBeGreaterThanOrEqual(1)
        // The gate's own line is red; a readiness lead with no collapse has no instant to draw it
        // at, and shows the readiness criterion it would be read against instead.
        const noInstant = g.metric === 'readiness_lead_s' && g.measured === null
        if (!noInstant) expect(canvas!.red, `${label}: red threshold pixels`).toBeGreaterThan(20)
      }
    })
  })

  it('hostile strings stay text: no script from the report runs', async () => {
    const base = load<Report>('drill-loss-fail.json')
    const evil = '<img src=x onerror="console.error(1)"></script><script>console.error(2)</script>'
    const report: Report = {
      ...base,
      scenario: { name: evil, resolved: { note: evil } },
      replay: `dht-sim run '${evil}'`,
      faults: base.faults.map((f) => ({ ...f, kind: evil })),
      alerts: base.alerts.map((a) => ({ ...a, name: evil })),
    }
    const r = await open('evil.html', renderHtml(report))
    expectAllDrawn(r)
  })
})
