// A churn spike makes target peers leave (and come back after a downtime) only while it lasts.
import { describe, expect, it } from 'vitest'
import { runChaosYaml, smallNet } from './fault-harness.js'

describe('fault: churn-spike', () => {
  it('raises turnover during the window only; peers come back after it', () => {
    const online: { t: number; n: number }[] = []
    const { sim } = runChaosYaml(
      smallNet(`
faults:
  - {id: spike, at_s: 90, for_s: 60, kind: churn-spike, turnover_per_hour: 30, downtime_mean_s: 15, targets: "fraction:0.5"}
`),
      {
        before: ({ sim: s }) => {
          for (let t = 5_000; t <= 240_000; t += 5_000) s.at(t, () => online.push({ t, n: s.onlineCount }))
        },
      },
    )
    const full = sim.n
    const before = online.filter((o) => o.t >= 40_000 && o.t < 90_000)
    const during = online.filter((o) => o.t >= 100_000 && o.t < 150_000)
    const end = online.filter((o) => o.t >= 220_000)
    for (const o of before) expect(o.n).toBe(full)
    expect(Math.min(...during.map((o) => o.n))).toBeLessThan(full - 3)
    for (const o of end) expect(o.n).toBe(full)
    expect(sim.metrics.compute(90_000, 150_000).restarts).toBeGreaterThan(10)
    // After the window nobody leaves: the online count only grows back.
    const afterWindow = online.filter((o) => o.t >= 150_000)
    for (let i = 1; i < afterWindow.length; i++) expect(afterWindow[i]!.n).toBeGreaterThanOrEqual(afterWindow[i - 1]!.n)
  })
})
