// The node's ML-DSA-87 key, kept beside its libp2p identity: a 32-byte seed in the state dir
// (file mode 0600), from which the key pair is derived (FIPS 204 key generation from a seed).
// Under amnesia, or without a file, the key is ephemeral: a new one every start.
import { randomBytes, createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { BadInputError } from '../../common/errors.js'
import { atomicWrite } from '../host/persist.js'
import { keyPairFromSeed, type PqKeyPair } from './protocol.js'

export const PQ_KEY_FILE = 'pq-identity.key'
const MAGIC = new TextEncoder().encode('dht-sim-mldsa87-seed-v1\n')
const SEED_BYTES = 32

export interface PqIdentity extends PqKeyPair {
  /** sha256 of the public key, hex: what operators compare and what peers pin. */
  readonly fingerprint: string
  readonly created: boolean
}

export function fingerprintOf(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex')
}

function identityOf(seed: Uint8Array, created: boolean): PqIdentity {
  const k = keyPairFromSeed(seed)
  return { ...k, fingerprint: fingerprintOf(k.publicKey), created }
}

/** Loads the PQ key from `file`, or creates one (written unless amnesia or no file). */
export async function loadPqIdentity(file: string | undefined, amnesia: boolean): Promise<PqIdentity> {
  if (file !== undefined && file.length > 0 && !amnesia) {
    let bytes: Uint8Array | undefined
    try {
      bytes = await readFile(file)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new BadInputError(`PQ identity: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
    }
    if (bytes !== undefined) {
      const head = bytes.subarray(0, MAGIC.length)
      if (bytes.length !== MAGIC.length + SEED_BYTES || !head.every((b, i) => b === MAGIC[i])) {
        throw new BadInputError(`PQ identity: ${file} is not a dht-sim ML-DSA-87 key`)
      }
      return identityOf(bytes.slice(MAGIC.length), false)
    }
  }
  const seed = new Uint8Array(randomBytes(SEED_BYTES))
  if (!amnesia && file !== undefined && file.length > 0) {
    const out = new Uint8Array(MAGIC.length + SEED_BYTES)
    out.set(MAGIC, 0)
    out.set(seed, MAGIC.length)
    await atomicWrite(file, out)
  }
  return identityOf(seed, true)
}
