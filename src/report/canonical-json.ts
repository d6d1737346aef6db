// JSON with object keys sorted at every level: the same value always gives the same bytes, whatever
// order its keys were inserted in. Used for the committed baseline and for scenario fingerprints.
import { createHash } from 'node:crypto'

function sortKeys(value: unknown, depth: number): unknown {
  if (depth > 64) throw new RangeError('value nested deeper than 64 levels')
  if (Array.isArray(value)) return value.map((v) => sortKeys(v, depth + 1))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k], depth + 1)
    return out
  }
  return value
}

export function canonicalJson(value: unknown, indent = 0): string {
  return JSON.stringify(sortKeys(value, 0), null, indent)
}

/** sha256 of the canonical JSON, hex. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex')
}
