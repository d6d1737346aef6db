// eclipse-response.yaml at reduced size: every gate holds, and fails when what it checks is broken
// (see gate-breakers.ts).
import { describe, expect, it } from 'vitest'
import { CASES, caseTests } from './gate-breakers.js'

describe('every gate of eclipse-response.yaml can fail', () => caseTests(CASES.find((c) => c.file === 'eclipse-response.yaml')!, it, expect))
