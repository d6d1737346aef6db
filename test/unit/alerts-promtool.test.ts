// Runs `promtool check rules` and `promtool test rules` on deploy/prometheus when promtool is
// installed (Debian: `apt-get install -y prometheus`). Skipped, with the reason in the test
// name, when it is not.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const dir = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url))
const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0
if (!hasPromtool) console.warn('alerts-promtool: SKIPPED, promtool not on PATH (apt-get install -y prometheus)')
const title = hasPromtool ? 'promtool' : 'promtool (SKIPPED: promtool not on PATH; apt-get install -y prometheus)'

function promtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe.skipIf(!hasPromtool)(title, () => {
  it('check rules accepts alerts.yml', () => {
    const r = promtool('check', 'rules', 'alerts.yml')
    expect(r.out).toContain('SUCCESS: 6 rules found')
    expect(r.status).toBe(0)
  })

  it('test rules passes alerts.test.yml', () => {
    const r = promtool('test', 'rules', 'alerts.test.yml')
    expect(r.out).toContain('SUCCESS')
    expect(r.status).toBe(0)
  })
})
