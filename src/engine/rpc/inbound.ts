// Every message that arrives: a malformed sender is reported and dropped; a request is checked
// (target length, the per-peer rate limit), its sender observed, and it goes to its handler; a
// response goes to rpc/outbound.ts.
import type { EngineCore } from '../core.js'
import { EMPTY } from '../core.js'
import type { Contact, Message, Request } from '../types.js'
import { KEY_BYTES } from '../constants.js'
import { observe } from '../liveness.js'
import { onResponse } from './outbound.js'
import { respond } from './respond.js'
import { handlePing } from './ping.js'
import { handleFindNode } from './find-node.js'
import { handleGetProviders } from './get-providers.js'
import { handleAddProvider } from './add-provider.js'

export function onMessage(core: EngineCore, from: Contact, msg: Message): void {
  if (from.id.length !== KEY_BYTES || from.peer === core.self.peer) {
    core.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'bad-sender' })
    return
  }
  if (msg.kind === 'request') onRequest(core, from, msg)
  else onResponse(core, from, msg)
}

function onRequest(core: EngineCore, from: Contact, req: Request): void {
  if (req.target.length !== KEY_BYTES) {
    core.count(core.rejected, 'malformed')
    core.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'malformed-target' })
    return
  }
  if (core.rateLimited && !core.limiter.allow(from.peer, core.nowMs)) {
    core.count(core.rejected, 'rate-limited')
    core.emit({ kind: 'request-rejected', peer: from.peer, reason: 'rate-limited' })
    if (req.type !== 'ADD_PROVIDER') respond(core, from, req, EMPTY, EMPTY, 'rate-limited')
    return
  }
  observe(core, from)
  core.count(core.served, req.type)
  switch (req.type) {
    case 'PING':
      handlePing(core, from, req)
      break
    case 'FIND_NODE':
      handleFindNode(core, from, req)
      break
    case 'GET_PROVIDERS':
      handleGetProviders(core, from, req)
      break
    case 'ADD_PROVIDER':
      handleAddProvider(core, from, req)
      break
  }
}
