import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigReloader } from '../../src/node/config/index.js'

describe('ConfigReloader (SIGHUP)', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'reload-')), 'dht.toml')

  it('applies a valid new config, refuses an invalid one and keeps the last good one', () => {
    writeFileSync(file, 'dht_alpha = 3\n')
    const r = new ConfigReloader({ file, env: { DHT_BETA: '1' } })
    expect(r.current.alpha).toBe(3)

    writeFileSync(file, 'dht_alpha = 5\ndht_log_level = "debug"\n')
    const ok = r.reload()
    expect(ok.ok).toBe(true)
    if (ok.ok) {
      expect(ok.changed).toEqual(['alpha', 'logLevel'])
      expect(ok.restartRequired).toEqual([])
    }
    expect(r.current.alpha).toBe(5)
    expect(r.current.beta).toBe(1) // the environment still applies on reload

    writeFileSync(file, 'dht_alpha = -1\n')
    const bad = r.reload()
    expect(bad.ok).toBe(false)
    if (!bad.ok) {
      expect(bad.error.message).toBe('ConfigInvalid(key=dht_alpha): expected an integer from 1 to 16, got -1')
      expect(bad.config.alpha).toBe(5)
    }
    expect(r.current.alpha).toBe(5)
    expect(r.refused).toBe(1)

    writeFileSync(file, 'this is not toml\n')
    expect(r.reload().ok).toBe(false)
    expect(r.refused).toBe(2)
    expect(r.current.logLevel).toBe('debug')
  })

  it('keeps restart-only settings at their running values and says so', () => {
    writeFileSync(file, 'dht_addr = "0.0.0.0:9444"\n')
    const r = new ConfigReloader({ file, env: {} })
    writeFileSync(file, 'dht_addr = "0.0.0.0:9555"\ndht_timeout_ms = 900\n')
    const res = r.reload()
    expect(res.ok).toBe(true)
    if (res.ok) {
      expect(res.restartRequired).toEqual(['dhtAddr'])
      expect(res.changed).toEqual(['timeoutMs'])
    }
    expect(r.current.dhtAddr.port).toBe(9444)
    expect(r.current.timeoutMs).toBe(900)
  })

  it('is refused before it becomes the last good config', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const { ConfigReloader } = await import('../../src/node/config/reloader.js')
    const { adminTokenOf } = await import('../../src/node/serve.js')
    const dir = mkdtempSync(join(tmpdir(), 'reload-accept-'))
    const file = join(dir, 'dht.toml')
    writeFileSync(file, 'dht_alpha = 3\n')
    const r = new ConfigReloader({ file, env: {} })
    writeFileSync(file, `dht_alpha = 5\ndht_admin_token_file = "${join(dir, 'missing-token')}"\n`)
    const res = r.reload((next) => void adminTokenOf(next))
    expect(res.ok).toBe(false)
    expect(r.current.alpha).toBe(3)
    expect(r.current.adminTokenFile).toBeUndefined()
  })
})
