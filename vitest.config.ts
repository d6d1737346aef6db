import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./src/polyfill.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A passing test's console output is noise; a failing test's is shown with its failure.
    silent: 'passed-only',
    // After the usual summary: each test layer's count, and every skipped group with its reason.
    reporters: ['default', './test/reporters/skip-summary.ts'],
  },
})
