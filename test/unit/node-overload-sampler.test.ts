// The event loop's delay is measured once per process and handed to every node of the process.
import { describe, expect, it } from 'vitest'
import { OverloadMonitor, type LoadFigures } from '../../src/node/overload.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function busy(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // hold the loop
  }
}

describe('OverloadMonitor', () => {
  it('feeds every node of the process the same loop delay, and its own inflight count', async () => {
    const a: LoadFigures[] = []
    const b: LoadFigures[] = []
    const ma = new OverloadMonitor({ feed: (l) => a.push(l), inflight: () => 3 })
    const mb = new OverloadMonitor({ feed: (l) => b.push(l), inflight: () => 7 })
    ma.start()
    mb.start()
    try {
      await sleep(250)
      busy(300)
      await sleep(250)
      expect(a.length).toBeGreaterThan(0)
      expect(a.length).toBe(b.length)
      expect(a.map((l) => l.delayMs)).toEqual(b.map((l) => l.delayMs))
      // The blocked 300 ms shows in some sample of both nodes.
      expect(Math.max(...a.map((l) => l.delayMs))).toBeGreaterThanOrEqual(150)
      expect(new Set(a.map((l) => l.inflight))).toEqual(new Set([3]))
      expect(new Set(b.map((l) => l.inflight))).toEqual(new Set([7]))
    } finally {
      ma.stop()
    }
    // One node stopped: the other is still fed; stopped, neither is.
    const before = b.length
    const stoppedA = a.length
    await sleep(250)
    expect(b.length).toBeGreaterThan(before)
    expect(a.length).toBe(stoppedA)
    mb.stop()
    const stoppedB = b.length
    await sleep(250)
    expect(b.length).toBe(stoppedB)
  })
})
