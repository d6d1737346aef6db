// eclipse-victim.yaml at reduced size: every gate holds, and fails when what it checks is broken
// (see gate-breakers.ts).
import { describe, expect, it } from 'vitest'
import { CASES, caseTests } from './gate-breakers.js'

describe('every gate of eclipse-victim.yaml can fail', () => caseTests(CASES.find((c) => c.file === 'eclipse-victim.yaml')!, it, expect))
