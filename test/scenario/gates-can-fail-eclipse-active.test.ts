// eclipse-active.yaml at reduced size: its gate holds, and fails with the defences off (see
// gate-breakers.ts).
import { describe, expect, it } from 'vitest'
import { CASES, caseTests } from './gate-breakers.js'

describe('every gate of eclipse-active.yaml can fail', () => caseTests(CASES.find((c) => c.file === 'eclipse-active.yaml')!, it, expect))
