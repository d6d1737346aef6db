// Re-announcing ourselves while a Sybil cluster is packed around our id. Our self-lookup tells the
// peers it reaches that we exist (they remember it: announced-peers.ts), but it is made at join
// and then once a refresh interval, and the neighbours that join after it, or that it did not
// reach through the cluster, never hear of us: with the cluster in the same quarter of their
// buckets as we are (routing-table.ts: quarterFull), none of them keeps us, and a FIND_NODE for our
// id finds only the cluster. So while our own table says that we are inside a cluster (query/density.ts:
// packedAroundUs), we repeat
// the self-lookup every ANNOUNCE_INTERVAL_MS. The check is the table's: contacts sharing
// PACKED_EXTRA_BITS more bits with us than the network size says any peer should are about 1/8
// of a peer in an honest network, dozens inside a cluster; k/4 of them is the sign. A node not
// in a cluster pays a look at its bucket sizes each interval; only with a policy that keeps
// announcements (the strict profile) is any of this done.
import type { EngineCore } from './core.js'
import { requestLookup } from './query/queue.js'
import { packedAroundUs } from './query/density.js'
import { ANNOUNCE, timerPayload } from './timer-kinds.js'
import { ANNOUNCE_INTERVAL_MS } from './constants.js'

/** Arms the next check, ANNOUNCE_INTERVAL_MS from now (a no-op without an announcement policy). */
export function armAnnounce(core: EngineCore): void {
  if ((core.cfg.policy.announcedPeers ?? 0) <= 0) return
  core.timers.push(core.nowMs + ANNOUNCE_INTERVAL_MS, timerPayload(ANNOUNCE))
}

/** The check: a self-lookup when we are packed in, and the next check armed. */
export function onAnnounceTimer(core: EngineCore): void {
  if (core.joined && packedAroundUs(core)) requestLookup(core, 'FIND_NODE', core.self.id, core.self.id, -1, 'refresh')
  armAnnounce(core)
}
