// `npm run bench`: runs each benchmark in its own process (so peak RSS is that benchmark's own)
// and prints what each measured. Figures are written to .bench/<name>.json for BENCHMARKS.md.
// Speed targets live here, not in tests: this machine is shared and noisy.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const here = dirname(fileURLToPath(import.meta.url))
const all = ['sim', 'node']
const only = process.argv.slice(2)
const names = only.length > 0 ? only : all
mkdirSync('.bench', { recursive: true })

let failed = 0
for (const name of names) {
  const file = join(here, `${name}.js`)
  if (!existsSync(file)) {
    process.stderr.write(`bench: no benchmark named ${name} (${file})\n`)
    failed++
    continue
  }
  process.stdout.write(`\n== bench ${name} ==\n`)
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit' })
  if (r.status !== 0) {
    process.stderr.write(`bench: ${name} exited ${r.status ?? r.signal}\n`)
    failed++
  }
}
process.exitCode = failed > 0 ? 1 : 0
