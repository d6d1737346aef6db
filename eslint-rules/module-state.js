// A local ESLint rule for src/engine: no module-level mutable state. State that outlives a call
// belongs to an engine instance (passed in, returned, or held by the object step() runs on); a
// module-level variable is shared by every engine in the process (a simulator runs thousands) and
// survives from one run to the next, which breaks both isolation and determinism.
//
// Refused, at module scope:
//   - `let` and `var` declarations;
//   - `const x = new Map()` (and Set, WeakMap, WeakSet, Array, typed arrays of non-zero length):
//     containers made to be filled;
//   - class fields declared `static` without `readonly`;
// and, from inside any function, writing through a module-level binding: `x.a = ...`, `x[i]++`,
// `delete x.a`, or calling a mutating method on it (`x.push(...)`, `x.set(...)`, `x.sort()`, ...).
// Constant tables (`const T = { ... }`) stay allowed as long as nothing writes to them.
//
//   'purity/no-module-state': 'error'

const CONTAINERS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'Array'])
const TYPED_ARRAYS = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
])
const MUTATORS = new Set([
  'push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin',
  'set', 'add', 'delete', 'clear',
])

/** Strips TypeScript wrappers (`as`, `satisfies`, `!`) from an expression. */
function unwrap(node) {
  let n = node
  while (n !== null && n !== undefined && (n.type === 'TSAsExpression' || n.type === 'TSSatisfiesExpression' || n.type === 'TSNonNullExpression')) n = n.expression
  return n
}

/** True for `new Map()`, `new Uint8Array(4)`, ...; false for a typed array of literal length 0. */
function isMutableContainer(init) {
  const n = unwrap(init)
  if (n?.type !== 'NewExpression' || n.callee.type !== 'Identifier') return false
  if (CONTAINERS.has(n.callee.name)) return true
  if (!TYPED_ARRAYS.has(n.callee.name)) return false
  const [arg] = n.arguments
  return !(n.arguments.length === 1 && arg.type === 'Literal' && arg.value === 0)
}

/** @type {import('eslint').Rule.RuleModule} */
const noModuleState = {
  meta: {
    type: 'problem',
    docs: { description: 'no module-level mutable state in the engine' },
    schema: [],
    messages: {
      letVar: '`{{kind}}` at module level is state shared by every engine in the process: keep it in the engine instance.',
      container: 'A module-level {{what}} is state shared by every engine in the process: keep it in the engine instance.',
      staticField: 'A static class field without `readonly` is state shared by every engine in the process.',
      write: 'Writes to module-level `{{name}}` from a function: state shared by every engine in the process.',
    },
  },
  create(context) {
    const sourceCode = context.sourceCode ?? context.getSourceCode()
    return {
      'Program > VariableDeclaration, Program > ExportNamedDeclaration > VariableDeclaration'(node) {
        if (node.kind === 'let' || node.kind === 'var') {
          context.report({ node, messageId: 'letVar', data: { kind: node.kind } })
          return
        }
        for (const d of node.declarations) {
          if (d.init !== null && isMutableContainer(d.init)) context.report({ node: d, messageId: 'container', data: { what: `\`new ${unwrap(d.init).callee.name}\`` } })
        }
      },
      'PropertyDefinition[static=true]'(node) {
        if (node.readonly !== true) context.report({ node, messageId: 'staticField' })
      },
      'Program:exit'(program) {
        const global = sourceCode.scopeManager.acquire(program) ?? sourceCode.scopeManager.globalScope
        const moduleScope = global.type === 'module' ? global : global.childScopes.find((s) => s.type === 'module') ?? global
        for (const variable of moduleScope.variables) {
          if (!variable.defs.some((d) => d.type === 'Variable')) continue
          for (const ref of variable.references) {
            if (ref.isTypeReference === true) continue
            if (ref.from.variableScope === moduleScope || ref.from.variableScope.type === 'global') continue
            if (writesThrough(ref.identifier)) context.report({ node: ref.identifier, messageId: 'write', data: { name: variable.name } })
          }
        }
      },
    }
  },
}

/** Does this use of a binding write into the object it names (x.a = 1, x[i]++, delete x.a, x.push(...))? */
function writesThrough(id) {
  let n = id
  // Climb x.a.b... while n is the object of a member expression.
  while (n.parent?.type === 'MemberExpression' && n.parent.object === n) {
    const m = n.parent
    const p = m.parent
    if (p?.type === 'AssignmentExpression' && p.left === m) return true
    if (p?.type === 'UpdateExpression' && p.argument === m) return true
    if (p?.type === 'UnaryExpression' && p.operator === 'delete' && p.argument === m) return true
    if (p?.type === 'CallExpression' && p.callee === m && !m.computed && m.property.type === 'Identifier' && MUTATORS.has(m.property.name)) return true
    n = m
  }
  return false
}

export default { rules: { 'no-module-state': noModuleState } }
