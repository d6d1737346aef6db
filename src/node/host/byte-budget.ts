// A budget of bytes held on behalf of remote peers: one limit per peer, one for all peers.
//
// The frame readers reserve what they buffer (queued frames and the body of a frame being
// received) and give it back when the frame is handed on or the stream ends. A reservation
// that would take a peer, or the node, over its limit is refused and the caller resets that
// stream: one peer cannot make the node hold more than its share, whatever the number of
// streams or connections it opens.
export class ByteBudget {
  private readonly byPeer = new Map<string, number>()
  private held = 0

  constructor(
    /** Bytes one peer may have buffered at once (at least one maximum frame). */
    readonly perPeer: number,
    /** Bytes all peers together may have buffered at once. */
    readonly total: number,
  ) {}

  /** Reserves n bytes for `peer`; false, and nothing reserved, when a limit would be passed. */
  reserve(peer: string, n: number): boolean {
    if (n <= 0) return true
    const mine = this.byPeer.get(peer) ?? 0
    if (mine + n > this.perPeer || this.held + n > this.total) return false
    this.byPeer.set(peer, mine + n)
    this.held += n
    return true
  }

  release(peer: string, n: number): void {
    if (n <= 0) return
    const mine = this.byPeer.get(peer) ?? 0
    const left = Math.max(0, mine - n)
    if (left === 0) this.byPeer.delete(peer)
    else this.byPeer.set(peer, left)
    this.held = Math.max(0, this.held - Math.min(n, mine))
  }

  /** Bytes held for all peers. */
  get bytes(): number {
    return this.held
  }
}
