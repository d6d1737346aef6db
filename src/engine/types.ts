// The engine's vocabulary: contacts, messages, the inputs a driver feeds to `step` and the
// outputs it applies. Plain typed objects: the wire codec is the node's business, and the
// simulator passes these objects by reference without serialising them.
import type { NodeId } from './ids.js'

/**
 * A peer as the engine knows it. Drivers should hand the engine the same object for the same
 * peer where they can (the simulator does): tables then share it instead of copying it.
 */
export interface Contact {
  /** 256-bit Kademlia id (node: SHA-256 of the libp2p peer id bytes). */
  readonly id: NodeId
  /** The driver's handle for the peer, unique per identity (node: peer id string; sim: "p123"). */
  readonly peer: string
  /** Transport addresses (node: multiaddr strings; sim: "ip:port"). */
  readonly addrs: readonly string[]
  /** IPv4 /24 group ("10.1.2") used by diversity rules; "" when unknown. */
  readonly ipGroup: string
  /**
   * Derived keys, optional (contact-keys.ts): the id's first 16 bits, its next 32 bits (signed) and
   * hashString(peer). A driver that sets them (the simulator does, through contact-keys.ts) spares
   * the hot paths a read of the id's bytes and of the handle's characters; they must agree with id
   * and peer, and be set only for a KEY_BYTES-long id.
   */
  readonly idHi?: number
  readonly idLo?: number
  readonly peerHash?: number
}

export type RpcType = 'PING' | 'FIND_NODE' | 'GET_PROVIDERS' | 'ADD_PROVIDER'

export interface Request {
  readonly kind: 'request'
  /** Correlates the response; unique per sender while in flight. */
  readonly rpcId: number
  readonly type: RpcType
  /** The record key as it travels on the wire (b3 key bytes, CID multihash, peer id bytes). */
  readonly key: Uint8Array
  /** The point in the keyspace the request is about (node: SHA-256 of key; sim: key itself). */
  readonly target: NodeId
  /** ADD_PROVIDER: the provider being announced (must be the sender). */
  readonly providers: readonly Contact[]
}

export interface Response {
  readonly kind: 'response'
  readonly rpcId: number
  readonly type: RpcType
  readonly closer: readonly Contact[]
  readonly providers: readonly Contact[]
  /** Set when the responder refused the request (e.g. "rate-limited", "overloaded"). */
  readonly error?: string
}

export type Message = Request | Response

export type LookupOp = 'FIND_NODE' | 'GET_PROVIDERS' | 'PROVIDE'

export type Input =
  /** Join the network through these contacts (may be empty for the first node). */
  | { readonly kind: 'start'; readonly bootstraps: readonly Contact[] }
  /** A message arrived from `from`. */
  | { readonly kind: 'message'; readonly from: Contact; readonly msg: Message }
  /** The transport could not deliver a request or got no answer (refused, reset, rejected). */
  | { readonly kind: 'rpc-failed'; readonly to: Contact; readonly rpcId: number; readonly reason: string }
  /** Request rpcId needs a new connection first (dial and handshakes): it gets the first-contact budget. */
  | { readonly kind: 'rpc-dialing'; readonly rpcId: number }
  /** The connection for request rpcId is up and the request is going out: the per-hop clock starts. */
  | { readonly kind: 'rpc-connected'; readonly rpcId: number }
  /** Time passed: the driver calls this at (or after) the last returned nextDeadlineMs. */
  | { readonly kind: 'timer' }
  /** Start a lookup. `tag` comes back in the lookup-done event. */
  | {
      readonly kind: 'lookup'
      readonly op: LookupOp
      readonly key: Uint8Array
      readonly target: NodeId
      readonly tag: number
    }
  /** Seed the routing table from a saved cache (node restart); contacts are unverified. */
  | { readonly kind: 'seed-contacts'; readonly contacts: readonly Contact[] }
  /**
   * Restore what a restarting node kept (before `start`): the keys it provides, re-announced as
   * soon as it has joined, and the provider records it held, kept until they expire.
   */
  | { readonly kind: 'seed-content'; readonly content: EngineContent }
  /**
   * How loaded the driver is (admission.ts): how long work waits before it runs, and the inbound
   * requests it holds unanswered. Holds until the next one; 0/0 admits everything.
   */
  | { readonly kind: 'load'; readonly delayMs: number; readonly inflight: number }
  /**
   * Re-announce now every key this node provides (an operator's command): after a switch to the
   * strict profile, records placed before it may sit only on Sybils that never stored them.
   */
  | { readonly kind: 'reprovide' }
  /** Stop: pending lookups end with error "stopped"; no more timers. */
  | { readonly kind: 'stop' }

/** A key this node provides (re-announced every providerRepublishMs). */
export interface ProvidedKey {
  readonly key: Uint8Array
  readonly target: NodeId
}

/** A provider record this node holds for others: the key's target in hex, who provides it, until when. */
export interface HeldRecord {
  readonly keyHex: string
  readonly provider: Contact
  readonly expiresMs: number
}

/** What a node keeps across a restart besides its contacts (DhtEngine.content(), input seed-content). */
export interface EngineContent {
  readonly provided: readonly ProvidedKey[]
  readonly records: readonly HeldRecord[]
}

export interface Send {
  readonly to: Contact
  readonly msg: Message
}

export interface LookupResult {
  readonly tag: number
  readonly op: LookupOp
  readonly target: NodeId
  readonly startMs: number
  readonly endMs: number
  /** Longest chain of replies that led to the result (1 = answered by a contact we already had). */
  readonly hops: number
  /** Requests this lookup sent (PROVIDE includes its ADD_PROVIDER messages). */
  readonly messages: number
  readonly success: boolean
  /** The closest contacts that answered, nearest first (at most k). */
  readonly closest: readonly Contact[]
  /** GET_PROVIDERS: providers found (deduplicated, in order found). */
  readonly providers: readonly Contact[]
  /** Why it failed, when it did: "busy" (shed), "stopped", "no-contacts", "not-found", "exhausted". */
  readonly error?: string
  /**
   * A PROVIDE with detection on, answered once the k nearest peers were sent the record: its store
   * on the wider region (2k, 4k in a suspect region) goes on, and a `provide-stored` event with the
   * same tag follows when it ends. `messages` counts the requests sent until this answer. Absent
   * otherwise.
   */
  readonly storing?: true
}

export type EngineEvent =
  | ({ readonly kind: 'lookup-done' } & LookupResult)
  | { readonly kind: 'ready-changed'; readonly ready: boolean; readonly reason: string }
  | { readonly kind: 'peer-misbehaved'; readonly peer: string; readonly reason: string }
  | { readonly kind: 'request-rejected'; readonly peer: string; readonly reason: string }
  | { readonly kind: 'bootstrap-round-failed'; readonly attempt: number; readonly retryInMs: number }
  | { readonly kind: 'sybil-suspected'; readonly target: NodeId; readonly ratio: number }
  /**
   * The wider store of a PROVIDE answered early (lookup-done with `storing`) is done: `messages`
   * more requests were sent after the answer (FIND_NODEs and ADD_PROVIDERs), and the record went
   * to `placed` of the nearest peers the lookup ended with (late answerers still get it).
   */
  | { readonly kind: 'provide-stored'; readonly tag: number; readonly messages: number; readonly placed: number }

export interface Output {
  readonly sends: Send[]
  readonly events: EngineEvent[]
  /**
   * When the driver must next call step({kind:'timer'}); Infinity when nothing is pending. It may
   * be <= nowMs (something is already due): the driver then calls as soon as it can.
   */
  readonly nextDeadlineMs: number
}

export interface Readiness {
  readonly ready: boolean
  /** Bootstrap contacts that answered within BOOTSTRAP_LIVE_WINDOW_MS. */
  readonly liveBootstraps: number
  readonly tableSize: number
  readonly tableWarm: boolean
  readonly joined: boolean
  /** Human-readable reason when not ready ("" when ready). */
  readonly reason: string
}

export interface EngineStats {
  readonly tableSize: number
  readonly inflightLookups: number
  readonly queuedLookups: number
  readonly providerKeys: number
  readonly providerRecords: number
  readonly liveBootstraps: number
  /** Requests refused by policy, by reason. */
  readonly rejected: Readonly<Record<string, number>>
  /** Inbound requests served, by RPC type. */
  readonly served: Readonly<Record<string, number>>
}
