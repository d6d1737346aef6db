// partition-replica.yaml at reduced size: every gate holds, and fails when what it checks is broken (see
// gate-breakers.ts).
import { describe, expect, it } from 'vitest'
import { CASES, caseTests } from './gate-breakers.js'

describe('every gate of partition-replica.yaml can fail', () => caseTests(CASES.find((c) => c.file === 'partition-replica.yaml')!, it, expect))
