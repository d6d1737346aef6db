// Prometheus in the testbed's loop, against the real Debian server: a target whose readiness
// gauge goes 0 -> 1 makes a rule fire and clear, the episode is read from Prometheus' API, and
// stopping leaves neither the process nor its directory behind. Short intervals (1 s) so the
// test takes seconds; the testbed itself runs the production ones.
import { createServer, type Server } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { findPrometheus, PrometheusServer } from '../../src/testbed/prometheus.js'

const servers: Server[] = []
afterAll(() => servers.forEach((s) => s.close()))

describe('Prometheus in the testbed', () => {
  it('missing from PATH: a one-line error naming the Debian package', () => {
    expect(() => findPrometheus('/nonexistent')).toThrow(/prometheus: not found on PATH; install the Debian package `prometheus`/)
  })

  it('scrapes a target, records an alert firing and clearing, and stops by its pid', async () => {
    let ready = 0
    const target = createServer((_req, res) => res.end(`# TYPE ron_dht_ready gauge\nron_dht_ready ${ready}\n`))
    servers.push(target)
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()))
    const port = (target.address() as { port: number }).port
    const dir = mkdtempSync(join(tmpdir(), 'prom-rules-'))
    const rules = join(dir, 'rules.yml')
    writeFileSync(rules, 'groups:\n  - name: t\n    interval: 1s\n    rules:\n      - alert: NotReady\n        expr: ron_dht_ready == 0\n')
    const prom = await PrometheusServer.start(findPrometheus(), rules, { scrapeS: 1, evaluationS: 1 })
    try {
      prom.setTargets([{ idx: 7, port }])
      const t0 = performance.now()
      const s = (): number => (performance.now() - t0) / 1000
      const until = async (cond: () => boolean, limitS: number): Promise<void> => {
        while (!cond() && s() < limitS) {
          await prom.poll(s())
          await new Promise((r) => setTimeout(r, 250))
        }
      }
      await until(() => prom.alerts().length > 0, 40)
      expect(prom.alerts()).toMatchObject([{ name: 'NotReady', cleared_s: null, instances: 1 }])
      ready = 1
      await until(() => prom.alerts()[0]!.cleared_s !== null, 40)
      const [ep] = prom.alerts()
      expect(ep!.cleared_s!).toBeGreaterThan(ep!.fired_s)
    } finally {
      await prom.stop()
    }
    expect(() => process.kill(prom.pid, 0)).toThrow()
  }, 120_000)
})
