// A comparison variant: the resolved scenario with a few fields changed (dotted paths, e.g.
// {"dht.policy": "default"} for "defences off"), validated again, without variants of its own.
import { BadInputError } from '../../common/errors.js'
import { resolveScenario, type ResolvedScenario } from '../scenario.js'
import { setPath } from '../sweep/grid.js'
import type { VariantSpec } from '../faults/chaos-schema.js'

export function variantScenario(base: ResolvedScenario, v: VariantSpec): ResolvedScenario {
  const raw = JSON.parse(JSON.stringify({ ...base, variants: [] })) as Record<string, unknown>
  for (const [path, value] of Object.entries(v.set)) {
    if (path === 'variants') throw new BadInputError(`variants "${v.label}": cannot set variants`)
    setPath(raw, path, typeof value === 'boolean' ? String(value) : value)
  }
  return resolveScenario(raw, `variant "${v.label}"`, base.name)
}
