// Answering a request: one response message per request (the handlers and the rate limiter's
// refusal all answer through here).
import type { EngineCore } from '../core.js'
import type { Contact, Request, Response } from '../types.js'

export function respond(core: EngineCore, to: Contact, req: Request, closer: readonly Contact[], providers: readonly Contact[], error?: string): void {
  const msg: Response = error === undefined
    ? { kind: 'response', rpcId: req.rpcId, type: req.type, closer, providers }
    : { kind: 'response', rpcId: req.rpcId, type: req.type, closer, providers, error }
  core.pushSend({ to, msg })
}
