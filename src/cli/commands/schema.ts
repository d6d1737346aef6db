// `dht-sim schema scenario`: prints the JSON Schema of scenario files (for editors), generated
// from the one zod definition in src/sim/scenario.ts.
import type { Command } from 'commander'
import { BadInputError } from '../../common/errors.js'
import { scenarioJsonSchema } from '../../sim/scenario.js'

const SCHEMAS: Record<string, () => unknown> = {
  scenario: scenarioJsonSchema,
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of a file format (scenario)')
    .argument('<kind>', `one of: ${Object.keys(SCHEMAS).join(', ')}`)
    .action((kind: string) => {
      const make = SCHEMAS[kind]
      if (make === undefined) throw new BadInputError(`schema: unknown kind "${kind}" (known: ${Object.keys(SCHEMAS).join(', ')})`)
      process.stdout.write(`${JSON.stringify(make(), null, 2)}\n`)
    })
}
