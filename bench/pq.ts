// PQ authentication bench: what ML-DSA-87 peer authentication costs a node.
//
//   npm run build && node dist/bench/pq.js [--handshakes 30] [--starts 5] [--seconds 3]
//
// 1. sign and verify alone (CPU, one core);
// 2. one handshake on a fresh connection between two of our nodes on 127.0.0.1: the time from
//    opening our challenge stream to a verified proof, and the bytes on the wire;
// 3. time to ready of a new node joining a 3-node network, with REQUIRE_PQ_ON off and on
//    (alternated, one node started per run, in this process);
// 4. requests per second one node serves to another over one connection (GET_PROVIDERS, 16 in
//    flight), with enforcement off and on: the per-request cost of the admission check.
await import('../dist/polyfill.js')
const { performance } = await import('node:perf_hooks')
const { ml_dsa87 } = await import('@noble/post-quantum/ml-dsa.js')
const { DhtNode } = await import('../dist/node/dht-node.js')
const { createLogger } = await import('../dist/node/log.js')
const { engineConfig } = await import('../dist/engine/index.js')
const { multiaddr } = await import('@multiformats/multiaddr')
const { probeProviders } = await import('../dist/node/repair/direct-rpc.js')

const argv = process.argv.slice(2)
const arg = (n: string, d: number): number => {
  const i = argv.indexOf(n)
  return i === -1 ? d : Number(argv[i + 1])
}
const HANDSHAKES = arg('--handshakes', 30)
const STARTS = arg('--starts', 5)
const SECONDS = arg('--seconds', 3)

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const r1 = (x: number): number => Math.round(x * 10) / 10

type Node = InstanceType<typeof DhtNode>
const log = createLogger({ level: 'silent' })

async function start(requirePq: boolean, bootstraps: string[] = []): Promise<Node> {
  const n = new DhtNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    httpHost: '127.0.0.1',
    httpPort: 0,
    engine: engineConfig({ warmTableSize: 2 }),
    bootstraps,
    amnesia: true,
    drainTimeoutMs: 1_000,
    allow: ['/ip4/127.0.0.1'],
    requirePq,
    log,
    version: 'bench',
    commit: 'bench',
  })
  await n.start()
  return n
}

const loop = (a: Node): string => a.multiaddrs.find((x) => x.startsWith('/ip4/127.0.0.1/'))!

async function untilReady(n: Node): Promise<void> {
  while (!n.readiness().ready) await new Promise((r) => setTimeout(r, 5))
}

// 1. sign / verify
const key = ml_dsa87.keygen(new Uint8Array(32).fill(1))
const msg = new Uint8Array(200).fill(7)
const signMs: number[] = []
const verifyMs: number[] = []
for (let i = 0; i < 50; i++) {
  let t = performance.now()
  const sig = ml_dsa87.sign(msg, key.secretKey)
  signMs.push(performance.now() - t)
  t = performance.now()
  ml_dsa87.verify(sig, msg, key.publicKey)
  verifyMs.push(performance.now() - t)
}

// 2. handshakes on fresh connections
const a = await start(false)
const b = await start(false)
const hsMs: number[] = []
let bytes = 0
for (let i = 0; i < HANDSHAKES; i++) {
  await b.stack.hangUp(a.stack.peerId)
  const conn = await b.stack.dial(multiaddr(loop(a)))
  const res = await b.pq.resultFor(conn)
  if (res.outcome !== 'ok') throw new Error(`handshake ${i}: ${res.outcome}`)
  hsMs.push(res.ms)
  bytes = res.bytes
}
await Promise.all([a.drain(), b.drain()])

// 3. time to ready, alternating off / on
const ready: Record<'off' | 'on', number[]> = { off: [], on: [] }
for (let i = 0; i < STARTS; i++) {
  for (const mode of ['off', 'on'] as const) {
    const pq = mode === 'on'
    const net = [await start(pq)]
    net.push(await start(pq, [loop(net[0]!)]), await start(pq, [loop(net[0]!)]))
    await Promise.all(net.map(untilReady))
    const t0 = performance.now()
    const n = await start(pq, [loop(net[0]!)])
    await untilReady(n)
    ready[mode].push(performance.now() - t0)
    await Promise.all([...net, n].map((x) => x.drain()))
  }
}

// 4. requests per second over one connection
const rps: Record<'off' | 'on', number> = { off: 0, on: 0 }
for (const mode of ['off', 'on'] as const) {
  const server = await start(mode === 'on')
  const client = await start(mode === 'on', [loop(server)])
  await untilReady(client).catch(() => undefined)
  const to = client.book.fromPeerId(server.stack.peerId, [loop(server).split('/p2p/')[0]!])
  const ctx = { stack: client.stack, book: client.book, admission: client.pq, timeoutMs: 5_000 }
  const keyBytes = new Uint8Array(34).fill(3)
  let done = 0
  const end = performance.now() + SECONDS * 1000
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < end) {
        const r = await probeProviders(ctx, to, keyBytes)
        if (r.ok) done++
      }
    }),
  )
  rps[mode] = done / SECONDS
  await Promise.all([server.drain(), client.drain()])
}

const report = {
  sign_ms_median: r1(median(signMs)),
  verify_ms_median: r1(median(verifyMs)),
  handshake_ms_median: r1(median(hsMs)),
  handshake_ms_min: r1(Math.min(...hsMs)),
  handshake_bytes_one_direction: bytes,
  handshake_bytes_per_connection: 2 * bytes,
  ready_ms_median: { off: Math.round(median(ready.off)), on: Math.round(median(ready.on)) },
  ready_ms_all: { off: ready.off.map(Math.round), on: ready.on.map(Math.round) },
  get_providers_per_s_16_inflight: { off: Math.round(rps.off), on: Math.round(rps.on) },
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
process.exit(0)
