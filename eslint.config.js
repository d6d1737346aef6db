// ESLint flat config. The block scoped to src/engine/** is the purity rule from DESIGN.md:
// the engine is a sans-IO state machine, so it may not reach the clock, randomness, timers,
// the process or any IO/networking module. Time is an argument; randomness is an injected Rng.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

const engineForbiddenGlobals = [
  { name: 'Date', message: 'The engine takes time as an argument (nowMs).' },
  { name: 'setTimeout', message: 'The engine returns deadlines; drivers arm timers.' },
  { name: 'setInterval', message: 'The engine returns deadlines; drivers arm timers.' },
  { name: 'setImmediate', message: 'The engine returns deadlines; drivers arm timers.' },
  { name: 'clearTimeout', message: 'The engine returns deadlines; drivers arm timers.' },
  { name: 'clearInterval', message: 'The engine returns deadlines; drivers arm timers.' },
  { name: 'performance', message: 'The engine takes time as an argument (nowMs).' },
  { name: 'process', message: 'The engine has no process: configuration is passed in.' },
  { name: 'queueMicrotask', message: 'The engine is synchronous.' },
  { name: 'fetch', message: 'The engine does no IO.' },
  { name: 'require', message: 'The engine imports nothing outside itself.' },
]

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'coverage/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...engineForbiddenGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the injected seeded Rng.' },
        { object: 'globalThis', property: 'Date', message: 'The engine takes time as an argument.' },
        { object: 'globalThis', property: 'performance', message: 'The engine takes time as an argument.' },
        { object: 'globalThis', property: 'process', message: 'No process in the engine.' },
        { object: 'globalThis', property: 'setTimeout', message: 'The engine returns deadlines.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'src/engine does no IO: no node:* modules.' },
            { group: ['libp2p', '@libp2p/*', '@chainsafe/*', '@multiformats/*'], message: 'src/engine knows nothing of libp2p.' },
            { group: ['fs', 'net', 'http', 'https', 'dgram', 'crypto', 'os', 'child_process', 'worker_threads', 'timers', 'perf_hooks'], message: 'src/engine does no IO.' },
            { group: ['../sim/*', '../node/*', '../cli/*', '../../*'], message: 'src/engine imports nothing outside itself.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/sim/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../node/*', '../cli/*', 'libp2p', '@libp2p/*'], message: 'src/sim never imports src/node, the CLI or libp2p.' }] }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use a forked seeded Rng: the simulator is deterministic.' }, { object: 'Date', property: 'now', message: 'Virtual time only in the simulator (wall time belongs to the CLI progress bar).' }],
    },
  },
  {
    files: ['src/netmodel/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../sim/*', '../node/*', '../cli/*', 'libp2p', '@libp2p/*'], message: 'src/netmodel is shared by the simulator and the node: it imports neither.' }] }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Randomness comes from the Rng the caller passes.' }, { object: 'Date', property: 'now', message: 'Time is the caller\'s.' }],
    },
  },
  {
    files: ['src/node/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../sim/*'], message: 'src/node never imports src/sim.' }] }],
    },
  },
)
