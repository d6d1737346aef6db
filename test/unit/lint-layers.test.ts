// The architecture as lint: each part under src/ imports only the parts it stands on, and the
// engine reaches no clock, console or crypto global. Checked through the project's own ESLint
// configuration, so a rule that is defined but not wired to the right files fails here too.
import { ESLint } from 'eslint'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
let eslint: ESLint

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT })
})

/** The ids of the rules that fire on `code` as if it were the file at `path` (relative to the repo). */
async function firing(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` })
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message)
}

describe('layers/imports', () => {
  it.each([
    ['src/engine/x.ts', `import { Scheduler } from '../sim/scheduler.js'\nexport const s = Scheduler`],
    ['src/engine/x.ts', `import { BadInputError } from '../common/errors.js'\nexport const e = BadInputError`],
    ['src/engine/x.ts', `export type { Thresholds } from '../../deploy/prometheus/generate-alerts.mjs'`],
    ['src/sim/x.ts', `import { renderHtml } from '../report/html.js'\nexport const r = renderHtml`],
    ['src/sim/sweep/x.ts', `export { EXIT_OK } from '../../cli/exit-codes.js'`],
    ['src/sim/x.ts', `export * from '../node/log.js'`],
    ['src/sim/x.ts', `export * from '../node/wire-extra.js'`],
    ['src/node/x.ts', `export const m = await import('../sim/scenario.js')`],
    ['src/node/x.ts', `import { VERSION } from '../cli/version.js'\nexport const v = VERSION`],
    ['src/report/x.ts', `import { EXIT_OK } from '../cli/exit-codes.js'\nexport const o = EXIT_OK`],
    ['src/common/x.ts', `import { InvariantError } from '../engine/errors.js'\nexport const e = InvariantError`],
    ['src/sim/x.ts', `import { decodeMessage } from '../node/wire/message.js'\nexport const d = decodeMessage`],
    ['src/wire/x.ts', `import { KadHost } from '../node/host/kad-host.js'\nexport const k = KadHost`],
    ['src/wire/x.ts', `import { Scheduler } from '../sim/scheduler.js'\nexport const s = Scheduler`],
  ])('%s: refuses %j', async (path, code) => {
    expect(await firing(path, code)).toContain('layers/imports')
  })

  it.each([
    ['src/engine/x.ts', `import { SeededRng } from './rng.js'\nexport const r = SeededRng`],
    ['src/sim/x.ts', `import { SeededRng } from '../engine/rng.js'\nimport { BadInputError } from '../common/errors.js'\nexport const r = [SeededRng, BadInputError]`],
    ['src/sim/alerts/x.ts', `export type { AlertThresholds } from '../../../deploy/prometheus/generate-alerts.mjs'`],
    ['src/report/x.ts', `import type { Report } from '../sim/report-types.js'\nexport type R = Report`],
    ['src/sim/x.ts', `import { decodeMessage } from '../wire/message.js'\nexport const d = decodeMessage`],
    ['src/node/host/x.ts', `import { FrameDecoder } from '../../wire/frame.js'\nexport const f = FrameDecoder`],
    ['src/cli/commands/x.ts', `import { renderReportFiles } from '../../report/files.js'\nimport { serve } from '../../node/serve.js'\nexport const f = [renderReportFiles, serve]`],
  ])('%s: allows %j', async (path, code) => {
    expect(await firing(path, code)).toEqual([])
  })

  it('a new folder under src/ must be given its place first', async () => {
    expect(await firing('src/extra/x.ts', `export const x = 1`)).toContain('layers/imports')
  })
})

describe('engine purity', () => {
  it.each([
    ['console', `export function f(): void {\n  console.log('x')\n}`],
    ['crypto', `export const b = crypto.getRandomValues(new Uint8Array(4))`],
    ['Date', `export const t = Date.now()`],
    ['Math.random', `export const r = Math.random()`],
    ['node:crypto', `import { randomBytes } from 'node:crypto'\nexport const b = randomBytes(4)`],
  ])('src/engine refuses %s', async (_what, code) => {
    const rules = await firing('src/engine/x.ts', code)
    expect(rules.some((r) => r.startsWith('no-restricted-'))).toBe(true)
  })

  it('the same code outside the engine is not the engine rule’s business', async () => {
    expect(await firing('src/node/x.ts', `export function f(): void {\n  console.log(crypto.getRandomValues(new Uint8Array(4)))\n}`)).toEqual([])
  })
})
