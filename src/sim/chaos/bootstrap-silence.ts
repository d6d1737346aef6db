// Whether a peer's live bootstrap count is 0 (no bootstrap answered within the live window), for
// the bootstrap-peers alert, which asks it of every peer at every evaluation. Reading each
// engine would touch a cold object per peer; instead the answer time read last is kept: a
// peer's latest bootstrap answer only moves later while its engine lives, so while the window
// after the answer seen last is still open, the one after the current answer is too.
export class BootstrapSilence {
  /** Per peer: its engine's latest bootstrap answer when read last (-Infinity: none, or a new engine). */
  private readonly seenMs: Float64Array

  constructor(
    n: number,
    private readonly windowMs: number,
    /** The peer's engine's lastBootstrapAnswerMs, read now. */
    private readonly lastAnswerMs: (peer: number) => number,
  ) {
    this.seenMs = new Float64Array(n).fill(-Infinity)
  }

  /** The peer has a new engine, which has heard from no bootstrap yet. */
  restarted(peer: number): void {
    this.seenMs[peer] = -Infinity
  }

  /** Whether no bootstrap answered the peer within the window at nowMs: DhtEngine.liveBootstraps(nowMs) === 0. */
  silent(peer: number, nowMs: number): boolean {
    if (nowMs - this.seenMs[peer]! <= this.windowMs) return false
    const lastMs = this.lastAnswerMs(peer)
    this.seenMs[peer] = lastMs
    return nowMs - lastMs > this.windowMs
  }
}
