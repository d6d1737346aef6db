// PING: the answer itself is the point (the sender learns we are alive).
import type { EngineCore } from '../core.js'
import { EMPTY } from '../core.js'
import type { Contact, Request } from '../types.js'
import { respond } from './respond.js'

export function handlePing(core: EngineCore, from: Contact, req: Request): void {
  respond(core, from, req, EMPTY, EMPTY)
}
