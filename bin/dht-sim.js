#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `prepare` on install).
import '../dist/polyfill.js'
await import('../dist/cli/main.js')
