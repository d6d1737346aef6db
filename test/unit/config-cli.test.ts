// `dht-sim config check <file>` through commander, in process.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Command } from 'commander'
import { registerConfig } from '../../src/cli/commands/config.js'
import { ConfigInvalidError } from '../../src/node/config/index.js'
import { exitCodeFor } from '../../src/cli/exit-codes.js'

const dir = mkdtempSync(join(tmpdir(), 'cfgcli-'))

async function check(...args: string[]): Promise<{ out: string; error?: unknown }> {
  const program = new Command().exitOverride()
  registerConfig(program)
  let out = ''
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s)
    return true
  })
  try {
    await program.parseAsync(['node', 'dht-sim', 'config', 'check', ...args])
    return { out }
  } catch (error) {
    return { out, error }
  } finally {
    spy.mockRestore()
  }
}

afterEach(() => vi.restoreAllMocks())

describe('dht-sim config check', () => {
  it('prints ok for the example config', async () => {
    const r = await check(new URL('../../configs/dht.toml', import.meta.url).pathname)
    expect(r.error).toBeUndefined()
    expect(r.out).toBe('ok\n')
  })

  it('fails with exit code 2 and one line naming the key', async () => {
    const f = join(dir, 'bad.toml')
    writeFileSync(f, 'dht_beta = "lots"\n')
    const r = await check(f)
    expect(r.out).toBe('')
    expect(r.error).toBeInstanceOf(ConfigInvalidError)
    const e = r.error as ConfigInvalidError
    expect(exitCodeFor(e)).toBe(2)
    expect(e.message).toBe('ConfigInvalid(key=dht_beta): expected an integer from 0 to 16, got "lots"')
  })

  it('names the file when it cannot be read', async () => {
    const r = await check(join(dir, 'nope.toml'))
    expect((r.error as ConfigInvalidError).message).toMatch(/^ConfigInvalid\(key=file\): cannot read .*nope\.toml \(ENOENT\)$/)
  })

  it('applies the environment as serve does; --file-only checks the file alone', async () => {
    const f = join(dir, 'good.toml')
    writeFileSync(f, 'dht_alpha = 3\n')
    process.env.DHT_ALPHA = 'abc'
    try {
      const r = await check(f)
      expect(r.out).toBe('')
      expect((r.error as ConfigInvalidError).message).toMatch(/^ConfigInvalid\(key=DHT_ALPHA\): /)
      expect((await check(f, '--file-only')).out).toBe('ok\n')
    } finally {
      delete process.env.DHT_ALPHA
    }
  })

  it('reads RON_CONFIG when no file is given', async () => {
    const f = join(dir, 'bad-env.toml')
    writeFileSync(f, 'dht_beta = 99\n')
    process.env.RON_CONFIG = f
    try {
      expect(((await check()).error as ConfigInvalidError).message).toMatch(/dht_beta/)
    } finally {
      delete process.env.RON_CONFIG
    }
  })

  it('prints the resolved config with --print, secrets redacted', async () => {
    const f = join(dir, 'tok.toml')
    writeFileSync(f, 'dht_admin_token = "0123456789abcdef-secret"\n')
    const r = await check(f, '--print')
    expect(r.out).toContain('"dht_admin_token": "<redacted>"')
    expect(r.out).not.toContain('0123456789abcdef-secret')
    expect(r.out.endsWith('ok\n')).toBe(true)
  })
})
