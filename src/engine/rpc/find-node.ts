// FIND_NODE: the k contacts we know closest to the target (never the asker itself).
import type { EngineCore } from '../core.js'
import { EMPTY } from '../core.js'
import type { Contact, Request } from '../types.js'
import { respond } from './respond.js'

export function handleFindNode(core: EngineCore, from: Contact, req: Request): void {
  respond(core, from, req, core.table.closestSet(req.target, core.cfg.k, from.peer, true), EMPTY)
}
