// What the node derives from its NodeConfig: listen multiaddrs and the engine configuration.
import { applyProfile, engineConfig, type EngineConfig } from '../../engine/config.js'
import type { NodeConfig } from './load.js'
import type { HostPort } from './schema.js'

/** "/ip4/0.0.0.0/tcp/9444" for 0.0.0.0:9444, "/ip6/::1/tcp/9444" for [::1]:9444. */
export function tcpMultiaddrOf(a: HostPort): string {
  return `/${a.host.includes(':') ? 'ip6' : 'ip4'}/${a.host}/tcp/${a.port}`
}

/** The engine configuration: defaults, alpha/beta/timeout from the config, then the profile. */
export function engineConfigOf(c: NodeConfig): EngineConfig {
  return applyProfile(engineConfig({ alpha: c.alpha, beta: c.beta, rpcTimeoutMs: c.timeoutMs }), c.policyProfile)
}
