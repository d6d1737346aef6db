// baseline.yaml and churn.yaml at reduced size: every gate holds, and fails when what it checks
// is broken (see gate-breakers.ts).
import { describe, expect, it } from 'vitest'
import { CASES, caseTests } from './gate-breakers.js'

for (const file of ['baseline.yaml', 'churn.yaml']) {
  describe(`every gate of ${file} can fail`, () => caseTests(CASES.find((c) => c.file === file)!, it, expect))
}
