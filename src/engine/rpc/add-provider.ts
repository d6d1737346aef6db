// ADD_PROVIDER: stores a provider record, only for the sender itself (a peer cannot announce
// others). No answer: the sender does not wait for one.
import type { EngineCore } from '../core.js'
import type { Contact, Request } from '../types.js'
import { toHex } from '../ids.js'
import { KEY_BYTES } from '../constants.js'

export function handleAddProvider(core: EngineCore, from: Contact, req: Request): void {
  const claim = req.providers.find((p) => p.peer === from.peer)
  if (claim === undefined) {
    core.count(core.rejected, 'provider-not-sender')
    core.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'provider-not-sender' })
    return
  }
  const v = core.store.add(toHex(req.target), claim.id.length === KEY_BYTES ? claim : from, core.nowMs + core.cfg.providerTtlMs)
  if (v === 'key-full' || v === 'store-full') core.count(core.rejected, v)
}
