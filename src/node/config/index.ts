// The node's configuration: TOML file < environment < flags, one zod schema, SIGHUP reloads.
//
//   const cfg = loadConfig({ file: opts.config, env: process.env, flags })   // throws ConfigInvalidError
//   const reloader = new ConfigReloader({ file, env: process.env, flags }, cfg)
//   process.on('SIGHUP', () => { const r = reloader.reload(); if (!r.ok) log + count r.error })
export { ConfigInvalidError, configAsFileKeys, fileKeysOf, loadConfig, readConfigFile, redactConfig } from './load.js'
export type { ConfigSource, LoadConfigOptions, NodeConfig } from './load.js'
export { ConfigReloader, RESTART_FIELDS, changedFields } from './reloader.js'
export type { ReloadResult } from './reloader.js'
export { CONFIG_KEYS, ConfigSchema, DEFAULTS, envName, flagName, checkBootstrapAddr } from './schema.js'
export type { ConfigKey, HostPort, LogLevel } from './schema.js'
export { engineConfigOf, tcpMultiaddrOf } from './derive.js'
export { addConfigOptions, configFlagsFromOptions } from './flags.js'
