// What the node keeps on disk, and only when RON_AMNESIA is off:
//   - its Ed25519 identity (protobuf-encoded private key, file mode 0600);
//   - a disposable cache of routing-table contacts (JSON), so a restarted node is ready faster;
//   - its content (provider-records.json): the keys it provides, re-announced as soon as a
//     restart has joined, and the provider records it holds for others, each with the time it
//     has left (the time the node was down is taken off on load; expired ones are dropped).
// Writes are atomic (temp file + rename). A missing or unreadable cache is not an error: the
// node starts cold. A present but unreadable identity file is bad input (exit 2): silently
// replacing an operator's key would change the node's peer id.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { BadInputError } from '../../common/errors.js'
import type { Contact, EngineContent, HeldRecord, ProvidedKey } from '../../engine/index.js'
import { fromHex, toHex } from '../../engine/index.js'
import { MAX_ADDRS_PER_CONTACT } from '../../wire/peers.js'

/** Contacts kept in the cache file at most (a limit on everything). */
export const MAX_CACHED_CONTACTS = 5_000
export const CONTACT_CACHE_FILE = 'routing-table.json'

export async function atomicWrite(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, data, { mode })
  await rename(tmp, path)
}

/** Loads the identity key, or generates one (written to `file` unless amnesia or no file). */
export async function loadIdentity(file: string | undefined, amnesia: boolean): Promise<{ key: PrivateKey; created: boolean }> {
  if (file !== undefined && file.length > 0) {
    let bytes: Uint8Array | undefined
    try {
      bytes = await readFile(file)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new BadInputError(`Identity: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
    }
    if (bytes !== undefined) {
      try {
        return { key: privateKeyFromProtobuf(bytes), created: false }
      } catch {
        throw new BadInputError(`Identity: ${file} is not a libp2p private key`)
      }
    }
  }
  const key = await generateKeyPair('Ed25519')
  if (!amnesia && file !== undefined && file.length > 0) await atomicWrite(file, privateKeyToProtobuf(key))
  return { key, created: true }
}

interface CachedContact {
  readonly peer: string
  readonly addrs: readonly string[]
}

export async function saveContacts(dataDir: string, contacts: readonly Contact[]): Promise<number> {
  const list: CachedContact[] = contacts.slice(0, MAX_CACHED_CONTACTS).map((c) => ({ peer: c.peer, addrs: [...c.addrs] }))
  await atomicWrite(join(dataDir, CONTACT_CACHE_FILE), JSON.stringify({ version: 1, contacts: list }))
  return list.length
}

/** The cached contacts (peer id string and addresses); [] when there is no usable cache. */
export async function loadContacts(dataDir: string): Promise<CachedContact[]> {
  try {
    const j = JSON.parse(await readFile(join(dataDir, CONTACT_CACHE_FILE), 'utf8')) as { contacts?: unknown }
    if (!Array.isArray(j.contacts)) return []
    const out: CachedContact[] = []
    for (const c of j.contacts.slice(0, MAX_CACHED_CONTACTS) as unknown[]) {
      const o = c as { peer?: unknown; addrs?: unknown }
      if (typeof o.peer !== 'string' || !Array.isArray(o.addrs)) continue
      out.push({ peer: o.peer, addrs: savedAddrs(o.addrs) })
    }
    return out
  } catch {
    return []
  }
}

/** A saved contact's addresses: the strings among them, as many as a contact keeps. */
function savedAddrs(addrs: unknown): string[] {
  return Array.isArray(addrs) ? addrs.filter((a): a is string => typeof a === 'string').slice(0, MAX_ADDRS_PER_CONTACT) : []
}

export const CONTENT_FILE = 'provider-records.json'
/** Provided keys and held records kept in the content file at most, each (a limit on everything). */
export const MAX_SAVED_PROVIDED = 200_000
export const MAX_SAVED_RECORDS = 200_000
/** Wire keys longer than this are not kept (a CID multihash is well under it). */
const MAX_WIRE_KEY_BYTES = 256

interface SavedRecord {
  readonly target: string
  readonly peer: string
  readonly addrs: readonly string[]
  readonly expires_in_ms: number
}

/**
 * Writes the engine's content (DhtEngine.content()) to dataDir: `nowMs` is the engine's clock,
 * `wallMs` the wall clock, so a load can take off the time the node was down.
 */
export async function saveContent(dataDir: string, content: EngineContent, nowMs: number, wallMs: number): Promise<{ provided: number; records: number }> {
  const provided = content.provided.slice(0, MAX_SAVED_PROVIDED).map((p) => ({ key: toHex(p.key), target: toHex(p.target) }))
  const records: SavedRecord[] = content.records
    .slice(0, MAX_SAVED_RECORDS)
    .map((r) => ({ target: r.keyHex, peer: r.provider.peer, addrs: [...r.provider.addrs], expires_in_ms: Math.max(0, Math.round(r.expiresMs - nowMs)) }))
  await atomicWrite(join(dataDir, CONTENT_FILE), JSON.stringify({ version: 1, saved_at_ms: wallMs, provided, records }))
  return { provided: provided.length, records: records.length }
}

/**
 * The content a previous run left (empty when there is no usable file: the node starts without,
 * as it would the first time). Records whose time ran out while the node was down are dropped;
 * entries that do not parse are skipped. `contactOf` turns a saved peer into a Contact.
 */
export async function loadContent(
  dataDir: string,
  contactOf: (peer: string, addrs: readonly string[]) => Contact | undefined,
  nowMs: number,
  wallMs: number,
): Promise<EngineContent> {
  const empty: EngineContent = { provided: [], records: [] }
  let j: { saved_at_ms?: unknown; provided?: unknown; records?: unknown }
  try {
    j = JSON.parse(await readFile(join(dataDir, CONTENT_FILE), 'utf8')) as typeof j
  } catch {
    return empty
  }
  if (typeof j !== 'object' || j === null || typeof j.saved_at_ms !== 'number' || !Number.isFinite(j.saved_at_ms)) return empty
  const downMs = Math.max(0, wallMs - j.saved_at_ms)
  const provided: ProvidedKey[] = []
  for (const p of (Array.isArray(j.provided) ? j.provided : []).slice(0, MAX_SAVED_PROVIDED) as unknown[]) {
    if (typeof p !== 'object' || p === null) continue
    const o = p as { key?: unknown; target?: unknown }
    if (typeof o.key !== 'string' || typeof o.target !== 'string' || o.key.length > 2 * MAX_WIRE_KEY_BYTES || !/^([0-9a-f]{2})+$/.test(o.key)) continue
    const target = fromHex(o.target)
    if (target === undefined) continue
    provided.push({ key: new Uint8Array(Buffer.from(o.key, 'hex')), target })
  }
  const records: HeldRecord[] = []
  for (const r of (Array.isArray(j.records) ? j.records : []).slice(0, MAX_SAVED_RECORDS) as unknown[]) {
    if (typeof r !== 'object' || r === null) continue
    const o = r as { target?: unknown; peer?: unknown; addrs?: unknown; expires_in_ms?: unknown }
    if (typeof o.target !== 'string' || fromHex(o.target) === undefined || typeof o.peer !== 'string' || typeof o.expires_in_ms !== 'number' || !Number.isFinite(o.expires_in_ms)) continue
    const leftMs = o.expires_in_ms - downMs
    if (leftMs <= 0) continue
    const provider = contactOf(o.peer, savedAddrs(o.addrs))
    if (provider === undefined) continue
    records.push({ keyHex: o.target.toLowerCase(), provider, expiresMs: nowMs + leftMs })
  }
  return { provided, records }
}
