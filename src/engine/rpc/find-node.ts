// FIND_NODE: the k contacts we know closest to the target (never the asker itself). A FIND_NODE
// for the asker's own id is its self-lookup: the table remembers it as an announcement, and a
// FIND_NODE for exactly an announcer's id names the announcer (routing-table.ts).
import type { EngineCore } from '../core.js'
import { EMPTY } from '../core.js'
import type { Contact, Request } from '../types.js'
import { hasId, peerHashOf } from '../contact-keys.js'
import { respond } from './respond.js'

export function handleFindNode(core: EngineCore, from: Contact, req: Request): void {
  if (hasId(from, req.target)) core.table.noteAnnounce(from, core.nowMs)
  respond(core, from, req, core.table.closestSet(req.target, core.cfg.k, from.peer, true, core.nowMs, peerHashOf(from)), EMPTY)
}
