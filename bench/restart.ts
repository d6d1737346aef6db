// Time to ready of a restarted node, cold (no cache) against warm (routing table cache kept), on
// a small network of our nodes on 127.0.0.1.
//
//   npm run build:bench && node dist-bench/restart.js [--rounds 8] [--peers 12] [--in-process]
//
// The network: `--peers` nodes, the first one the bootstrap of the others, the default warm
// threshold (8), run in a child process of its own (this file with --network), so the node being
// measured does not share its event loop with a dozen others (--in-process: the old way, all in
// one). Each round restarts one node twice, alternating which goes first: once with an empty
// state directory (cold) and once from the state its previous run saved at drain (warm).
// Time to ready: from start() to the first moment /readyz would answer 200, polled every 5 ms.
await import('../dist/polyfill.js')
const { mkdtempSync, rmSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { performance } = await import('node:perf_hooks')
const { spawn } = await import('node:child_process')
const { fileURLToPath } = await import('node:url')
const { loadavg } = await import('node:os')
const { generateKeyPair } = await import('@libp2p/crypto/keys')
const { DhtNode } = await import('../dist/node/dht-node.js')
const { createLogger } = await import('../dist/node/log.js')
const { engineConfig } = await import('../dist/engine/index.js')

const argv = process.argv.slice(2)
const arg = (n: string, d: number): number => {
  const i = argv.indexOf(n)
  return i === -1 ? d : Number(argv[i + 1])
}
const ROUNDS = arg('--rounds', 8)
const PEERS = arg('--peers', 12)
const NETWORK_CHILD = argv.includes('--network')
const IN_PROCESS = argv.includes('--in-process')

type Node = InstanceType<typeof DhtNode>
const log = createLogger({ level: 'silent' })
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function start(bootstraps: string[], extra: Record<string, unknown> = {}): Promise<Node> {
  const n = new DhtNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    httpHost: '127.0.0.1',
    httpPort: 0,
    engine: engineConfig(),
    bootstraps,
    amnesia: true,
    drainTimeoutMs: 1_000,
    allow: ['/ip4/127.0.0.1'],
    log,
    version: 'bench',
    commit: 'bench',
    ...extra,
  })
  await n.start()
  return n
}

const startedMs: number[] = []
const lastFailing: string[] = []
async function timeToReady(n: Promise<Node>, t0: number): Promise<{ node: Node; ms: number }> {
  const node = await n
  startedMs.push(performance.now() - t0)
  if (process.env.BENCH_DEBUG) process.stdout.write(`  table at start: ${node.engine.stats(node.host.now()).tableSize}\n`)
  let failing = ''
  for (;;) {
    const r = node.readiness()
    if (r.ready) {
      lastFailing.push(failing)
      return { node, ms: performance.now() - t0 }
    }
    if (process.env.BENCH_DEBUG && r.reason !== failing) process.stdout.write(`   ${Math.round(performance.now() - t0)} ${r.reason}\n`)
    failing = r.reason
    if (performance.now() - t0 > 120_000) return { node, ms: Infinity }
    await sleep(5)
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** Starts the network; returns the bootstrap's address and how to stop it. */
async function network(): Promise<{ bootAddr: string; stop: () => Promise<void> }> {
  const boot = await start([])
  const bootAddr = boot.multiaddrs.find((a) => a.startsWith('/ip4/127.0.0.1/'))!
  const net: Node[] = [boot]
  for (let i = 1; i < PEERS; i++) net.push(await start([bootAddr]))
  for (const n of net) while (!n.readiness().ready) await sleep(20)
  return { bootAddr, stop: async () => void (await Promise.allSettled(net.map((n) => n.drain()))) }
}

if (NETWORK_CHILD) {
  // The child: start the network, say where its bootstrap is, and drain when the parent closes stdin.
  const { bootAddr, stop } = await network()
  process.stdout.write(`${JSON.stringify({ bootAddr })}\n`)
  process.stdin.resume()
  await new Promise<void>((resolve) => process.stdin.on('end', () => resolve()))
  await stop()
  process.exit(0)
}

async function networkInChild(): Promise<{ bootAddr: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--network', '--peers', String(PEERS)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  let out = ''
  const bootAddr = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line !== undefined) resolve((JSON.parse(line) as { bootAddr: string }).bootAddr)
    })
    child.on('exit', (c) => reject(new Error(`network process exited (${c})`)))
  })
  return {
    bootAddr,
    stop: async () => {
      child.stdin.end()
      await exited
    },
  }
}

const { bootAddr, stop: stopNetwork } = IN_PROCESS ? await network() : await networkInChild()
const dir = mkdtempSync(join(tmpdir(), 'bench-restart-'))
const key = await generateKeyPair('Ed25519')
const cold: number[] = []
const warm: number[] = []
try {
  // The first run leaves the cache every warm start reads.
  await (await timeToReady(start([bootAddr], { amnesia: false, dataDir: join(dir, 'warm'), privateKey: key }), performance.now())).node.drain()
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of r % 2 === 0 ? ['cold', 'warm'] : ['warm', 'cold']) {
      const dataDir = join(dir, kind === 'cold' ? `cold-${r}` : 'warm')
      const t0 = performance.now()
      const { node, ms } = await timeToReady(start([bootAddr], { amnesia: false, dataDir, privateKey: key }), t0)
      ;(kind === 'cold' ? cold : warm).push(ms)
      await node.drain() // saves the cache the next warm start reads
    }
  }
} finally {
  await stopNetwork()
  rmSync(dir, { recursive: true, force: true })
}
const fmt = (xs: number[]): string => xs.map((x) => Math.round(x)).join(' ')
process.stdout.write(`time to ready of a restarted node, ${PEERS}-node network ${IN_PROCESS ? 'in this process' : 'in a child process'}, ${ROUNDS} rounds (ms), load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`)
process.stdout.write(`  cold: median ${Math.round(median(cold))}, max ${Math.round(Math.max(...cold))}  [${fmt(cold)}]\n`)
process.stdout.write(`  warm: median ${Math.round(median(warm))}, max ${Math.round(Math.max(...warm))}  [${fmt(warm)}]\n`)
if (process.env.BENCH_DEBUG) process.stdout.write(`  start() ms: ${fmt(startedMs)}\n  last reason: ${JSON.stringify(lastFailing)}\n`)
process.stdout.write(`  warm slower than cold in ${warm.filter((w, i) => w > cold[i]!).length} of ${ROUNDS} rounds\n`)
