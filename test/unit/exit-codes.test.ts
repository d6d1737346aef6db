// The CLI's one mapping from an error to its documented exit code: the errors carry no codes of
// their own, so every kind a command can throw is checked here.
import { describe, expect, it } from 'vitest'
import { EXIT_BAD_INPUT, EXIT_INTERNAL, exitCodeFor } from '../../src/cli/exit-codes.js'
import { BadInputError } from '../../src/common/errors.js'
import { EngineMisuseError, InvariantError } from '../../src/engine/errors.js'
import { ConfigInvalidError } from '../../src/node/config/load.js'

describe('exitCodeFor', () => {
  it('bad input, from any part, is 2', () => {
    expect(exitCodeFor(new BadInputError('scenario.yaml: duration_s: too small'))).toBe(EXIT_BAD_INPUT)
    expect(exitCodeFor(new ConfigInvalidError('dht_alpha', 'expected an integer'))).toBe(EXIT_BAD_INPUT)
    expect(exitCodeFor(new EngineMisuseError('lookup target must be 32 bytes, got 3'))).toBe(EXIT_BAD_INPUT)
    expect(EXIT_BAD_INPUT).toBe(2)
  })

  it('a broken invariant or anything unexpected is 3', () => {
    expect(exitCodeFor(new InvariantError('sent a request to itself'))).toBe(EXIT_INTERNAL)
    expect(exitCodeFor(new TypeError('x is undefined'))).toBe(EXIT_INTERNAL)
    expect(exitCodeFor('a thrown string')).toBe(EXIT_INTERNAL)
    expect(EXIT_INTERNAL).toBe(3)
  })

  it('a command\'s own error may name its code; nothing else can', () => {
    class Unreachable extends Error {
      readonly exitCode = 4
    }
    expect(exitCodeFor(new Unreachable('node unreachable (ECONNREFUSED)'))).toBe(4)
    expect(exitCodeFor(Object.assign(new Error('odd'), { exitCode: 'two' }))).toBe(EXIT_INTERNAL)
    expect(exitCodeFor(Object.assign(new Error('odd'), { exitCode: 0 }))).toBe(EXIT_INTERNAL)
    expect(exitCodeFor(null)).toBe(EXIT_INTERNAL)
  })

  it('errors keep their own class name in messages and stacks', () => {
    expect(new BadInputError('x').name).toBe('BadInputError')
    expect(new EngineMisuseError('x').name).toBe('EngineMisuseError')
    expect(new InvariantError('x').name).toBe('InvariantError')
  })
})
