// (Over 400 lines: runTestbed plays one wall-clock timeline — start, joins, churn, workload,
// faults, Prometheus, stop — whose phases share the workers, the clock and the partial report an
// interrupt must still write; the workers' side is worker.ts, the comparison calibrate.ts.)
// The testbed: a scenario run on N real nodes on 127.0.0.1, written as the same report as the
// simulator's.
//
// Theory of operation: the orchestrator (this module, in the CLI's process) places the nodes
// exactly as the simulator does for the same seed (regions, access latencies, groups, fault
// targets: the simulator's own functions and seeded streams), derives each node's key from the
// seed (so every peer id is known before anything starts, and the shaper directory can name
// them), and forks worker processes that each host several real nodes (worker.ts). It then plays
// the scenario on the wall clock: bootstraps first, the other nodes joining uniformly over
// join_spread_s, churn (exponential sessions and downtimes), the workload (Poisson arrivals at
// the scenario's rates scaled to N, Zipf popularity over provided keys, issued by a uniformly
// chosen ready node) and the link faults, injected into every node's shaper at at_s and cleared
// at at_s + for_s. Lookups are timed by the worker on the issuing node's clock; readiness comes
// from each node's /readyz. The report is the simulator's (same metric names, same schema),
// from the same MetricsLog, plus a `testbed` section (nodes, workers, memory, CPU, partial).
//
// What the testbed cannot run faithfully is refused before anything starts (BadInputError,
// exit 2): peer-level fault kinds (cpu, load, churn-spike), adversaries, the eclipse probe, and
// more nodes than the machine holds. SIGINT (the `signal`) stops every worker and writes what
// was measured so far, marked partial.
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { availableParallelism, freemem, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { BadInputError } from '../common/errors.js'
import { exponential, SeededRng, type Rng } from '../engine/rng.js'
import type { LookupOp } from '../engine/index.js'
import { LINK_FAULT_KINDS, type FaultSpec } from '../netmodel/faults.js'
import type { PeerPlace } from '../node/shaper/link-shaper.js'
import { engineConfigFor } from '../sim/simulation.js'
import { createPeers } from '../sim/peers.js'
import { ContentKeys, nextGapMs } from '../sim/workload.js'
import { MetricsLog, NA, OUTCOME_FAIL, OUTCOME_OK, OUTCOME_SHED } from '../sim/metrics.js'
import { FAIL, LookupLog, OK, SHED } from '../sim/recovery/lookup-log.js'
import { resolveGroups, resolveTarget, type PeerLayout } from '../sim/faults/targets.js'
import { checkGates } from '../sim/gates.js'
import { CDF_FRACTIONS, replayCommand } from '../sim/run-scenario.js'
import { REPORT_SCHEMA_VERSION, type FaultWindow, type Report, type SeriesPoint } from '../sim/report-types.js'
import type { ResolvedScenario } from '../sim/scenario.js'
import { loopbackHost, type FromWorker, type NodeSpec, type ToWorker } from './protocol.js'
import { PrometheusServer } from './prometheus.js'
import { RpcTimes } from '../netmodel/rpc-times.js'
import { tableFillOf, type TableDump } from './table-fill.js'
import { judgeProbes, type ProbeSection, type WorkerProbe } from './probe.js'

/** V8's young-generation semi-space for the workers (see the workers' start below). */
const WORKER_SEMI_SPACE = '--max-semi-space-size=64'

/** Nodes one testbed may run on this machine: beyond this, ports, memory and 2 cores give out. */
export const MAX_TESTBED_NODES = 1000
/** Memory a node takes (measured: see docs/BENCHMARKS.md), for the up-front capacity check. */
const BYTES_PER_NODE = 12 * 1024 * 1024
const SHUTDOWN_GRACE_MS = 15_000

/**
 * Worker processes when `--workers` is not given: one per 50 nodes, but no more than the
 * machine's cores, and at least two (so that nodes always talk across processes too). Each worker
 * is one event loop; with more workers than cores, every message between two of them also waits
 * for the kernel to put the receiver on a core. At 200 nodes on 2 cores, 4 workers against 2
 * waited for a CPU 46 % of the time they wanted one against 18 %, for the same CPU, and their
 * lookup p95 was 1,000 ms against 820 (BENCHMARKS.md, "Worker processes per core").
 */
export function defaultWorkers(nodes: number, cores: number): number {
  return Math.max(2, Math.min(Math.ceil(nodes / 50), cores))
}

export interface TestbedOptions {
  readonly nodes?: number
  readonly seed?: string
  readonly workers?: number
  /** Run the PQ (ML-DSA-87) challenge on every connection, as production nodes do (default off). */
  readonly pq?: boolean
  /**
   * Run libp2p's connection monitor (a ping on every connection every 10 s), as production nodes
   * do (default off: a testbed's nodes are fully meshed on one machine, see docs/testbed.md).
   */
  readonly connectionMonitor?: boolean
  /** The prometheus binary to scrape the nodes and evaluate the alert rules with (findPrometheus); off when absent. */
  readonly prometheus?: string
  readonly scenarioPath?: string
  /** Aborting stops the run early; the report is then marked partial. */
  readonly signal?: AbortSignal
  readonly onProgress?: (elapsedMs: number, durationMs: number, online: number, ready: number) => void
  readonly toolVersion?: string
}

export interface TestbedSection {
  readonly nodes: number
  readonly workers: number
  readonly partial: boolean
  readonly wall_duration_s: number
  readonly peak_rss_mb_per_worker: number
  readonly peak_rss_mb_total: number
  readonly rss_mb_per_node: number
  readonly cpu_s_total: number
  readonly cpu_ms_per_node_per_s: number
  readonly start_failures: number
  readonly shaper_drops: number
  /** The worker processes' ids (each stopped by its id at the end). */
  readonly worker_pids: readonly number[]
  /** The Prometheus server's process id (stopped by it at the end); null without Prometheus. */
  readonly prometheus_pid: number | null
  /** The starvation probe over the measured window (after the warm-up), and its verdict. */
  readonly probe: ProbeSection
}

export type TestbedReport = Report & { readonly testbed: TestbedSection }

/** The scenario as the testbed runs it at N nodes (workload scaled to N), or a BadInputError. */
export function testbedScenario(s: ResolvedScenario, nodes?: number): ResolvedScenario {
  const n = nodes ?? s.network.peers
  if (!Number.isInteger(n) || n < 2) throw new BadInputError(`--nodes: must be an integer >= 2 (got ${n})`)
  if (n > MAX_TESTBED_NODES) throw new BadInputError(`--nodes: ${n} is more than this machine holds (at most ${MAX_TESTBED_NODES} real nodes)`)
  const need = n * BYTES_PER_NODE
  if (need > freemem()) throw new BadInputError(`--nodes: ${n} nodes need about ${Math.round(need / 2 ** 20)} MiB, the machine has ${Math.round(freemem() / 2 ** 20)} MiB free`)
  if (s.network.bootstraps >= n) throw new BadInputError(`network.bootstraps: must be < the node count ${n} (got ${s.network.bootstraps})`)
  ;(s.faults ?? []).forEach((f, i) => {
    if (!(LINK_FAULT_KINDS as readonly string[]).includes(f.kind)) {
      throw new BadInputError(`faults[${i}].kind: the testbed's link shaper applies ${LINK_FAULT_KINDS.join(', ')}, not ${f.kind}`)
    }
  })
  if ((s.adversary?.fraction ?? 0) > 0 || s.adversary?.eclipse !== undefined) throw new BadInputError('adversary: the testbed runs honest nodes only')
  if (s.probe !== undefined) throw new BadInputError('probe: the eclipse probe is not run by the testbed')
  const scale = n / s.network.peers
  const w = s.workload
  return {
    ...s,
    network: { ...s.network, peers: n },
    workload: { ...w, find_node_per_s: w.find_node_per_s * scale, provide_per_s: w.provide_per_s * scale, get_providers_per_s: w.get_providers_per_s * scale },
  }
}

interface Worker {
  readonly proc: ChildProcess
  readonly nodes: number[]
  alive: boolean
}

interface Pending {
  readonly op: LookupOp
  readonly startMs: number
  readonly issuer: number
  readonly keyIdx: number
}

/** Runs the scenario on real nodes. Resolves with the report (partial if aborted). */
export async function runTestbed(input: ResolvedScenario, opts: TestbedOptions = {}): Promise<TestbedReport> {
  const seed = opts.seed ?? input.seed
  const scenario: ResolvedScenario = { ...testbedScenario(input, opts.nodes), seed }
  const n = scenario.network.peers
  const net = scenario.network
  const rng = new SeededRng(seed)
  // Placement, groups and fault targets from the simulator's own functions and streams.
  const placed = createPeers(rng.fork('peers'), {
    peers: n,
    regionWeights: net.regions.map((r) => r.weight),
    accessMedianMs: net.access_latency_ms.median,
    accessSigma: net.access_latency_ms.sigma,
  })
  const regionNames = net.regions.map((r) => r.name)
  const layout: PeerLayout = { n, bootstraps: net.bootstraps, regionOf: placed.regionOf, regionNames, adversary: new Uint8Array(n) }
  const groups = resolveGroups(scenario.groups ?? [], layout, rng)
  const keySeeds: string[] = []
  const peerIds: string[] = []
  for (let i = 0; i < n; i++) {
    const ks = Buffer.from(rng.fork(`key/${i}`).bytes(32)).toString('hex')
    keySeeds.push(ks)
    peerIds.push(peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(Buffer.from(ks, 'hex')))).toString())
  }
  const places: PeerPlace[] = []
  for (let i = 0; i < n; i++) {
    const g: string[] = []
    for (const [name, t] of groups) if (t.kind === 'peers' && t.member[i] === 1) g.push(name)
    places.push({ region: regionNames[placed.regionOf[i]!]!, accessMs: placed.accessMs[i]!, groups: g, bootstrap: i < net.bootstraps })
  }
  /** Each fault with the peers it targets (null: every link, as a region pair's latency). */
  const faults: { spec: FaultSpec; members: string[] | null; member: Uint8Array | null }[] = (scenario.faults ?? []).map((spec) => {
    const t = resolveTarget(spec.targets, layout, groups, rng.fork(`fault/${spec.id}/targets`))
    const members: string[] = []
    if (t.kind === 'peers') for (let i = 0; i < n; i++) if (t.member[i] === 1) members.push(peerIds[i]!)
    return { spec, members: t.kind === 'peers' ? members : null, member: t.kind === 'peers' ? t.member : null }
  })

  // ------------------------------------------------------------------ workers
  const workerCount = Math.max(1, Math.min(opts.workers ?? defaultWorkers(n, availableParallelism()), 16, n))
  const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url))
  const workers: Worker[] = []
  const workerOf = new Int32Array(n)
  // A worker's tens of nodes allocate short-lived objects fast (frames, streams, abort signals):
  // a young generation of 64 MiB semi-spaces instead of V8's 16 cuts the scavenges (garbage
  // collection was 8 % of the workers' CPU in a profile of a 200-node run; docs/testbed.md).
  // TESTBED_WORKER_ARGS: extra node flags for the workers (e.g. "--cpu-prof"), for profiling.
  const execArgv = [...process.execArgv, WORKER_SEMI_SPACE, ...(process.env.TESTBED_WORKER_ARGS ?? '').split(' ').filter((a) => a !== '')]
  for (let w = 0; w < workerCount; w++) workers.push({ proc: fork(workerFile, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json', execArgv }), nodes: [], alive: true })
  for (let i = 0; i < n; i++) {
    workerOf[i] = i % workerCount
    workers[i % workerCount]!.nodes.push(i)
  }
  // The run's clock starts once every worker is up (forking and loading libp2p take seconds).
  let t0 = performance.now()
  const now = (): number => performance.now() - t0
  const log = new MetricsLog()
  /** The lookups with their issuers: a fault's window is also judged on the nodes outside its targets. */
  const issued = new LookupLog()
  const rpcTimes = new RpcTimes()
  const tables: TableDump[] = []
  const online = new Uint8Array(n)
  const ready = new Uint8Array(n)
  const startedAt = new Float64Array(n)
  /** 1 once a node's current start has been ready (its time to ready is counted once a start). */
  const wasReady = new Uint8Array(n)
  const addrOf: string[] = new Array<string>(n).fill('')
  const httpPortOf = new Int32Array(n)
  let prom: PrometheusServer | undefined
  let targetsDirty = false
  const readyList: number[] = []
  const pending = new Map<number, Pending>()
  const peakRss = new Float64Array(workerCount)
  const cpuUs = new Float64Array(workerCount)
  const drops = new Float64Array(workerCount)
  const probes: (WorkerProbe | undefined)[] = new Array<WorkerProbe | undefined>(workerCount).fill(undefined)
  const loadStart = loadavg()[0]!
  let nextLookup = 1
  let startFailures = 0
  const keys = new ContentKeys(rng.fork('workload/keys'), scenario.workload.max_content_keys)
  const keyProviders = new Map<number, Set<string>>()
  const waiters = new Map<string, () => void>()
  const timers = new Set<NodeJS.Timeout>()
  const byeCount = { n: 0 }

  const at = (ms: number, fn: () => void): void => {
    const h = setTimeout(() => {
      timers.delete(h)
      fn()
    }, Math.max(0, ms - now()))
    timers.add(h)
  }
  const sendTo = (w: number, m: ToWorker): void => {
    const wk = workers[w]!
    if (wk.alive && wk.proc.connected) wk.proc.send(m)
  }
  const broadcast = (m: ToWorker): void => {
    for (let w = 0; w < workerCount; w++) sendTo(w, m)
  }
  const setReady = (i: number, v: boolean): void => {
    if (v && ready[i] !== 1) readyList.push(i)
    if (!v && ready[i] === 1) readyList.splice(readyList.indexOf(i), 1)
    ready[i] = v ? 1 : 0
  }

  const onMessage = (w: number, m: FromWorker): void => {
    switch (m.t) {
      case 'ready-to-work':
        waiters.get(`init/${w}`)?.()
        return
      case 'started':
        addrOf[m.idx] = m.addr
        httpPortOf[m.idx] = m.httpPort
        targetsDirty = true
        waiters.get(`started/${m.idx}`)?.()
        return
      case 'start-failed':
        startFailures++
        online[m.idx] = 0
        waiters.get(`started/${m.idx}`)?.()
        return
      case 'node-ready':
        if (online[m.idx] !== 1) return
        setReady(m.idx, true)
        if (wasReady[m.idx] === 0) log.addReady(startedAt[m.idx]!, m.readyS)
        wasReady[m.idx] = 1
        return
      case 'node-unready':
        if (online[m.idx] === 1) setReady(m.idx, false)
        return
      case 'stopped':
        return
      case 'lookup-done': {
        const p = pending.get(m.id)
        if (p === undefined) return
        pending.delete(m.id)
        recordLookup(p, m)
        return
      }
      case 'stats':
        peakRss[w] = Math.max(peakRss[w]!, m.rssBytes)
        cpuUs[w] = m.cpuUserUs + m.cpuSystemUs
        drops[w] = m.drops
        probes[w] = m.probe
        if (m.final !== true) return
        if (m.rpc !== undefined) rpcTimes.merge(m.rpc)
        if (m.tables !== undefined) tables.push(...m.tables)
        // Only the final answer ends the wait: a periodic answer still on its way when the final
        // stats were asked would otherwise end it, and the run's requests and tables be lost.
        waiters.get(`stats/${w}`)?.()
        return
      case 'bye':
        byeCount.n++
        waiters.get(`bye/${w}`)?.()
        return
    }
  }
  workers.forEach((wk, w) => {
    wk.proc.on('message', (m) => onMessage(w, m as FromWorker))
    wk.proc.on('exit', () => {
      wk.alive = false
      waiters.get(`bye/${w}`)?.()
    })
  })
  const waitFor = (key: string, limitMs: number): Promise<boolean> =>
    new Promise((resolve) => {
      const h = setTimeout(() => {
        waiters.delete(key)
        resolve(false)
      }, limitMs)
      waiters.set(key, () => {
        clearTimeout(h)
        waiters.delete(key)
        resolve(true)
      })
    })

  const recordLookup = (p: Pending, m: Extract<FromWorker, { t: 'lookup-done' }>): void => {
    const shed = m.error === 'busy'
    const outcome = shed ? OUTCOME_SHED : m.success ? OUTCOME_OK : OUTCOME_FAIL
    let providerOk = NA
    if (p.op === 'GET_PROVIDERS') {
      const known = keyProviders.get(p.keyIdx)
      providerOk = m.providers.some((x) => known?.has(x) === true) ? 1 : 0
    }
    if (p.op === 'PROVIDE' && m.success) {
      keys.markProvided(p.keyIdx, p.issuer, p.startMs + m.latencyMs)
      let set = keyProviders.get(p.keyIdx)
      if (set === undefined) keyProviders.set(p.keyIdx, (set = new Set()))
      set.add(peerIds[p.issuer]!)
    }
    issued.add(p.issuer, p.startMs, p.startMs + m.latencyMs, Math.min(255, m.hops), shed ? SHED : m.success ? OK : FAIL, -1)
    log.addLookup({
      op: p.op,
      outcome,
      startMs: p.startMs,
      latencyMs: m.latencyMs,
      hops: Math.min(255, m.hops),
      messages: Math.min(65_535, m.messages),
      accurate: NA,
      providerOk,
    })
  }

  const startNode = (i: number, bootstraps: string[], port = 0): Promise<boolean> => {
    online[i] = 1
    startedAt[i] = now()
    wasReady[i] = 0
    const spec: NodeSpec = { idx: i, keySeed: keySeeds[i]!, bootstraps, port, place: places[i]! }
    const p = waitFor(`started/${i}`, 60_000)
    sendTo(workerOf[i]!, { t: 'start', node: spec })
    return p
  }
  const stopNode = (i: number): void => {
    online[i] = 0
    targetsDirty = true
    setReady(i, false)
    log.addLeave(now())
    sendTo(workerOf[i]!, { t: 'stop', idx: i })
  }

  const durationMs = scenario.duration_s * 1000
  let partial = false
  let finish: () => void = () => undefined
  const finished = new Promise<void>((resolve) => (finish = resolve))
  const onAbort = (): void => {
    partial = true
    finish()
  }
  opts.signal?.addEventListener('abort', onAbort, { once: true })

  let endMs = durationMs
  try {
    // Workers up, each with the directory every shaper needs.
    const adminToken = randomBytes(16).toString('hex')
    const directory = peerIds.map((p, i) => [p, places[i]!] as const)
    const engine = engineConfigFor(scenario.dht)
    if (opts.prometheus !== undefined) {
      prom = await PrometheusServer.start(opts.prometheus, fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url)))
      if (opts.signal?.aborted === true) throw new Aborted()
    }
    await Promise.all(
      workers.map((_, w) => {
        const p = waitFor(`init/${w}`, 60_000)
        sendTo(w, {
          t: 'init',
          engine,
          directory,
          jitter: { median: net.jitter_ms.median, sigma: net.jitter_ms.sigma },
          loss: net.loss,
          adminToken,
          seed,
          pq: opts.pq === true,
          connectionMonitor: opts.connectionMonitor === true,
          stack: net.stack !== undefined ? { setup_rtts: net.stack.setup_rtts, stream_rtts: net.stack.stream_rtts } : null,
        })
        return p
      }),
    )
    if (opts.signal?.aborted === true) throw new Aborted()
    t0 = performance.now()
    // Bootstraps first (their addresses are everyone's bootstrap list), then the rest over the spread.
    const bootIdx = Array.from({ length: net.bootstraps }, (_, i) => i)
    // Each bootstrap knows the others, as in the simulator (a bootstrap with none configured has
    // no bootstrap peers and Prometheus' DhtBootstrapPeersZero would fire for it): their ports are
    // chosen free up front, on each one's own loopback address, so all addresses are known.
    const bootPorts = await Promise.all(bootIdx.map((i) => freePort(loopbackHost(i))))
    const bootAddrs = bootIdx.map((i) => `/ip4/${loopbackHost(i)}/tcp/${bootPorts[i]!}/p2p/${peerIds[i]!}`)
    await Promise.all(bootIdx.map((i) => startNode(i, bootAddrs.filter((_, j) => j !== i), bootPorts[i]!)))
    const joinRng = rng.fork('join')
    const churnRng = rng.fork('churn')
    const spreadMs = net.join_spread_s * 1000
    const sessionMeanMs = scenario.churn.turnover_per_hour > 0 ? 3_600_000 / scenario.churn.turnover_per_hour : Infinity
    const scheduleLeave = (i: number, fromMs: number, prng: Rng): void => {
      if (!Number.isFinite(sessionMeanMs)) return
      const t = fromMs + exponential(prng, sessionMeanMs)
      if (t >= durationMs) return
      at(t, () => {
        if (online[i] !== 1) return
        stopNode(i)
        const back = now() + Math.max(1000, exponential(prng, scenario.churn.downtime_mean_s * 1000))
        if (back < durationMs) {
          at(back, () => {
            void startNode(i, bootAddrs)
            scheduleLeave(i, now(), prng)
          })
        }
      })
    }
    for (let i = net.bootstraps; i < n; i++) {
      const t = joinRng.next() * spreadMs
      const prng = churnRng.fork(`peer/${i}`)
      at(t, () => {
        void startNode(i, bootAddrs)
        scheduleLeave(i, now(), prng)
      })
    }
    // The starvation probes measure the window the metrics cover.
    at(scenario.warmup_s * 1000, () => broadcast({ t: 'probe-reset' }))
    // Faults on the wall clock, into every node's shaper.
    for (const f of faults) {
      at(f.spec.at_s * 1000, () => broadcast({ t: 'fault', spec: f.spec, members: f.members }))
      at((f.spec.at_s + f.spec.for_s) * 1000, () => broadcast({ t: 'clear', id: f.spec.id }))
    }
    // The workload: one Poisson process per operation.
    const wl = scenario.workload
    const opRng = rng.fork('workload')
    const issue = (op: LookupOp): void => {
      if (readyList.length === 0) return
      const issuer = readyList[opRng.int(readyList.length)]!
      let keyIdx = -1
      let key: Uint8Array
      if (op === 'FIND_NODE') key = opRng.bytes(32)
      else if (op === 'PROVIDE') {
        keyIdx = keys.keyToProvide()
        key = keys.keys[keyIdx]!
      } else {
        keyIdx = keys.keyToGet(wl.zipf_s)
        if (keyIdx < 0) return
        key = keys.keys[keyIdx]!
      }
      const id = nextLookup++
      pending.set(id, { op, startMs: now(), issuer, keyIdx })
      sendTo(workerOf[issuer]!, { t: 'lookup', id, idx: issuer, op, key: Buffer.from(key).toString('hex') })
    }
    const rates: [LookupOp, number][] = [
      ['FIND_NODE', wl.find_node_per_s],
      ['PROVIDE', wl.provide_per_s],
      ['GET_PROVIDERS', wl.get_providers_per_s],
    ]
    for (const [op, perS] of rates) {
      const r = opRng.fork(op)
      const next = (fromMs: number): void => {
        const t = fromMs + nextGapMs(r, perS)
        if (t >= durationMs) return
        at(t, () => {
          issue(op)
          next(t)
        })
      }
      next(wl.start_s * 1000)
    }
    // Samples for the series and the turnover figure; worker stats for memory and CPU.
    const windowMs = scenario.metrics.window_s * 1000
    const samples: { ready: number; online: number }[] = []
    const takeSample = (): number => {
      let on = 0
      for (let i = 0; i < n; i++) on += online[i]!
      log.addOnlineSample(now(), on)
      samples.push({ ready: readyList.length, online: on })
      return on
    }
    const sample = (): void => {
      const on = takeSample()
      broadcast({ t: 'stats' })
      opts.onProgress?.(now(), durationMs, on, readyList.length)
      if (now() + windowMs <= durationMs) at(now() + windowMs, sample)
    }
    at(Math.min(windowMs, durationMs), sample)
    const statsTimer = setInterval(() => broadcast({ t: 'stats' }), 5_000)
    // Prometheus: the target list follows the nodes online; the firing alerts are read every second.
    const promTimer = setInterval(() => {
      if (prom === undefined) return
      if (targetsDirty) {
        targetsDirty = false
        const t: { idx: number; port: number }[] = []
        for (let i = 0; i < n; i++) if (online[i] === 1 && httpPortOf[i]! > 0) t.push({ idx: i, port: httpPortOf[i]! })
        prom.setTargets(t)
      }
      void prom.poll(now() / 1000)
    }, 1_000)
    at(durationMs, finish)
    await finished
    clearInterval(statsTimer)
    clearInterval(promTimer)
    endMs = Math.min(durationMs, now())
    // The last window's sample is due at the end, where it races the end's own timer: take it here
    // when that timer came first (the series' last point would otherwise read 0 ready, 0 online).
    if (!partial && samples.length < Math.ceil(durationMs / windowMs)) takeSample()
    // Last stats, then every node drained and every worker gone (each stopped by its own id).
    await Promise.all(workers.map((_, w) => {
      const p = waitFor(`stats/${w}`, 5_000)
      sendTo(w, { t: 'stats', final: true })
      return p
    }))
    return buildReport(samples)
  } catch (e) {
    if (!(e instanceof Aborted)) throw e
    partial = true
    endMs = now()
    return buildReport([])
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
    for (const h of timers) clearTimeout(h)
    timers.clear()
    await Promise.all([shutdown(), prom?.stop()])
  }

  async function shutdown(): Promise<void> {
    await Promise.all(
      workers.map(async (wk, w) => {
        if (!wk.alive) return
        const p = waitFor(`bye/${w}`, SHUTDOWN_GRACE_MS)
        sendTo(w, { t: 'shutdown' })
        if (!(await p) && wk.alive && wk.proc.pid !== undefined) {
          wk.proc.kill('SIGKILL')
        }
        if (wk.alive) await new Promise<void>((r) => wk.proc.once('exit', () => r()))
      }),
    )
  }

  function buildReport(samples: { ready: number; online: number }[]): TestbedReport {
    const warmupMs = Math.min(scenario.warmup_s * 1000, endMs)
    // Lookups still in flight at the end are left out (the simulator's are cut the same way).
    const metrics: Record<string, number | null> = { ...log.compute(warmupMs, endMs) }
    let totalDrops = 0
    for (const d of drops) totalDrops += d
    metrics.packets_sent = null
    metrics.packets_dropped = totalDrops
    // The tables every node held at the end (none when interrupted: the last stats were not asked).
    const fill = tableFillOf(tables, scenario.dht.k)
    metrics.table_fill = fill.fill === null ? null : Math.round(fill.fill * 1e4) / 1e4
    metrics.table_fill_far = fill.far === null ? null : Math.round(fill.far * 1e4) / 1e4
    const faultWindows: FaultWindow[] = (scenario.faults ?? []).map((f) => ({ id: f.id, kind: f.kind, at_s: f.at_s, until_s: f.at_s + f.for_s }))
    const windowMetrics = (w: string): Readonly<Record<string, number | null>> => {
      if (w === 'all') return metrics
      const id = w.slice(w.indexOf(':') + 1)
      const f = faultWindows.find((x) => x.id === id)
      if (f === undefined) return {}
      const [fromMs, toMs] = w.startsWith('during:') ? [f.at_s * 1000, f.until_s * 1000] : [f.until_s * 1000, endMs]
      // As the simulator's chaos metrics: lookups issued by nodes outside the fault's targets.
      const member = faults.find((x) => x.spec.id === id)?.member ?? null
      const out = issued.figures(fromMs, toMs, member === null ? undefined : (i) => member[i] !== 1)
      return { ...log.compute(fromMs, toMs), outside_lookup_success: out.success, outside_lookup_p95_ms: out.p95Ms, outside_hops_p99: out.hopsP99 }
    }
    const gates = checkGates(scenario.gates, windowMetrics)
    const windowS = scenario.metrics.window_s
    const points: SeriesPoint[] = log.windows(windowS * 1000, endMs).map((w, i) => ({
      t_s: Math.min((i + 1) * windowS, scenario.duration_s),
      lookups: w.lookups,
      lookup_p95_ms: w.p95,
      hops_p99: w.hops99,
      lookup_success: w.success,
      ready_nodes: samples[i]?.ready ?? 0,
      online_nodes: samples[i]?.online ?? 0,
    }))
    let rssTotal = 0
    let rssMax = 0
    let cpuTotal = 0
    for (let w = 0; w < workerCount; w++) {
      rssTotal += peakRss[w]!
      rssMax = Math.max(rssMax, peakRss[w]!)
      cpuTotal += cpuUs[w]!
    }
    const mb = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10
    const wallS = endMs / 1000
    const probe = judgeProbes(
      probes.filter((p): p is WorkerProbe => p !== undefined),
      { start: loadStart, end: loadavg()[0]!, cores: availableParallelism(), nodes: n, windowS: (endMs - warmupMs) / 1000 },
    )
    return {
      schema_version: REPORT_SCHEMA_VERSION,
      tool: { name: 'dht-sim', version: opts.toolVersion ?? '0.0.0' },
      scenario: { name: scenario.name, resolved: scenario },
      seed,
      replay: replayCommand(opts.scenarioPath ?? `scenarios/${scenario.name}.yaml`, seed).replace(/^dht-sim run /, 'dht-sim testbed ') + ` --nodes ${n}`,
      virtual_duration_s: Math.round(wallS * 1000) / 1000,
      metrics,
      gates,
      pass: gates.every((g) => g.pass) && !partial,
      series: { window_s: windowS, points },
      hops_histogram: log.hopsHistogram(warmupMs, endMs),
      latency_cdf: log.latencyCdf(warmupMs, endMs, CDF_FRACTIONS),
      faults: faultWindows,
      // Prometheus' own alert episodes (fired / cleared, seconds into the run).
      alerts: prom?.alerts() ?? [],
      variants: [],
      readiness: log.readiness(0, endMs),
      connections: { opened: probe.setups },
      rpc: rpcTimes.section(),
      testbed: {
        nodes: n,
        workers: workerCount,
        partial,
        wall_duration_s: Math.round(wallS * 10) / 10,
        peak_rss_mb_per_worker: mb(rssMax),
        peak_rss_mb_total: mb(rssTotal),
        rss_mb_per_node: Math.round((rssTotal / 2 ** 20 / n) * 100) / 100,
        cpu_s_total: Math.round(cpuTotal / 1e5) / 10,
        cpu_ms_per_node_per_s: wallS > 0 ? Math.round((cpuTotal / 1000 / n / wallS) * 100) / 100 : 0,
        start_failures: startFailures,
        shaper_drops: totalDrops,
        worker_pids: workers.map((w) => w.proc.pid ?? -1),
        prometheus_pid: prom?.pid ?? null,
        probe,
      },
    }
  }
}

class Aborted extends Error {}

/** A TCP port free on `host` now (the OS's choice), for a listener that must be known before it starts. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const a = srv.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      srv.close(() => resolve(port))
    })
  })
}
