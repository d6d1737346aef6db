// `dht-sim serve`: the process lifecycle around one DhtNode.
//
// Theory of operation: the configuration is loaded (file < env < flags; a bad one throws
// ConfigInvalidError, exit 2 before anything binds), the node starts (a taken port is a
// BindError, exit 2), and the process then waits for a signal:
//   - SIGHUP reloads the configuration through the reloader: an invalid one (or one whose token
//     file cannot be read) is refused, logged and counted (ron_dht_config_reload_failed_total)
//     and the last good one stays; a valid one applies what can change live (engine tunables,
//     admission control, the penalty box, log level, admin token, REQUIRE_PQ_ON off -> on) and
//     logs the fields that need a restart, all at warn so they show at every log level but
//     error. A reload never switches REQUIRE_PQ_ON off: that downgrade goes only through the
//     audited admin path (POST /admin/pq);
//   - SIGINT/SIGTERM drain: /readyz turns 503 at once, in-flight lookups get up to the drain
//     timeout, listeners close, exit 0. A second signal during the drain exits at once (1).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { applyProfile, engineConfig, type EngineConfig } from '../engine/config.js'
import { loadConfig, ConfigInvalidError, configAsFileKeys, fileKeysOf, type LoadConfigOptions, type NodeConfig } from './config/load.js'
import { ConfigReloader } from './config/reloader.js'
import { DhtNode } from './dht-node.js'
import { regionNames } from '../netmodel/regions.js'
import { listenMultiaddr } from './host/libp2p-node.js'
import { limitsFor, type NodeLimits } from './host/limits.js'
import { multiaddr } from '@multiformats/multiaddr'
import { createLogger, type NodeLogger } from './log.js'

export interface ServeOptions extends LoadConfigOptions {
  readonly version: string
  readonly commit: string
}

export function engineConfigOf(c: NodeConfig): EngineConfig {
  return applyProfile(engineConfig({ alpha: c.alpha, beta: c.beta, rpcTimeoutMs: c.timeoutMs, admissionDelayMs: c.admissionDelayMs, admissionInflight: c.admissionInflight }), c.policyProfile)
}

/** The per-peer budgets: the profile's, with the penalty box's thresholds where the config sets them. */
export function limitsOf(c: NodeConfig): NodeLimits {
  const l = limitsFor(c.policyProfile)
  return { ...l, penaltyRefusals: c.penaltyRefusals ?? l.penaltyRefusals, penaltyMs: c.penaltyMs ?? l.penaltyMs }
}

/** The admin token from the config or its file (first line); undefined disables admin. */
export function adminTokenOf(c: NodeConfig): string | undefined {
  if (c.adminToken !== undefined) return c.adminToken
  if (c.adminTokenFile === undefined) return undefined
  let text: string
  try {
    text = readFileSync(c.adminTokenFile, 'utf8')
  } catch (e) {
    throw new ConfigInvalidError('dht_admin_token_file', `cannot read ${c.adminTokenFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const t = (text.split(/\r?\n/, 1)[0] ?? '').trim()
  if (t.length < 16) throw new ConfigInvalidError('dht_admin_token_file', 'the token must be at least 16 characters')
  return t
}

export function nodeOptionsOf(c: NodeConfig, log: NodeLogger, version: string, commit: string): ConstructorParameters<typeof DhtNode>[0] {
  const token = adminTokenOf(c)
  return {
    listen: [listenMultiaddr(c.dhtAddr.text)],
    httpHost: c.metricsAddr.host,
    httpPort: c.metricsAddr.port,
    engine: engineConfigOf(c),
    bootstraps: c.bootstrap,
    amnesia: c.amnesia,
    dataDir: c.dataDir,
    // Without an identity file, a node that may write keeps its key beside its cache, so a
    // restart keeps its peer id (and its cached contacts stay meaningful).
    ...(c.identityFile !== undefined ? { identityFile: c.identityFile } : c.amnesia ? {} : { identityFile: join(c.dataDir, 'identity.key') }),
    ...(token !== undefined ? { adminToken: token } : {}),
    drainTimeoutMs: c.drainTimeoutMs,
    requirePq: c.requirePq,
    // One shaped node among unshaped peers: it shapes what it receives as well as what it sends.
    // A region of the RTT matrix also gives the shaper this node's place (inter-region targets).
    // The configured bootstraps' peer ids are what a fault's `targets: bootstrap` means here.
    ...(c.linkShaper ? { shaper: { ingress: true, bootstraps: bootstrapPeerIds(c.bootstrap), ...(c.region !== undefined && regionNames().includes(c.region) ? { place: { region: c.region } } : {}) } } : {}),
    ...(c.region !== undefined ? { region: c.region } : {}),
    ...(c.adminSocket !== undefined ? { adminSocket: c.adminSocket } : {}),
    limits: limitsOf(c),
    log,
    version,
    commit,
  }
}

/** Runs the node until a signal drains it. Resolves with the exit code. */
export async function serve(opts: ServeOptions): Promise<number> {
  const t0 = performance.now()
  const reloader = new ConfigReloader(opts, loadConfig(opts))
  const config = reloader.current
  const log = createLogger({ level: config.logLevel })
  const node = new DhtNode(nodeOptionsOf(config, log, opts.version, opts.commit))
  await node.start()
  // The keys as the file and the docs spell them, secrets redacted.
  log.info({ config: configAsFileKeys(config), start_ms: Math.round(performance.now() - t0) }, 'serving')

  return new Promise<number>((resolve) => {
    let signals = 0
    const onStop = (sig: NodeJS.Signals): void => {
      signals++
      if (signals > 1) {
        log.warn({ signal: sig }, 'second signal during drain: exiting now')
        resolve(1)
        return
      }
      log.info({ signal: sig, drain_timeout_ms: config.drainTimeoutMs }, 'shutting down')
      node.drain().then(
        () => resolve(0),
        (e: unknown) => {
          log.error({ err: String((e as Error)?.message ?? e) }, 'drain failed')
          resolve(0)
        },
      )
    }
    const onHup = (): void => {
      // The token is read once, while the reload can still be refused: read again after it, a
      // file removed in between would throw out of the signal handler with the config swapped.
      let token: string | undefined
      const r = reloader.reload((next) => {
        token = adminTokenOf(next)
      })
      if (!r.ok) {
        node.metrics.configReloadFailed.inc()
        log.error({ err: r.error.message }, 'config reload refused; last good config kept')
        node.events.emit('config', { event: 'reload_refused', error: r.error.message })
        return
      }
      node.reconfigure(engineConfigOf(r.config))
      const limits = limitsOf(r.config)
      node.setPenalty(limits.penaltyRefusals, limits.penaltyMs)
      log.level = r.config.logLevel
      node.http.setAdminToken(token)
      let pq: string | undefined
      if (r.config.requirePq && !node.pq.required) {
        node.setRequirePq(true, 'sighup')
        pq = 'on'
      } else if (!r.config.requirePq && node.pq.required) {
        pq = 'kept on: a reload never switches REQUIRE_PQ_ON off (use POST /admin/pq)'
        log.warn({ require_pq_on: true }, 'config reload: require_pq_on=off ignored; switching PQ enforcement off needs the audited admin path (POST /admin/pq)')
      }
      // At warn: an operator running at `warn` must still see that the config changed, and
      // above all which changes wait for a restart.
      const changed = fileKeysOf(r.changed)
      const restartRequired = fileKeysOf(r.restartRequired)
      const msg = restartRequired.length > 0 ? `config reloaded; restart needed for ${restartRequired.join(', ')}` : 'config reloaded'
      log.warn({ changed, restart_required: restartRequired, ...(pq !== undefined ? { require_pq_on: pq } : {}) }, msg)
      node.events.emit('config', { event: 'reloaded', changed, restart_required: restartRequired, ...(pq !== undefined ? { require_pq_on: pq } : {}) })
    }
    // A drain asked for through the admin API ends the process like a signal's.
    void node.whenStopped().then(() => {
      if (signals === 0) resolve(0)
    })
    process.on('SIGINT', onStop)
    process.on('SIGTERM', onStop)
    process.on('SIGHUP', onHup)
  })
}

/** The peer ids named by the bootstrap multiaddrs (`.../p2p/<id>`; the config requires one). */
export function bootstrapPeerIds(addrs: readonly string[]): string[] {
  const ids: string[] = []
  for (const a of addrs) {
    const p2p = multiaddr(a).getComponents().findLast((c) => c.name === 'p2p')?.value
    if (p2p !== undefined) ids.push(p2p)
  }
  return ids
}
