// What the node-under-attack benches share: a `dht-sim serve` in its own process, the process's
// RSS and CPU from /proc, a lean libp2p client, and the honest peer's latency sampler.
//
// The honest peer is what the benches judge a flood by: one connection, one FIND_NODE at a time,
// each on a fresh stream with libp2p's full negotiation (as a stock kad client asks), timed from
// opening the stream to the first byte of the answer. A refused or failed request is counted as
// failed and left out of the percentiles, so a run reports both.
import '../dist/polyfill.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Connection, Libp2p } from '@libp2p/interface'
import { frame } from '../dist/node/host/rpc-io.js'
import { MessageType } from '../dist/wire/message.js'
import { KAD_PROTOCOL, libp2pLogger } from '../dist/node/host/libp2p-node.js'

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export interface Server {
  readonly proc: ChildProcess
  /** The node's /ip4/127.0.0.1 multiaddr. */
  readonly addr: string
  readonly http: number
}

/**
 * Starts `node <bin> serve` on 127.0.0.1 (amnesia, random ports, no allow list) with `extra`
 * flags, and resolves once its HTTP API names its address.
 */
export async function startServer(bin: string, extra: readonly string[], logLevel = 'warn'): Promise<Server> {
  const dhtPort = 20000 + Math.floor(Math.random() * 20000)
  const httpPort = dhtPort + 1
  const proc = spawn(process.execPath, [bin, 'serve', '--dht-addr', `127.0.0.1:${dhtPort}`, '--metrics-addr', `127.0.0.1:${httpPort}`, '--ron-amnesia', 'on', '--dht-log-level', logLevel, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  proc.stdout!.resume()
  const exited = new Promise<never>((_, reject) => proc.on('exit', (c) => reject(new Error(`server exited ${c}`))))
  const addr = await Promise.race([
    exited,
    (async (): Promise<string> => {
      for (;;) {
        try {
          const self = (await (await fetch(`http://127.0.0.1:${httpPort}/v1/self`)).json()) as { addrs?: string[] }
          const a = self.addrs?.find((x) => x.startsWith('/ip4/127.0.0.1/'))
          if (a !== undefined) return a
        } catch {
          // not up yet
        }
        await sleep(100)
      }
    })(),
  ])
  return { proc, addr, http: httpPort }
}

/** A process's resident set in MiB (VmRSS). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : -1
}

/** User + system CPU seconds of a process so far. */
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

/** One sample of a node's /metrics (the first capture group of `re`), 0 when absent. */
/** What a flood costs while it runs: the server's peak RSS and the attacker process's CPU, sampled every 250 ms. */
export interface FloodWatch {
  readonly peakMiB: () => number
  /** The attacker's CPU seconds at its last sample (the last one before it exited stands). */
  readonly attackerCpuS: () => number
  readonly stop: () => void
}

export function watchFlood(serverPid: number, attackerPid: number): FloodWatch {
  let peak = rssMiB(serverPid)
  let attackerCpu = 0
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB(serverPid))
    try {
      attackerCpu = cpuSeconds(attackerPid)
    } catch {
      // exited: the last sample stands
    }
  }, 250)
  return { peakMiB: () => peak, attackerCpuS: () => attackerCpu, stop: () => clearInterval(timer) }
}

export async function metric(srv: Server, re: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${srv.http}/metrics`)).text()
  return Number(re.exec(text)?.[1] ?? 0)
}

/** A libp2p client with TCP, Noise, yamux and identify, and libp2p's debug loggers off. */
export async function leanClient(listen: readonly string[] = []): Promise<Libp2p> {
  const logger = libp2pLogger()
  return createLibp2p({
    ...(logger ? { logger } : {}),
    addresses: { listen: [...listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
}

const HONEST_KEY = new Uint8Array(32).fill(3)

/** One FIND_NODE on a fresh stream: milliseconds to the first byte of the answer, or undefined. */
export async function honestFindNode(conn: Connection): Promise<number | undefined> {
  const t0 = performance.now()
  try {
    const s = await conn.newStream(KAD_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
    const answered = new Promise<boolean>((resolve) => {
      s.addEventListener('message', () => resolve(true), { once: true })
      s.addEventListener('close', () => resolve(false), { once: true })
    })
    s.send(frame({ type: MessageType.FIND_NODE, key: HONEST_KEY, closerPeers: [], providerPeers: [] }))
    const ok = await answered
    s.abort(new Error('done'))
    return ok ? performance.now() - t0 : undefined
  } catch {
    return undefined
  }
}

export interface Latency {
  readonly p50: number
  readonly p95: number
  readonly failed: number
  readonly samples: number
}

/** `n` sequential FIND_NODEs: p50 and p95 of those answered (ms, one decimal), and how many failed. */
export async function honestLatency(conn: Connection, n: number): Promise<Latency> {
  const xs: number[] = []
  for (let i = 0; i < n; i++) {
    const ms = await honestFindNode(conn)
    if (ms !== undefined) xs.push(ms)
  }
  xs.sort((a, b) => a - b)
  const at = (q: number): number => Math.round((xs[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? NaN) * 10) / 10
  return { p50: at(0.5), p95: at(0.95), failed: n - xs.length, samples: n }
}
