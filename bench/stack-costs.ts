// What the libp2p stack costs our node in CPU, on 127.0.0.1, for the simulator's stack model
// (`network.stack.setup_cpu_ms`, `rpc_cpu_ms`; src/netmodel/stack.ts).
//
//   npm run build:bench && node dist-bench/stack-costs.js [--rounds 200]
//
// Two nodes in this process, each on a loopback address of its own (as in the testbed), PQ
// challenge off (as in the testbed). Set-up: the connection between them is closed and dialled
// again, `--rounds` times (TCP, Noise XX, yamux, their multistream negotiations, identify's
// start). RPC: `--rounds` FIND_NODE lookups from one to the other over the open connection (each
// one RPC: a new stream, its multistream echo, the request and the answer). Both ends run in this
// process, so its CPU time (user + system) per operation is the CPU of both ends; on the loopback
// the wall time per operation is that CPU plus microseconds of transit. Medians of the wall time
// and the mean CPU are printed, with the load average.
await import('../dist/polyfill.js')
const { loadavg } = await import('node:os')
const { randomBytes } = await import('node:crypto')
const { performance } = await import('node:perf_hooks')
const { DhtNode } = await import('../dist/node/dht-node.js')
const { createLogger } = await import('../dist/node/log.js')
const { engineConfig } = await import('../dist/engine/index.js')

const argv = process.argv.slice(2)
const ROUNDS = ((): number => {
  const i = argv.indexOf('--rounds')
  return i === -1 ? 200 : Number(argv[i + 1])
})()

type Node = InstanceType<typeof DhtNode>
const log = createLogger({ level: 'silent' })

async function start(host: string, bootstraps: string[]): Promise<Node> {
  const n = new DhtNode({
    listen: [`/ip4/${host}/tcp/0`],
    httpHost: '127.0.0.1',
    httpPort: 0,
    engine: engineConfig(),
    bootstraps,
    amnesia: true,
    pqOffered: false,
    dialFrom: host,
    drainTimeoutMs: 1_000,
    allow: ['/ip4/127.0.0.0/ipcidr/8'],
    log,
    version: 'bench',
    commit: 'bench',
  })
  await n.start()
  return n
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!
const cpuMs = (): number => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}

const load0 = loadavg()[0]!
const b = await start('127.1.0.1', [])
const bAddr = b.multiaddrs.find((a) => a.startsWith('/ip4/127.1.0.1'))!
const a = await start('127.1.1.1', [bAddr])
const bId = b.stack.peerId
// Let the join and identify settle.
for (let i = 0; i < 50 && a.stack.getConnections(bId).length === 0; i++) await new Promise((r) => setTimeout(r, 100))
await new Promise((r) => setTimeout(r, 500))

// Set-ups.
const setupWall: number[] = []
let setupCpu = 0
let identifiedCpu = 0
let closeCpu = 0
const roundsC0 = cpuMs()
for (let i = 0; i < ROUNDS; i++) {
  const cc = cpuMs()
  await Promise.all(a.stack.getConnections(bId).map((c) => c.close()))
  await new Promise((r) => setTimeout(r, 5))
  const c0 = cpuMs()
  closeCpu += c0 - cc
  const t0 = performance.now()
  await a.stack.dial(bId)
  setupWall.push(performance.now() - t0)
  setupCpu += cpuMs() - c0
  // identify's exchange after the upgrade is part of a set-up's CPU too: let it finish.
  await new Promise((r) => setTimeout(r, 20))
  identifiedCpu += cpuMs() - c0
}
// The whole round: the close, the dial, and identify's exchange after it (what a new connection costs a testbed's process).
const roundCpu = (cpuMs() - roundsC0) / ROUNDS

// RPCs over the open connection.
await new Promise((r) => setTimeout(r, 200))
const rpcWall: number[] = []
let rpcCpu = 0
let messages = 0
for (let i = 0; i < ROUNDS; i++) {
  const c0 = cpuMs()
  const t0 = performance.now()
  const r = await a.lookup('FIND_NODE', new Uint8Array(randomBytes(32)), `bench-${i}`)
  rpcWall.push(performance.now() - t0)
  rpcCpu += cpuMs() - c0
  messages += r.messages
}

await Promise.all([a.drain(), b.drain()])
const fmt = (x: number): string => x.toFixed(2)
process.stdout.write(
  [
    `stack costs, ${ROUNDS} rounds, load average ${fmt(load0)} -> ${fmt(loadavg()[0]!)}`,
    `set-up: wall median ${fmt(median(setupWall))} ms, CPU ${fmt(setupCpu / ROUNDS)} ms per set-up (both ends, without identify's later work)`,
    `set-up with identify's exchange: CPU ${fmt(identifiedCpu / ROUNDS)} ms; the close before it ${fmt(closeCpu / ROUNDS)} ms; the whole round ${fmt(roundCpu)} ms (both ends)`,
    `RPC: wall median ${fmt(median(rpcWall))} ms per lookup, ${fmt(messages / ROUNDS)} RPCs per lookup, CPU ${fmt(rpcCpu / messages)} ms per RPC (both ends)`,
    '',
  ].join('\n'),
)
process.exit(0)
