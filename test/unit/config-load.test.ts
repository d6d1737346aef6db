import { mkdtempSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { BadInputError } from '../../src/common/errors.js'
import { DEFAULT_ENGINE_CONFIG, STRICT_POLICY } from '../../src/engine/config.js'
import {
  CONFIG_KEYS,
  ConfigInvalidError,
  configAsFileKeys,
  configFlagsFromOptions,
  engineConfigOf,
  loadConfig,
  redactConfig,
  tcpMultiaddrOf,
} from '../../src/node/config/index.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'

const dir = mkdtempSync(join(tmpdir(), 'cfg-'))
let n = 0
function toml(text: string): string {
  const f = join(dir, `c${n++}.toml`)
  writeFileSync(f, text)
  return f
}

function errorOf(fn: () => unknown): ConfigInvalidError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ConfigInvalidError) return e
    throw e
  }
  throw new Error('expected ConfigInvalidError')
}

let peer = ''
beforeAll(async () => {
  peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
})

describe('loadConfig', () => {
  it('keeps state outside the source tree by default', () => {
    expect(loadConfig({ env: { XDG_STATE_HOME: '/x/state' }, cwd: '/srv' }).dataDir).toBe('/x/state/dht-sim')
    expect(loadConfig({ env: { STATE_DIRECTORY: '/var/lib/dht-sim', XDG_STATE_HOME: '/x' }, cwd: '/srv' }).dataDir).toBe('/var/lib/dht-sim')
    expect(loadConfig({ env: { HOME: '/home/op' }, cwd: '/srv' }).dataDir).toBe('/home/op/.local/state/dht-sim')
  })

  it('has the documented defaults', () => {
    const c = loadConfig({ env: {}, cwd: '/srv' })
    expect(c.dhtAddr).toEqual({ host: '0.0.0.0', port: 9444, text: '0.0.0.0:9444' })
    expect(c.metricsAddr).toEqual({ host: '127.0.0.1', port: 9909, text: '127.0.0.1:9909' })
    expect([c.alpha, c.beta, c.timeoutMs]).toEqual([3, 2, 750])
    expect(c.amnesia).toBe(false)
    expect(c.policyProfile).toBe('default')
    expect(c.requirePq).toBe(false)
    expect(c.bootstrap).toEqual([])
    expect(c.dataDir).toBe(join(homedir(), '.local', 'state', 'dht-sim'))
    expect(c.logLevel).toBe('info')
    expect(c.drainTimeoutMs).toBe(10_000)
    expect(c.identityFile).toBeUndefined()
    expect(c.sources.dht_alpha).toBe('default')
  })

  it('layers file < env < flags', () => {
    const file = toml('dht_alpha = 5\ndht_beta = 4\ndht_timeout_ms = 900\n')
    const c = loadConfig({ file, env: { DHT_BETA: '1', DHT_TIMEOUT_MS: '800' }, flags: { dht_timeout_ms: '600' } })
    expect([c.alpha, c.beta, c.timeoutMs]).toEqual([5, 1, 600])
    expect([c.sources.dht_alpha, c.sources.dht_beta, c.sources.dht_timeout_ms]).toEqual(['file', 'env', 'flag'])
    expect(c.file).toBe(file)
  })

  it('finds the file through RON_CONFIG when no --config is given', () => {
    const file = toml('policy_profile = "strict"\n')
    expect(loadConfig({ env: { RON_CONFIG: file } }).policyProfile).toBe('strict')
  })

  it('reads on/off switches from the file, env and flags', () => {
    const file = toml('ron_amnesia = "on"\nrequire_pq_on = true\n')
    expect(loadConfig({ file, env: {} }).amnesia).toBe(true)
    expect(loadConfig({ file, env: { RON_AMNESIA: 'off' } }).amnesia).toBe(false)
    expect(loadConfig({ env: { REQUIRE_PQ_ON: 'on' } }).requirePq).toBe(true)
    expect(loadConfig({ env: {}, flags: { ron_amnesia: 'on' } }).amnesia).toBe(true)
  })

  it('accepts bootstrap peers as a TOML list or a comma separated env value', () => {
    const a = `/ip4/10.0.0.1/tcp/9444/p2p/${peer}`
    const b = `/ip6/::1/tcp/9444/p2p/${peer}`
    expect(loadConfig({ file: toml(`dht_bootstrap = ["${a}", "${b}"]\n`), env: {} }).bootstrap).toEqual([a, b])
    expect(loadConfig({ env: { DHT_BOOTSTRAP: `${a}, ${b}` } }).bootstrap).toEqual([a, b])
  })

  it('resolves relative paths in the file against its directory, and others against cwd', () => {
    const file = toml('dht_data_dir = "state"\ndht_identity_file = "/abs/key"\n')
    const c = loadConfig({ file, env: { DHT_ADMIN_TOKEN_FILE: 'tok' }, cwd: '/work' })
    expect(c.dataDir).toBe(join(dir, 'state'))
    expect(c.identityFile).toBe('/abs/key')
    expect(c.adminTokenFile).toBe('/work/tok')
  })

  it('ignores unrelated environment variables and empty ones', () => {
    const c = loadConfig({ env: { DHT_SERVICE_HOST: '10.0.0.1', PATH: '/bin', DHT_ALPHA: '' } })
    expect(c.alpha).toBe(3)
  })

  it.each([
    ['dht_alpha = 0\n', 'ConfigInvalid(key=dht_alpha): expected an integer from 1 to 16, got 0'],
    ['dht_alpha = 2.5\n', 'ConfigInvalid(key=dht_alpha): expected an integer from 1 to 16, got 2.5'],
    ['dht_timeout_ms = "fast"\n', 'ConfigInvalid(key=dht_timeout_ms): expected an integer from 50 to 60000, got "fast"'],
    ['dht_alhpa = 3\n', 'ConfigInvalid(key=dht_alhpa): unknown key'],
    ['[dht]\nalpha = 3\n', 'ConfigInvalid(key=dht): unknown key'],
    ['policy_profile = "lax"\n', 'ConfigInvalid(key=policy_profile): expected one of default, strict, got "lax"'],
    ['ron_amnesia = "maybe"\n', 'ConfigInvalid(key=ron_amnesia): expected on/off (or true/false), got "maybe"'],
    ['dht_addr = "localhost:9444"\n', 'ConfigInvalid(key=dht_addr): expected <ip>:<port> (IPv6 in brackets), got "localhost:9444"'],
    ['dht_addr = "1.2.3.4:70000"\n', 'ConfigInvalid(key=dht_addr): port 70000 is out of range 0..65535'],
    ['dht_addr = "999.1.1.1:1"\n', 'ConfigInvalid(key=dht_addr): "999.1.1.1" is not an IP address'],
    ['metrics_addr = 9909\n', 'ConfigInvalid(key=metrics_addr): expected "<ip>:<port>", got 9909'],
    ['dht_bootstrap = ["/ip4/1.2.3.4/tcp/1"]\n', 'ConfigInvalid(key=dht_bootstrap): entry 1: "/ip4/1.2.3.4/tcp/1" has no /p2p/<peer id>'],
    ['dht_bootstrap = ["nonsense"]\n', 'ConfigInvalid(key=dht_bootstrap): entry 1: "nonsense" is not a multiaddr'],
    ['dht_log_level = "loud"\n', 'ConfigInvalid(key=dht_log_level): expected one of trace, debug, info, warn, error, fatal, silent, got "loud"'],
    ['dht_data_dir = ""\n', 'ConfigInvalid(key=dht_data_dir): expected a path, got ""'],
    ['metrics_addr = "0.0.0.0:9444"\n', 'ConfigInvalid(key=metrics_addr): same port as dht_addr (9444)'],
  ])('refuses %j', (text, message) => {
    const e = errorOf(() => loadConfig({ file: toml(text), env: {} }))
    expect(e.message).toBe(message)
    expect(e).toBeInstanceOf(BadInputError)
    expect(exitCodeFor(e)).toBe(2)
  })

  it('names a bad bootstrap peer id', () => {
    const e = errorOf(() => loadConfig({ env: { DHT_BOOTSTRAP: '/ip4/1.2.3.4/tcp/1/p2p/QmNotAPeer' } }))
    expect(e.message).toMatch(/^ConfigInvalid\(key=DHT_BOOTSTRAP\): entry 1: .* (is not a multiaddr|has an invalid peer id)$/)
  })

  it('names the key as the environment or the flag spells it', () => {
    expect(errorOf(() => loadConfig({ env: { DHT_ALPHA: 'x' } })).message).toBe('ConfigInvalid(key=DHT_ALPHA): expected an integer from 1 to 16, got "x"')
    expect(errorOf(() => loadConfig({ env: {}, flags: { dht_beta: '99' } })).key).toBe('--dht-beta')
    expect(errorOf(() => loadConfig({ env: {}, flags: { dht_gamma: '1' } })).message).toBe('ConfigInvalid(key=--dht-gamma): unknown key')
  })

  it('reports unreadable files and TOML syntax errors with a position', () => {
    expect(errorOf(() => loadConfig({ file: join(dir, 'missing.toml'), env: {} })).message).toMatch(/^ConfigInvalid\(key=--config\): cannot read .*missing\.toml \(ENOENT\)$/)
    expect(errorOf(() => loadConfig({ env: { RON_CONFIG: join(dir, 'missing.toml') } })).key).toBe('RON_CONFIG')
    const e = errorOf(() => loadConfig({ file: toml('dht_alpha = 3\ndht_beta = \n'), env: {} }))
    expect(e.message).toMatch(/^ConfigInvalid\(key=--config\): .*c\d+\.toml:2:\d+: /)
    expect(e.message).not.toContain('\n')
  })

  it('refuses both an inline admin token and a token file, and never echoes the token', () => {
    const secret = 'short-secret'
    const e1 = errorOf(() => loadConfig({ env: { DHT_ADMIN_TOKEN: secret } }))
    expect(e1.message).toBe('ConfigInvalid(key=DHT_ADMIN_TOKEN): must be at least 16 characters')
    const e2 = errorOf(() => loadConfig({ env: { DHT_ADMIN_TOKEN: 'a'.repeat(20), DHT_ADMIN_TOKEN_FILE: '/t' } }))
    expect(e2.message).toBe('ConfigInvalid(key=DHT_ADMIN_TOKEN): set only one of DHT_ADMIN_TOKEN and DHT_ADMIN_TOKEN_FILE')
    const ok = loadConfig({ env: { DHT_ADMIN_TOKEN: 'b'.repeat(20) } })
    expect(ok.adminToken).toBe('b'.repeat(20))
    expect(JSON.stringify(redactConfig(ok))).not.toContain('b'.repeat(20))
  })

  it('accepts the example configs/dht.toml', () => {
    const c = loadConfig({ file: new URL('../../configs/dht.toml', import.meta.url).pathname, env: {} })
    expect(c.dhtAddr.port).toBe(9444)
  })
})

describe('derived settings', () => {
  it('echoes every file key, spelt as the file spells it', () => {
    const keys = Object.keys(configAsFileKeys(loadConfig({ env: {} })))
    expect([...keys].sort()).toEqual([...CONFIG_KEYS].sort())
  })

  it('maps listen addresses to multiaddrs', () => {
    expect(tcpMultiaddrOf({ host: '0.0.0.0', port: 9444, text: '' })).toBe('/ip4/0.0.0.0/tcp/9444')
    expect(tcpMultiaddrOf({ host: '::1', port: 1, text: '' })).toBe('/ip6/::1/tcp/1')
    expect(loadConfig({ env: { DHT_ADDR: '[::]:9000' } }).dhtAddr).toEqual({ host: '::', port: 9000, text: '[::]:9000' })
  })

  it('builds the engine config with the profile applied', () => {
    const d = engineConfigOf(loadConfig({ env: { DHT_ALPHA: '4', DHT_TIMEOUT_MS: '500' } }))
    expect([d.alpha, d.beta, d.rpcTimeoutMs, d.k]).toEqual([4, 2, 500, DEFAULT_ENGINE_CONFIG.k])
    const s = engineConfigOf(loadConfig({ env: { POLICY_PROFILE: 'strict' } }))
    expect(s.policy).toEqual(STRICT_POLICY)
  })

  it('maps commander options back to config flags', () => {
    expect(configFlagsFromOptions({ config: 'x.toml', dhtAlpha: '4', ronAmnesia: 'on', other: undefined })).toEqual({
      file: 'x.toml',
      flags: { dht_alpha: '4', ron_amnesia: 'on' },
    })
  })
})
