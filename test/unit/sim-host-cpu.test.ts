// Peers sharing processes and cores (network.stack.hosts): one first-come-first-served queue per
// process, at the share of a core it gets less its peers' background work; the stack model asks
// it for a set-up's CPU and a stream's waits; in a run it is deterministic and makes a crowded
// machine slower than peers with a CPU each; the scenario refuses what it cannot model.
import { describe, expect, it } from 'vitest'
import { HostCpu } from '../../src/sim/host-cpu.js'
import { hostsSchema, StackModel, stackSpec } from '../../src/netmodel/stack.js'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { smallStackScenarioText } from '../helpers/stack-scenario.js'
import { runScenario } from '../../src/sim/run-scenario.js'
import { renderJson } from '../../src/report/files.js'
import { measuredBackgroundMs, TESTBED_BACKGROUND_CPU_MS, withTestbedHosts } from '../../src/testbed/calibrate.js'

const hosts = (processes: number, cores: number, background_cpu_ms = 0) => hostsSchema.parse({ processes, cores, background_cpu_ms })

describe('HostCpu', () => {
  it('runs one piece of work at a time per process, and processes side by side', () => {
    // rpc_cpu_ms 4: a unit (half an RPC) is 2 ms. Peers 0 and 2 share process 0; peer 1 is in process 1.
    const cpu = new HostCpu(hosts(2, 2), 4, 4)
    expect(cpu.processOf(2)).toBe(0)
    expect(cpu.charge(0, 100, 1)).toBe(102)
    // Peer 2 arrives during peer 0's work: it waits 1.5 ms, then runs 2 units.
    expect(cpu.waitMs(2, 100.5)).toBe(1.5)
    expect(cpu.charge(2, 100.5, 2)).toBe(106)
    // Process 1 is idle.
    expect(cpu.waitMs(1, 100.5)).toBe(0)
    expect(cpu.work(1, 100.5, 3)).toBe(103.5)
    // Once the work is done, nothing waits.
    expect(cpu.waitMs(0, 200)).toBe(0)
    expect(cpu.ahead(0, 5)).toBe(3)
    expect(cpu.full()).toBe(false)
  })

  it('gives a process its share of the cores, less its peers\' background work', () => {
    // 4 processes on 2 cores: half a core each, so 1 ms of work takes 2 ms.
    expect(new HostCpu(hosts(4, 2), 2, 8).work(0, 0, 1)).toBe(2)
    // 10 peers per process at 20 ms a second each, all online: 0.2 of a core gone, 0.8 left.
    const busy = new HostCpu(hosts(2, 2, 20), 2, 20)
    for (let p = 0; p < 20; p++) busy.setOnline(p, true)
    expect(busy.speedOf(0)).toBeCloseTo(0.8, 12)
    expect(busy.work(1, 0, 4)).toBeCloseTo(5, 12)
    // Fewer peers than processes: one process per peer.
    expect(new HostCpu(hosts(8, 2), 2, 3).processes).toBe(3)
  })

  it('charges the background of the peers online only: a node not started, or stopped, has no timers', () => {
    const cpu = new HostCpu(hosts(2, 2, 20), 2, 20)
    // Nobody online yet (the join has not begun): the whole core.
    expect(cpu.speedOf(0)).toBe(1)
    // Peers 0, 2 and 4 start in process 0; peer 1 in process 1.
    for (const p of [0, 2, 4, 1]) cpu.setOnline(p, true)
    expect(cpu.speedOf(0)).toBeCloseTo(0.94, 12)
    expect(cpu.speedOf(1)).toBeCloseTo(0.98, 12)
    // Peer 2 stops (churn): its timers go with it.
    cpu.setOnline(2, false)
    expect(cpu.speedOf(0)).toBeCloseTo(0.96, 12)
    expect(cpu.work(0, 0, 0.96)).toBeCloseTo(1, 12)
  })
})

describe('StackModel on shared processes', () => {
  const spec = stackSpec({ setup_rtts: 4, stream_rtts: 1, setup_cpu_ms: 6, rpc_cpu_ms: 2, max_connections: 10 })

  it('queues a set-up\'s CPU at both ends and the stream\'s negotiation behind what waits, and leaves the RPC\'s CPU to the queue', () => {
    const m = new StackModel(spec, 4)
    const cpu = new HostCpu(hosts(2, 2), 2, 4)
    m.cpu = cpu
    // An idle machine: 4 RTT of 10 ms, 3 ms at each end (one after the other), 1 stream RTT.
    expect(m.request(0, 1, 0, 10)).toBe(40 + 3 + 3 + 10)
    // On an open connection with process 1 (the far end) busy until 200: the negotiation's read waits there.
    cpu.work(3, 100, 100)
    expect(m.request(0, 1, 100, 10)).toBe(10 + (200 - 105))
    // Without the processes' queues the RPC's CPU is a fixed delay.
    const alone = new StackModel(spec, 4)
    expect(alone.request(0, 1, 0, 10)).toBe(40 + 6 + 10 + 2)
  })
})

const SMALL = (stack?: string): string => smallStackScenarioText('hosts-small', 7, stack)

describe('network.stack.hosts in a run', () => {
  const scenario = (stack: string) => parseScenarioText(SMALL(stack), 'hosts-small.yaml')
  const run = (stack: string) => runScenario(scenario(stack), { scenarioPath: 'hosts-small.yaml', toolVersion: 'test' })

  it('is deterministic, and a crowded machine is slower than a CPU per peer', () => {
    const own = run('{ setup_cpu_ms: 8, rpc_cpu_ms: 3 }')
    const crowded = run('{ setup_cpu_ms: 8, rpc_cpu_ms: 3, hosts: { processes: 2, cores: 1, background_cpu_ms: 5 } }')
    expect(renderJson(run('{ setup_cpu_ms: 8, rpc_cpu_ms: 3, hosts: { processes: 2, cores: 1, background_cpu_ms: 5 } }'))).toBe(renderJson(crowded))
    // 30 peers per process at half a core, 0.15 of it taken by background work: messages wait behind their neighbours' work.
    expect(crowded.rpc!.open_connection.p50_ms!).toBeGreaterThan(own.rpc!.open_connection.p50_ms! + 5)
    expect(crowded.metrics.lookup_p50_ms!).toBeGreaterThan(own.metrics.lookup_p50_ms!)
    // The queue delays; it loses nothing itself, but a request that waits past its timeout fails.
    expect(own.metrics.lookup_success).toBe(1)
    expect(crowded.metrics.lookup_success!).toBeGreaterThan(0.9)
  })

  it('refuses a cpu fault beside it, and background work that leaves a process nothing', () => {
    expect(() => parseScenarioText(SMALL('{ hosts: { processes: 2, cores: 2 } }') + 'faults:\n  - { id: hot, kind: cpu, at_s: 50, for_s: 10, service_ms: 50, queue_max: 8, targets: bootstrap }\n', 'x.yaml')).toThrow(/network\.stack\.hosts.*"cpu" fault/)
    // 30 peers per process at 40 ms a second: 1.2 cores wanted, 1 given.
    expect(() => scenario('{ hosts: { processes: 2, cores: 2, background_cpu_ms: 40 } }')).toThrow(/background_cpu_ms.*1\.20 of a core/)
  })

  it('is set for a calibration from the testbed\'s layout, keeping a declared background', () => {
    const s = withTestbedHosts(scenario('{ hosts: { processes: 9, cores: 9, background_cpu_ms: 2 } }'), 2, 4)
    expect(s.network.stack!.hosts).toEqual({ processes: 2, cores: 4, background_cpu_ms: 2 })
    // Not declared: the testbed's measured background.
    expect(withTestbedHosts(scenario('{}'), 2, 2).network.stack!.hosts).toEqual({ processes: 2, cores: 2, background_cpu_ms: TESTBED_BACKGROUND_CPU_MS })
    expect(withTestbedHosts(scenario('{}'), 2, 2, 1.96).network.stack!.hosts!.background_cpu_ms).toBe(1.96)
    const plain = parseScenarioText(SMALL(), 'x.yaml')
    expect(withTestbedHosts(plain, 2, 4)).toBe(plain)
  })

  it("takes the background from a testbed run: its probe's CPU less its set-ups and requests at the model's figures", () => {
    const stack = stackSpec({ setup_cpu_ms: 11, rpc_cpu_ms: 3 })
    // A 300 s run with 180 s of warm-up, 200 nodes at 3.15 ms per node per second in the window:
    // 1,540 set-ups (141 ms/s) and 4,524 answered requests (113 ms/s) are 1.27 ms per node per second.
    const tb = { virtual_duration_s: 300, connections: { opened: 1540 }, rpc: { all: { requests: 4524 } }, testbed: { nodes: 200, probe: { cpu_ms_per_node_per_s: 3.15 } } } as unknown as Parameters<typeof measuredBackgroundMs>[0]
    expect(measuredBackgroundMs(tb, 180, stack)).toBeCloseTo(1.88, 2)
    // Nothing to measure without the stack model or the probe's figure; never below zero.
    expect(measuredBackgroundMs(tb, 180, undefined)).toBeNull()
    expect(measuredBackgroundMs({ ...tb, testbed: { nodes: 200, probe: { cpu_ms_per_node_per_s: null } } }, 180, stack)).toBeNull()
    expect(measuredBackgroundMs({ ...tb, testbed: { nodes: 200, probe: { cpu_ms_per_node_per_s: 0.5 } } }, 180, stack)).toBe(0)
  })
})
