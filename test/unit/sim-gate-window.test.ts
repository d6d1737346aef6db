// A gate's window in the string form ("hops_p99 <= 7 during:x") is accepted and means the same as
// the object form; a string the parser cannot read shows the object form that works.
import { describe, expect, it } from 'vitest'
import { parseGate } from '../../src/sim/gates.js'
import { parseScenarioText } from '../../src/sim/scenario.js'
import { BadInputError } from '../../src/common/errors.js'

const WITH_FAULT = 'network:\n  peers: 10\nduration_s: 600\nfaults:\n  - { id: boot-loss, at_s: 100, for_s: 100, kind: loss, percent: 50, targets: bootstrap }\n'

function errorOf(yaml: string): string {
  try {
    parseScenarioText(yaml, 'scenario.yaml')
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError)
    return (err as Error).message
  }
  throw new Error('expected a BadInputError')
}

describe('gate window in the string form', () => {
  it('parses the same as the object form', () => {
    expect(parseGate('hops_p99 <= 7 during:boot-loss').gate).toEqual(parseGate({ metric: 'hops_p99', op: '<=', threshold: 7, window: 'during:boot-loss' }).gate)
    expect(parseGate('mttr_s < 300 after:boot-loss').gate?.window).toBe('after:boot-loss')
    expect(parseGate('hops_p99 <= 5 all').gate?.window).toBe('all')
    expect(parseGate('hops_p99 <= 5').gate?.window).toBe('all')
  })

  it('is checked against the scenario faults like the object form', () => {
    const s = parseScenarioText(`${WITH_FAULT}gates: ["hops_p99 <= 7 during:boot-loss"]\n`, 'scenario.yaml')
    expect(s.gates).toEqual([{ metric: 'hops_p99', op: '<=', threshold: 7, window: 'during:boot-loss', if_not_reached: 'fail' }])
    expect(errorOf(`${WITH_FAULT}gates: ["hops_p99 <= 7 during:nope"]\n`)).toMatch(/^scenario\.yaml: gates\[0\]: window "during:nope" names no fault/)
    expect(errorOf(`${WITH_FAULT}gates: ["hops_p99 <= 7 sometimes"]\n`)).toMatch(/^scenario\.yaml: gates\[0\]: window must be "all", "during:<fault id>" or "after:<fault id>" \(got "sometimes"\)/)
  })

  it('an unreadable string shows the object form that works', () => {
    const msg = errorOf(`${WITH_FAULT}gates: ["hops_p99 <= 7 during: boot-loss"]\n`)
    expect(msg).toMatch(/^scenario\.yaml: gates\[0\]: must look like "hops_p99 <= 5" or "hops_p99 <= 7 during:<fault id>"/)
    expect(msg).toContain('{metric: hops_p99, op: "<=", threshold: 7, window: "during:<fault id>", if_not_reached: pass}')
    expect(msg).not.toContain('\n')
    // The object form the message shows is one the parser accepts.
    const shown = parseScenarioText(`${WITH_FAULT}gates: [{metric: hops_p99, op: "<=", threshold: 7, window: "during:boot-loss", if_not_reached: pass}]\n`, 'scenario.yaml')
    expect(shown.gates[0]).toEqual({ metric: 'hops_p99', op: '<=', threshold: 7, window: 'during:boot-loss', if_not_reached: 'pass' })
  })
})
