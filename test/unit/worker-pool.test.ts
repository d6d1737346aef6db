// The worker pool: results come back in job order whatever order the workers finish in (later
// jobs are made to finish first), a job's error comes back as its kind and either stops the pool
// or is kept in its place, and a worker that exits without answering stops the pool instead of
// leaving it waiting forever.
import { describe, expect, it } from 'vitest'
import { BadInputError } from '../../src/common/errors.js'
import { runPool } from '../../src/common/worker-pool.js'
import { SIM_THREAD_LIMITS, SIM_YOUNG_GENERATION_MB } from '../../src/sim/thread-limits.js'

const workerUrl = new URL('../fixtures/workers/pool-worker.mjs', import.meta.url)

interface Job {
  readonly value: number
  readonly sleepMs?: number
  readonly fail?: string
  readonly exit?: boolean
  readonly limits?: boolean
}

describe('runPool', () => {
  it('keeps results in job order, whatever the number of workers and the order they finish in', async () => {
    const jobs: Job[] = Array.from({ length: 7 }, (_, i) => ({ value: i, sleepMs: (7 - i) * 15 }))
    const finishedOrder: number[] = []
    const progress: string[] = []
    for (const size of [1, 2, 3, 16]) {
      finishedOrder.length = 0
      const out = await runPool<Job, number, string>({
        workerUrl,
        jobs,
        size,
        finished: (i, r) => {
          finishedOrder.push(i)
          return `${i}:${r}`
        },
        onDone: (d, t) => progress.push(`${d}/${t}`),
      })
      expect(out, `size ${size}`).toEqual(['0:0', '1:2', '2:4', '3:6', '4:8', '5:10', '6:12'])
      expect([...finishedOrder].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6])
    }
    expect(progress.slice(-7)).toEqual(['1/7', '2/7', '3/7', '4/7', '5/7', '6/7', '7/7'])
    expect(await runPool({ workerUrl, jobs: [], size: 2, finished: () => 1 })).toEqual([])
  })

  it("a job's error stops the pool as its kind, or is kept in its place when `failed` says so", async () => {
    const jobs: Job[] = [{ value: 1 }, { value: 2, fail: 'bad-input' }, { value: 3 }]
    await expect(runPool({ workerUrl, jobs, size: 2, finished: (_i, r: number) => r })).rejects.toThrow(BadInputError)
    const kept = await runPool({ workerUrl, jobs: [{ value: 1 }, { value: 2, fail: 'other' }, { value: 3 }], size: 2, finished: (_i, r: number) => String(r), failed: (_i, err) => `failed: ${err.message}` })
    expect(kept).toEqual(['2', 'failed: job 1 failed', '6'])
  })

  it('a worker that exits without answering stops the pool', async () => {
    await expect(runPool({ workerUrl, jobs: [{ value: 1 }, { value: 2, exit: true }], size: 1, finished: (_i, r: number) => r, crashError: (m) => new RangeError(m) })).rejects.toThrow(/worker exited \(code 7\) before answering/)
  })

  it("starts its workers with the simulations' young generation when asked (gate, sweep), with V8's otherwise", async () => {
    const young = (o: { resourceLimits?: typeof SIM_THREAD_LIMITS }): Promise<number[]> => runPool<Job, number, number>({ workerUrl, jobs: [{ value: 0, limits: true }], size: 1, finished: (_i, r) => r, ...o })
    expect(await young({ resourceLimits: SIM_THREAD_LIMITS })).toEqual([SIM_YOUNG_GENERATION_MB])
    expect((await young({}))[0]).not.toBe(SIM_YOUNG_GENERATION_MB)
  })

  it('an abort signal stops it', async () => {
    const abort = new AbortController()
    const p = runPool({ workerUrl, jobs: [{ value: 1, sleepMs: 200 }], size: 1, finished: (_i, r: number) => r, abort: abort.signal, abortError: () => new Error('stopped') })
    abort.abort()
    await expect(p).rejects.toThrow('stopped')
  })
})
