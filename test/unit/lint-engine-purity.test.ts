// The engine's purity as lint, through the project's own ESLint configuration (a rule defined but
// not wired to src/engine fails here): no globalThis, and no module-level mutable state that
// outlives a call (purity/no-module-state), beside the clock, console and crypto rules that
// lint-layers.test.ts checks.
import { ESLint } from 'eslint'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
let eslint: ESLint

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT })
})

async function firing(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` })
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message)
}

describe('engine purity: globals', () => {
  it.each([
    ['globalThis', `export const g = globalThis`],
    ['globalThis.crypto', `export const b = globalThis.crypto.getRandomValues(new Uint8Array(4))`],
    ['global', `export const g = global`],
  ])('src/engine refuses %s', async (_what, code) => {
    expect(await firing('src/engine/x.ts', code)).toContain('no-restricted-globals')
  })
})

describe('engine purity: module-level mutable state', () => {
  it.each([
    ['a module-level let', `let calls = 0\nexport function f(): number {\n  return calls\n}`],
    ['a module-level var', `export var n = 1`],
    ['a module-level Map', `const cache = new Map<string, number>()\nexport const get = (k: string): number | undefined => cache.get(k)`],
    ['a module-level typed array', `export const scratch = new Uint8Array(32)`],
    ['a write through a constant table', `const seen: Record<string, number> = {}\nexport function f(k: string): void {\n  seen[k] = 1\n}`],
    ['a counter in a constant object', `const stats = { calls: 0 }\nexport function f(): void {\n  stats.calls++\n}`],
    ['a push onto a module-level array', `const log: string[] = []\nexport function f(s: string): void {\n  log.push(s)\n}`],
    ['a nested write', `const t = { a: { b: 1 } }\nexport function f(): void {\n  t.a.b = 2\n}`],
    ['a mutable static field', `export class C {\n  static count = 0\n}`],
  ])('src/engine refuses %s', async (_what, code) => {
    expect(await firing('src/engine/x.ts', code)).toContain('purity/no-module-state')
  })

  it.each([
    ['a constant table, read', `const T: Readonly<Record<string, number>> = { a: 1 }\nexport const f = (k: string): number | undefined => T[k]`],
    ['a shared empty typed array', `export const EMPTY = new Float64Array(0)`],
    ['state in the instance', `export class C {\n  private readonly seen = new Map<string, number>()\n  static readonly LIMIT = 4\n  add(k: string): void {\n    this.seen.set(k, 1)\n  }\n}`],
    ['a local that shadows nothing', `export function f(): number[] {\n  const xs: number[] = []\n  xs.push(1)\n  return xs\n}`],
    ['a parameter named like a module constant', `const xs = [1, 2]\nexport function f(ys: number[]): number {\n  ys.push(xs.length)\n  return ys.length\n}`],
  ])('src/engine allows %s', async (_what, code) => {
    expect(await firing('src/engine/x.ts', code)).toEqual([])
  })

  it('outside the engine it is not this rule’s business', async () => {
    expect(await firing('src/sim/x.ts', `let calls = 0\nexport function f(): number {\n  calls++\n  return calls\n}`)).toEqual([])
  })
})
