// What the node keeps on disk, and only when RON_AMNESIA is off:
//   - its Ed25519 identity (protobuf-encoded private key, file mode 0600);
//   - a disposable cache of routing-table contacts (JSON), so a restarted node is ready faster.
// Writes are atomic (temp file + rename). A missing or unreadable cache is not an error: the
// node starts cold. A present but unreadable identity file is bad input (exit 2): silently
// replacing an operator's key would change the node's peer id.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { BadInputError } from '../../common/errors.js'
import type { Contact } from '../../engine/index.js'

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
      out.push({ peer: o.peer, addrs: o.addrs.filter((a): a is string => typeof a === 'string').slice(0, 16) })
    }
    return out
  } catch {
    return []
  }
}
