// Every gate of every scenario file has a breaker (gate-breakers.ts): a gate added without a
// test that shows it failing fails here.
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CASES, NOT_COVERED_HERE, declaredGateKeys } from './gate-breakers.js'

describe('every gate in scenarios/ has a breaker', () => {
  const files = readdirSync(new URL('../../scenarios/', import.meta.url)).filter((f) => f.endsWith('.yaml')).sort()
  it('covers every gate scenario file but those left to other work', () => {
    expect(CASES.map((c) => c.file).sort()).toEqual(files.filter((f) => !NOT_COVERED_HERE.includes(f) && declaredGateKeys(f).length > 0))
  })
  for (const c of CASES) {
    it(`${c.file}: each declared gate is broken by some breaker`, () => {
      const broken = new Set(c.breakers.flatMap((b) => b.breaks))
      expect(declaredGateKeys(c.file).filter((k) => !broken.has(k))).toEqual([])
    })
  }
})
