// Connections per source IP and per peer id, checked by libp2p's connection gater.
//
// libp2p bounds connections in the handshake node-wide (maxIncomingPendingConnections) and new
// connections per second per host, but not how many one address or one identity keeps: ten
// half-open sockets used to hold every pending slot, and one identity could keep hundreds of
// connections. The guard counts inbound sockets per IP from the moment they are accepted until
// they close (in the handshake or established alike) and refuses a new one past `perIp`; after
// the handshake, when the peer id is known, it refuses a connection past `perPeer` for that id.
// Addresses on the allow list (tests, trusted operators) are exempt, as they are from libp2p's
// own limits. A peer in the penalty box (penalty-box.ts) is refused a connection in either
// direction until its penalty ends. Refusals are reported by reason, and so is every inbound
// socket that closes before its handshake is done (`handshake-timeout` when it used its whole
// handshake time, a slow or silent socket; `handshake-failed` otherwise), so a half-open flood
// shows in the metrics.
import type { Connection, ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { allowList, ipOf } from './allow-list.js'

export type GuardRefusal = 'connections-per-ip' | 'connections-per-peer' | 'penalized' | 'handshake-timeout' | 'handshake-failed'

export interface ConnectionGuardOptions {
  readonly perIp: number
  readonly perPeer: number
  /** The time libp2p gives an inbound handshake (its inboundUpgradeTimeout). */
  readonly handshakeTimeoutMs: number
  /** Multiaddr prefixes exempt from the limits ("/ip4/127.0.0.1"). */
  readonly allow?: readonly string[]
  /** True while a peer serves a penalty: no connection to or from it. */
  readonly penalized?: (peer: string) => boolean
  readonly onRefused?: (reason: GuardRefusal) => void
}

export class ConnectionGuard {
  private readonly byIp = new Map<string, number>()
  /** Inbound sockets whose handshake finished, or that a budget refused (already counted). */
  private readonly settled = new WeakSet<MultiaddrConnection>()
  private connectionsOf: ((peer: PeerId) => Connection[]) | undefined

  constructor(private readonly opts: ConnectionGuardOptions) {
    this.allowed = allowList(opts.allow ?? [])
  }

  /** Gives the guard the stack's view of open connections (after the stack is created). */
  attach(connectionsOf: (peer: PeerId) => Connection[]): void {
    this.connectionsOf = connectionsOf
  }

  private readonly allowed: (addr: Multiaddr) => boolean

  gater(): ConnectionGater {
    return {
      denyInboundConnection: (maConn: MultiaddrConnection): boolean => {
        const ip = ipOf(maConn.remoteAddr)
        if (ip === undefined || this.allowed(maConn.remoteAddr)) return false
        const n = this.byIp.get(ip) ?? 0
        if (n >= this.opts.perIp) {
          this.opts.onRefused?.('connections-per-ip')
          return true
        }
        this.byIp.set(ip, n + 1)
        const acceptedMs = performance.now()
        maConn.addEventListener(
          'close',
          () => {
            const left = (this.byIp.get(ip) ?? 1) - 1
            if (left <= 0) this.byIp.delete(ip)
            else this.byIp.set(ip, left)
            if (this.settled.has(maConn)) return
            // Timers fire a little early or late: a socket that lasted 90 % of its time used it up.
            const timedOut = performance.now() - acceptedMs >= 0.9 * this.opts.handshakeTimeoutMs
            this.opts.onRefused?.(timedOut ? 'handshake-timeout' : 'handshake-failed')
          },
          { once: true },
        )
        return false
      },
      denyInboundEncryptedConnection: (peer: PeerId, maConn: MultiaddrConnection): boolean => {
        if (this.allowed(maConn.remoteAddr)) return false
        if (this.opts.penalized?.(peer.toString()) === true) {
          this.settled.add(maConn)
          this.opts.onRefused?.('penalized')
          return true
        }
        if (this.connectionsOf === undefined) return false
        if (this.connectionsOf(peer).length >= this.opts.perPeer) {
          this.settled.add(maConn)
          this.opts.onRefused?.('connections-per-peer')
          return true
        }
        return false
      },
      denyInboundUpgradedConnection: (_peer: PeerId, maConn: MultiaddrConnection): boolean => {
        this.settled.add(maConn)
        return false
      },
      // Our own dials too: a connection we open would carry the peer's streams just the same.
      denyDialPeer: (peer: PeerId): boolean => this.opts.penalized?.(peer.toString()) === true,
    }
  }
}
