// ESLint flat config. Two rules carry the architecture (docs/ARCHITECTURE.md): the block scoped to
// src/engine/** keeps the engine a sans-IO state machine (no clock, randomness, timers, process,
// console, crypto, globalThis or IO: time is an argument, randomness an injected Rng; and no
// module-level mutable state: `purity/no-module-state`), and `layers/imports` keeps
// each part under src/ to the parts it stands on.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'
import layers from './eslint-rules/layers.js'
import purity from './eslint-rules/module-state.js'

/** What each part under src/ may import besides itself; `outside: false` also refuses paths out of src/. */
const PARTS = {
  engine: { may: [], outside: false },
  common: { may: [], outside: false },
  // The network model both drivers share (latency, regions, link faults).
  netmodel: { may: ['engine', 'common'] },
  // The kad wire codec: protobuf messages and length-prefixed frames, pure bytes, no sockets. The node
  // speaks it on real streams; the simulator can run every message through it.
  wire: { may: ['engine', 'common'] },
  sim: { may: ['engine', 'common', 'netmodel', 'polyfill', 'wire'] },
  node: { may: ['engine', 'common', 'netmodel', 'polyfill', 'wire'] },
  report: { may: ['sim', 'engine', 'common'] },
  // Real nodes driven by a scenario: the simulator's scenario and measures, the node's host.
  testbed: { may: ['sim', 'node', 'wire', 'netmodel', 'engine', 'common', 'polyfill'] },
  cli: { may: ['report', 'testbed', 'sim', 'node', 'wire', 'netmodel', 'engine', 'common'] },
  polyfill: { may: [], outside: false },
}

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
  { name: 'console', message: 'The engine reports through the events step() returns, not a console.' },
  { name: 'crypto', message: 'The engine uses the injected seeded Rng; hashing is passed in by the driver.' },
  { name: 'globalThis', message: 'The engine reaches nothing global: what it needs is passed in.' },
  { name: 'global', message: 'The engine reaches nothing global: what it needs is passed in.' },
]

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'reports/**', 'coverage/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { layers },
    rules: {
      'layers/imports': ['error', { root: 'src', parts: PARTS }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    plugins: { purity },
    rules: {
      'no-restricted-globals': ['error', ...engineForbiddenGlobals],
      'purity/no-module-state': 'error',
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
          ],
        },
      ],
    },
  },
  {
    files: ['src/sim/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['libp2p', '@libp2p/*'], message: 'src/sim never imports libp2p.' }] }],
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
