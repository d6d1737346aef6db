// The node's content file (provider-records.json): what it provides and the records it holds
// survive a restart, with the time the node was down taken off each record; a missing or broken
// file (or broken entries) means starting without, never a crash.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONTENT_FILE, loadContent, saveContent } from '../../src/node/host/persist.js'
import { toHex } from '../../src/engine/ids.js'
import { SeededRng } from '../../src/engine/rng.js'
import type { Contact } from '../../src/engine/types.js'

const rng = new SeededRng('persist-content')
const target = rng.bytes(32)
const other = rng.bytes(32)
const wireKey = new Uint8Array([0x12, 0x20, ...target])
const alice: Contact = { id: rng.bytes(32), peer: 'alice', addrs: ['/ip4/10.0.0.1/tcp/4001'], ipGroup: '10.0.0' }
const contactOf = (peer: string, addrs: readonly string[]): Contact => ({ id: new Uint8Array(32), peer, addrs, ipGroup: '' })

describe('provider-records.json', () => {
  it('round-trips provided keys and held records, taking the downtime off each record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dht-content-'))
    const saved = await saveContent(
      dir,
      {
        provided: [{ key: wireKey, target }],
        records: [
          { keyHex: toHex(target), provider: alice, expiresMs: 1_000 + 3_600_000 },
          { keyHex: toHex(other), provider: alice, expiresMs: 1_000 + 60_000 },
        ],
      },
      1_000,
      50_000_000,
    )
    expect(saved).toEqual({ provided: 1, records: 2 })
    // Restarted 10 min later; the new process's engine clock is at 5 ms.
    const c = await loadContent(dir, contactOf, 5, 50_000_000 + 600_000)
    expect(c.provided).toEqual([{ key: wireKey, target }])
    expect(c.records.map((r) => ({ keyHex: r.keyHex, peer: r.provider.peer, addrs: r.provider.addrs, expiresMs: r.expiresMs }))).toEqual([
      { keyHex: toHex(target), peer: 'alice', addrs: alice.addrs, expiresMs: 5 + 3_600_000 - 600_000 },
    ]) // the 1-minute record ran out while the node was down
  })

  it('starts without content when the file is missing, broken, or has broken entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dht-content-'))
    expect(await loadContent(dir, contactOf, 0, 0)).toEqual({ provided: [], records: [] })
    writeFileSync(join(dir, CONTENT_FILE), '{not json')
    expect(await loadContent(dir, contactOf, 0, 0)).toEqual({ provided: [], records: [] })
    writeFileSync(
      join(dir, CONTENT_FILE),
      JSON.stringify({
        version: 1,
        saved_at_ms: 0,
        provided: [{ key: 'zz', target: toHex(target) }, { key: '12', target: 'short' }, 7, { key: '1220', target: toHex(target) }],
        records: [{ target: 'nope', peer: 'a', addrs: [], expires_in_ms: 10 }, { target: toHex(target), peer: 3, expires_in_ms: 10 }, null],
      }),
    )
    const c = await loadContent(dir, contactOf, 0, 0)
    expect(c.provided).toEqual([{ key: new Uint8Array([0x12, 0x20]), target }])
    expect(c.records).toEqual([])
    expect(JSON.parse(readFileSync(join(dir, CONTENT_FILE), 'utf8')).version).toBe(1)
  })
})
