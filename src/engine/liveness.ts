// Routing-table upkeep on every contact we hear from: a contact that proved alive is observed;
// when its bucket is full and the bucket's head has been silent for a while, the head is pinged
// (Kademlia's "ping the least recently seen before evicting it"), one ping per bucket at a time.
// The answer or the failure of that ping is handled in rpc/outbound.ts.
import type { EngineCore } from './core.js'
import { EMPTY } from './core.js'
import type { Contact } from './types.js'
import { OBS_FULL, OBS_REJECTED_BUCKET, OBS_REJECTED_TABLE } from './routing-table.js'
import { LIVENESS_CHECK_AFTER_MS } from './constants.js'
import { wellFormedId } from './contact-keys.js'

/** A contact proved alive (it sent us something or answered). */
export function observe(core: EngineCore, c: Contact): void {
  if (!wellFormedId(c)) return
  const table = core.table
  const r = table.observeCode(c, core.nowMs)
  if (r === OBS_REJECTED_BUCKET) {
    core.count(core.rejected, 'diversity-bucket')
  } else if (r === OBS_REJECTED_TABLE) {
    core.count(core.rejected, 'diversity-table')
  } else if (r === OBS_FULL) {
    const bucket = table.bucketOf(c)
    if (!core.livenessBuckets.has(bucket) && core.nowMs - table.headSeenMs(bucket) >= LIVENESS_CHECK_AFTER_MS) {
      const head = table.headEntry(bucket)
      core.livenessBuckets.add(bucket)
      core.sendRequest(head.contact, 'PING', core.self.id, core.self.id, EMPTY, { purpose: 'liveness', to: head.contact, sentMs: core.nowMs, head })
    }
  }
}

/** The liveness ping of `to`'s bucket is over (answered, refused or failed): another may go out. */
export function livenessDone(core: EngineCore, to: Contact): void {
  core.livenessBuckets.delete(core.table.bucketOf(to))
}
