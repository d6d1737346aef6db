// Messages between the testbed's orchestrator and its worker processes (Node IPC, JSON).
import type { EngineConfig, LookupOp } from '../engine/index.js'
import type { FaultSpec } from '../netmodel/faults.js'
import type { PeerPlace } from '../node/shaper/link-shaper.js'
import type { StackSpec } from '../netmodel/stack.js'
import type { WorkerProbe } from './probe.js'
import type { TableDump } from './table-fill.js'

export interface NodeSpec {
  readonly idx: number
  /** 32 bytes, hex: the Ed25519 seed of the node's key (its peer id is known before it starts). */
  readonly keySeed: string
  readonly bootstraps: readonly string[]
  /** Fixed port for the libp2p listener (0: any); kept across restarts so bootstraps stay valid. */
  readonly port: number
  readonly place: PeerPlace
}

export type ToWorker =
  | { readonly t: 'init'; readonly engine: EngineConfig; readonly directory: readonly (readonly [string, PeerPlace])[]; readonly jitter: { median: number; sigma: number }; readonly loss: number; readonly adminToken: string; readonly seed: string; readonly pq: boolean; readonly connectionMonitor: boolean; readonly stack: Pick<StackSpec, 'setup_rtts' | 'stream_rtts'> | null }
  | { readonly t: 'start'; readonly node: NodeSpec }
  | { readonly t: 'stop'; readonly idx: number }
  | { readonly t: 'lookup'; readonly id: number; readonly idx: number; readonly op: LookupOp; readonly key: string }
  | { readonly t: 'fault'; readonly spec: FaultSpec; readonly members: readonly string[] | null }
  | { readonly t: 'clear'; readonly id: string }
  /** Memory, CPU and the probe; `final`: also the answered requests' round trips since the window began. */
  | { readonly t: 'stats'; readonly final?: boolean }
  /** The measured window starts: the starvation probe starts over. */
  | { readonly t: 'probe-reset' }
  | { readonly t: 'shutdown' }

export type FromWorker =
  | { readonly t: 'ready-to-work' }
  | { readonly t: 'started'; readonly idx: number; readonly peerId: string; readonly addr: string; readonly httpPort: number }
  | { readonly t: 'start-failed'; readonly idx: number; readonly error: string }
  /** The node's /readyz turned 200; `readyS` is seconds since its start (the first time: its time to ready). */
  | { readonly t: 'node-ready'; readonly idx: number; readonly readyS: number }
  /** The node's /readyz stopped answering 200 after it had. */
  | { readonly t: 'node-unready'; readonly idx: number }
  | { readonly t: 'stopped'; readonly idx: number }
  | {
      readonly t: 'lookup-done'
      readonly id: number
      readonly latencyMs: number
      readonly hops: number
      readonly messages: number
      readonly success: boolean
      readonly error: string | null
      readonly providers: readonly string[]
      readonly closest: readonly string[]
    }
  /** An answer to `stats`; the answer to a `final` one says so and carries the requests' times and the tables. */
  | { readonly t: 'stats'; readonly rssBytes: number; readonly cpuUserUs: number; readonly cpuSystemUs: number; readonly nodes: number; readonly drops: number; readonly probe: WorkerProbe; readonly final?: boolean; readonly rpc?: { readonly first: readonly number[]; readonly open: readonly number[] }; readonly tables?: readonly TableDump[] }
  | { readonly t: 'bye' }

/** 127.<1 + idx / 256>.<idx % 256>.1: a /24 of its own per node. */
export function loopbackHost(idx: number): string {
  return `127.${1 + (idx >> 8)}.${idx & 255}.1`
}
