// eclipse-censorship.yaml at reduced size: its gate holds, and fails with the defences off (see
// gate-breakers.ts).
import { describe, expect, it } from 'vitest'
import { CASES, caseTests } from './gate-breakers.js'

describe('every gate of eclipse-censorship.yaml can fail', () => caseTests(CASES.find((c) => c.file === 'eclipse-censorship.yaml')!, it, expect))
