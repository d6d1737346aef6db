// GET_PROVIDERS: the providers we store for the key, and the k contacts closest to it.
import type { EngineCore } from '../core.js'
import type { Contact, Request } from '../types.js'
import { toHex } from '../ids.js'
import { peerHashOf } from '../contact-keys.js'
import { respond } from './respond.js'

export function handleGetProviders(core: EngineCore, from: Contact, req: Request): void {
  const k = core.cfg.k
  respond(core, from, req, core.table.closestSet(req.target, k, from.peer, true, undefined, peerHashOf(from)), core.store.get(toHex(req.target), core.nowMs, k))
}
