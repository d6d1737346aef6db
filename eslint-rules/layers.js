// A local ESLint rule: the parts under src/ import only the parts they stand on (docs/ARCHITECTURE.md,
// "The parts"). A part is the first folder under src/, or a top-level file by its bare name. Every relative import,
// export-from and literal dynamic import is resolved against the importing file; one that lands
// in another part must be on the importing part's list. Imports that leave src/ are refused for
// parts whose list says `outside: false`.
//
//   'layers/imports': ['error', { root: 'src', parts: { engine: { may: [], outside: false }, sim: { may: ['engine'] }, ... } }]
import path from 'node:path'

/** @type {import('eslint').Rule.RuleModule} */
const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'each part under src/ imports only the parts it stands on' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          parts: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              properties: { may: { type: 'array', items: { type: 'string' } }, outside: { type: 'boolean' } },
              required: ['may'],
              additionalProperties: false,
            },
          },
        },
        required: ['root', 'parts'],
        additionalProperties: false,
      },
    ],
    messages: {
      forbidden: 'src/{{from}} may not import src/{{to}} (it may import: {{allowed}}).',
      outside: 'src/{{from}} imports nothing outside src/{{from}} ({{spec}}).',
      unknownPart: 'src/{{from}} is not a known part: add it to the layers rule in eslint.config.js.',
    },
  },
  create(context) {
    const { root, parts } = context.options[0]
    const rootDir = path.resolve(context.cwd, root)
    const file = path.resolve(context.cwd, context.physicalFilename)
    const rel = path.relative(rootDir, file)
    if (rel.startsWith('..') || path.isAbsolute(rel)) return {}
    // A top-level file is a part under its name without extension: src/polyfill.ts is "polyfill".
    const partOf = (r) => r.split(path.sep)[0].replace(/\.[cm]?[jt]s$/, '')
    const from = partOf(rel)
    const rules = parts[from]
    if (rules === undefined) {
      return {
        Program(node) {
          context.report({ node, messageId: 'unknownPart', data: { from } })
        },
      }
    }
    const check = (node, source) => {
      if (source === null || source === undefined || source.type !== 'Literal' || typeof source.value !== 'string') return
      const spec = source.value
      if (!spec.startsWith('.')) return
      const target = path.relative(rootDir, path.resolve(path.dirname(file), spec))
      if (target.startsWith('..') || path.isAbsolute(target)) {
        if (rules.outside === false) context.report({ node: source, messageId: 'outside', data: { from, spec } })
        return
      }
      const to = partOf(target)
      // A "part/folder" entry allows that folder of another part only (e.g. the node's pure wire codec).
      const inFolder = (m) => m.includes('/') && (target === m || target.startsWith(m.split('/').join(path.sep) + path.sep))
      if (to === from || rules.may.includes(to) || rules.may.some(inFolder)) return
      context.report({ node: source, messageId: 'forbidden', data: { from, to, allowed: rules.may.length === 0 ? 'nothing outside itself' : rules.may.join(', ') } })
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    }
  },
}

export default { rules: { imports: importsRule } }
