// Turns the first zod issue into the one line bad input gets: "<file>: <field path>: <what is wrong>".
import type { z } from 'zod'

export function firstIssueLine(source: string, error: z.ZodError): string {
  const issue = error.issues[0]
  if (issue === undefined) return `${source}: invalid`
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[')
  return `${source}: ${path === '' ? '(top level)' : path}: ${issue.message}`
}
