// The admission-control and penalty-box keys: defaults, one-line errors naming the key as each
// source spells it, what they set in the engine and the node's budgets, and that a reload
// applies them without a restart.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigInvalidError, loadConfig } from '../../src/node/config/load.js'
import { ConfigReloader } from '../../src/node/config/reloader.js'
import { engineConfigOf, limitsOf } from '../../src/node/serve.js'
import { DEFAULT_ENGINE_CONFIG } from '../../src/engine/config.js'
import { DEFAULT_LIMITS, STRICT_LIMITS } from '../../src/node/host/limits.js'

const dir = mkdtempSync(join(tmpdir(), 'config-admission-'))
let n = 0
function toml(text: string): string {
  const f = join(dir, `c${n++}.toml`)
  writeFileSync(f, text)
  return f
}

function errorOf(f: () => unknown): ConfigInvalidError {
  try {
    f()
  } catch (e) {
    if (e instanceof ConfigInvalidError) return e
    throw e
  }
  throw new Error('no error')
}

describe('admission control keys', () => {
  it('default to the engine defaults', () => {
    const c = loadConfig({ env: {} })
    expect([c.admissionDelayMs, c.admissionInflight]).toEqual([250, 1024])
    const e = engineConfigOf(c)
    expect([e.admissionDelayMs, e.admissionInflight]).toEqual([DEFAULT_ENGINE_CONFIG.admissionDelayMs, DEFAULT_ENGINE_CONFIG.admissionInflight])
  })

  it('set the engine from the file, the environment and flags', () => {
    const file = toml('dht_admission_delay_ms = 80\ndht_admission_inflight = 300\n')
    const c = loadConfig({ file, env: { DHT_ADMISSION_INFLIGHT: '200' }, flags: { dht_admission_delay_ms: '40' } })
    expect([c.admissionDelayMs, c.admissionInflight]).toEqual([40, 200])
    expect([c.sources.dht_admission_delay_ms, c.sources.dht_admission_inflight]).toEqual(['flag', 'env'])
    const e = engineConfigOf(c)
    expect([e.admissionDelayMs, e.admissionInflight]).toEqual([40, 200])
    // The strict profile keeps them too.
    const s = engineConfigOf(loadConfig({ file, env: { POLICY_PROFILE: 'strict' } }))
    expect([s.admissionDelayMs, s.admissionInflight]).toEqual([80, 300])
  })

  it('refuses bad values with one line naming the key', () => {
    expect(errorOf(() => loadConfig({ file: toml('dht_admission_delay_ms = 0\n'), env: {} })).message).toBe(
      'ConfigInvalid(key=dht_admission_delay_ms): expected an integer from 1 to 60000, got 0',
    )
    expect(errorOf(() => loadConfig({ env: { DHT_ADMISSION_INFLIGHT: 'many' } })).message).toBe(
      'ConfigInvalid(key=DHT_ADMISSION_INFLIGHT): expected an integer from 1 to 1000000, got "many"',
    )
    expect(errorOf(() => loadConfig({ flags: { dht_admission_delay_ms: '2.5' } })).message).toBe(
      'ConfigInvalid(key=--dht-admission-delay-ms): expected an integer from 1 to 60000, got "2.5"',
    )
    expect(errorOf(() => loadConfig({ env: { DHT_ADMISSION_DELAY_MS: '-1' } })).message).not.toContain('\n')
  })
})

describe('penalty box keys', () => {
  it("default to the policy profile's budgets", () => {
    const c = loadConfig({ env: {} })
    expect([c.penaltyRefusals, c.penaltyMs]).toEqual([undefined, undefined])
    expect(limitsOf(c)).toEqual(DEFAULT_LIMITS)
    expect(limitsOf(loadConfig({ env: { POLICY_PROFILE: 'strict' } }))).toEqual(STRICT_LIMITS)
  })

  it("override only the penalty's budgets", () => {
    const c = loadConfig({ file: toml('policy_profile = "strict"\ndht_penalty_refusals = 0\ndht_penalty_ms = 5000\n'), env: {} })
    expect(limitsOf(c)).toEqual({ ...STRICT_LIMITS, penaltyRefusals: 0, penaltyMs: 5_000 })
  })

  it('refuses bad values with one line naming the key', () => {
    expect(errorOf(() => loadConfig({ file: toml('dht_penalty_ms = 10\n'), env: {} })).message).toBe(
      'ConfigInvalid(key=dht_penalty_ms): expected an integer from 1000 to 86400000, got 10',
    )
    expect(errorOf(() => loadConfig({ env: { DHT_PENALTY_REFUSALS: '-5' } })).message).toBe(
      'ConfigInvalid(key=DHT_PENALTY_REFUSALS): expected an integer from 0 to 1000000, got -5',
    )
  })
})

describe('reload (SIGHUP)', () => {
  it('applies the admission and penalty keys at once, none needing a restart', () => {
    const file = toml('dht_admission_delay_ms = 250\n')
    const r = new ConfigReloader({ file, env: {} })
    writeFileSync(file, 'dht_admission_delay_ms = 100\ndht_admission_inflight = 64\ndht_penalty_refusals = 50\ndht_penalty_ms = 2000\n')
    const res = r.reload()
    expect(res.ok).toBe(true)
    if (!res.ok) return
    expect([...res.changed].sort()).toEqual(['admissionDelayMs', 'admissionInflight', 'penaltyMs', 'penaltyRefusals'])
    expect(res.restartRequired).toEqual([])
    expect(engineConfigOf(res.config).admissionDelayMs).toBe(100)
    expect(limitsOf(res.config).penaltyRefusals).toBe(50)
    // A refused reload changes nothing in force.
    writeFileSync(file, 'dht_admission_delay_ms = 100000\n')
    const bad = r.reload()
    expect(bad.ok).toBe(false)
    expect(r.current.admissionDelayMs).toBe(100)
    expect(r.current.penaltyMs).toBe(2_000)
  })
})
