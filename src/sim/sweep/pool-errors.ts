// The errors a simulation job (a sweep cell, a gate scenario) can end in, as they cross a worker
// thread: bad input and a broken engine invariant come back as themselves (exit 2 and 3).
import { BadInputError } from '../../common/errors.js'
import type { ErrorKinds } from '../../common/worker-pool.js'
import { InvariantError } from '../../engine/errors.js'

export const SIM_ERROR_KINDS: ErrorKinds = {
  kindOf: (err) => (err instanceof BadInputError ? 'bad-input' : err instanceof InvariantError ? 'invariant' : 'other'),
  errorOf: (kind, message) => (kind === 'bad-input' ? new BadInputError(message) : kind === 'invariant' ? new InvariantError(message) : new Error(message)),
}
