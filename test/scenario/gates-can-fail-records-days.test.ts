// records-days.yaml at reduced size: its gate holds, and fails when restarts forget what the node
// provided and held (churn.amnesia, see gate-breakers.ts). provider_success_by_age_min is the
// lowest band, so the reduced run must measure every band for the gate to mean "at every age".
import { describe, expect, it } from 'vitest'
import { CASES, caseTests, reducedScenario } from './gate-breakers.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { RECORD_AGE_BANDS_H } from '../../src/sim/metrics.js'

const CASE = CASES.find((c) => c.file === 'records-days.yaml')!

describe('every gate of records-days.yaml can fail', () => caseTests(CASE, it, expect))

describe('records-days.yaml, reduced', () => {
  it('measures every record-age band, past the republish and the expiry', () => {
    const bands = runScenario(reducedScenario(CASE)).provider_success_by_age ?? []
    expect(bands.map((b) => b.band)).toHaveLength(RECORD_AGE_BANDS_H.length)
    expect(bands.filter((b) => b.lookups < 20).map((b) => b.band)).toEqual([])
  })
})
