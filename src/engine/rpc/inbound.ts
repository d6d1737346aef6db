// Every message that arrives: a malformed sender is reported and dropped; a request is checked
// (target length, admission control under the driver's load, the per-peer rate limit), its sender
// observed, and it goes to its handler; a response goes to rpc/outbound.ts. A refused request
// costs nothing more than its refusal: it is counted, reported, answered with the reason (but
// ADD_PROVIDER, which has no answer) and neither observed nor looked up.
import type { EngineCore } from '../core.js'
import { EMPTY } from '../core.js'
import type { Contact, Message, Request } from '../types.js'
import { KEY_BYTES } from '../constants.js'
import { observe } from '../liveness.js'
import { samePeer, wellFormedId } from '../contact-keys.js'
import { OVERLOADED, overloaded } from '../admission.js'
import { onResponse } from './outbound.js'
import { respond } from './respond.js'
import { handlePing } from './ping.js'
import { handleFindNode } from './find-node.js'
import { handleGetProviders } from './get-providers.js'
import { handleAddProvider } from './add-provider.js'

export function onMessage(core: EngineCore, from: Contact, msg: Message): void {
  if (!wellFormedId(from) || samePeer(from, core.self)) {
    core.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: 'bad-sender' })
    return
  }
  if (msg.kind === 'request') onRequest(core, from, msg)
  else onResponse(core, from, msg)
}

function onRequest(core: EngineCore, from: Contact, req: Request): void {
  if (req.target.length !== KEY_BYTES) return refuse(core, from, req, 'malformed', true)
  // Overload first: the cheapest refusal, and a busy node should not spend a token of the peer's rate.
  if (overloaded(core, req.type)) return refuse(core, from, req, OVERLOADED, false)
  if (core.rateLimited && !core.limiter.allow(from.peer, core.nowMs)) return refuse(core, from, req, 'rate-limited', false)
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

/**
 * A request refused before any work: counted by reason, and reported — as misbehaviour (a
 * malformed request, dropped unanswered) or as a refusal the asker hears about at once.
 */
function refuse(core: EngineCore, from: Contact, req: Request, reason: string, misbehaved: boolean): void {
  core.count(core.rejected, reason)
  if (misbehaved) {
    core.emit({ kind: 'peer-misbehaved', peer: from.peer, reason: `${reason}-target` })
    return
  }
  core.emit({ kind: 'request-rejected', peer: from.peer, reason })
  if (req.type !== 'ADD_PROVIDER') respond(core, from, req, EMPTY, EMPTY, reason)
}
