// The PQ authentication exchange as bytes: a proof verifies only for the connection it was made
// for (both peer ids, both nonces), garbage never throws, and TOFU pins refuse a changed key.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  MAX_PROOF_BYTES,
  NONCE_BYTES,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
  decodeChallenge,
  decodeProof,
  encodeChallenge,
  encodeProof,
  keyPairFromSeed,
  prove,
  verifyProof,
} from '../../src/node/pq/protocol.js'
import { PinStore } from '../../src/node/pq/pins.js'
import { loadPqIdentity } from '../../src/node/pq/keys.js'

const seed = (b: number): Uint8Array => new Uint8Array(32).fill(b)
const alice = new TextEncoder().encode('alice-peer-id-bytes')
const bob = new TextEncoder().encode('bob-peer-id-bytes')
const mallory = new TextEncoder().encode('mallory-peer-id')
const nA = new Uint8Array(NONCE_BYTES).fill(1)
const nB = new Uint8Array(NONCE_BYTES).fill(2)
const bobKey = keyPairFromSeed(seed(7))

describe('PQ proof (ML-DSA-87)', () => {
  const proof = prove(bobKey, alice, bob, nA, nB, 'eu-west')

  it('has FIPS 204 ML-DSA-87 sizes and round-trips through its encoding', () => {
    expect(bobKey.publicKey.length).toBe(2592)
    expect(proof.signature.length).toBe(4627)
    expect(PUBLIC_KEY_BYTES).toBe(2592)
    expect(SIGNATURE_BYTES).toBe(4627)
    const d = decodeProof(encodeProof(proof))
    expect(d.ok).toBe(true)
    if (!d.ok) return
    expect(d.value.region).toBe('eu-west')
    expect(verifyProof(d.value, alice, bob, nA)).toBe(true)
  })

  it('binds the challenger, the prover and the challenger nonce', () => {
    expect(verifyProof(proof, mallory, bob, nA)).toBe(false) // relayed to another connection
    expect(verifyProof(proof, alice, mallory, nA)).toBe(false) // claimed by another peer
    expect(verifyProof(proof, alice, bob, nB)).toBe(false) // replayed to a new challenge
    expect(verifyProof({ ...proof, region: 'us-east' }, alice, bob, nA)).toBe(false)
    expect(verifyProof({ ...proof, nonce: nA }, alice, bob, nA)).toBe(false)
    const other = keyPairFromSeed(seed(8))
    expect(verifyProof({ ...proof, publicKey: other.publicKey }, alice, bob, nA)).toBe(false)
  })

  it('challenges round-trip and malformed ones are refused', () => {
    const d = decodeChallenge(encodeChallenge(nA))
    expect(d.ok && d.value).toEqual(nA)
    expect(decodeChallenge(new Uint8Array(5)).ok).toBe(false)
    expect(decodeChallenge(new Uint8Array([9, ...nA])).ok).toBe(false)
  })

  it('garbage never throws and is never a valid proof', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: MAX_PROOF_BYTES + 10 }), (bytes) => {
        const c = decodeChallenge(bytes)
        const p = decodeProof(bytes)
        if (p.ok) expect(verifyProof(p.value, alice, bob, nA)).toBe(false)
        return c !== undefined
      }),
      { numRuns: 200 },
    )
    // right length, random content
    const junk = new Uint8Array(1 + NONCE_BYTES + PUBLIC_KEY_BYTES + SIGNATURE_BYTES + 1).fill(0x5a)
    junk[0] = 1
    junk[junk.length - 1] = 0
    const p = decodeProof(junk)
    expect(p.ok).toBe(true)
    if (p.ok) expect(verifyProof(p.value, alice, bob, nA)).toBe(false)
  })
})

describe('TOFU pins', () => {
  it('pins on first sight, matches after, refuses a changed key, and forgets the idlest pin when full', () => {
    const pins = new PinStore(2)
    expect(pins.check('p1', 'a'.repeat(64))).toBe('pinned-now')
    expect(pins.check('p1', 'a'.repeat(64))).toBe('match')
    expect(pins.check('p1', 'b'.repeat(64))).toBe('mismatch')
    expect(pins.check('p2', 'c'.repeat(64))).toBe('pinned-now')
    expect(pins.check('p1', 'a'.repeat(64))).toBe('match') // p1 is now the most recently matched
    pins.check('p3', 'd'.repeat(64)) // full: p2, pinned later but idle since, goes
    expect(pins.size).toBe(2)
    expect(pins.get('p2')).toBeUndefined()
    expect(pins.check('p1', 'b'.repeat(64))).toBe('mismatch') // the active peer keeps its pin
  })

  it('persist across a restart (and a damaged file starts empty)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pins-'))
    try {
      const a = new PinStore()
      a.check('p1', 'a'.repeat(64))
      expect(await a.save(join(dir, 'pins.json'))).toBe(true)
      const b = new PinStore()
      expect(await b.load(join(dir, 'pins.json'))).toBe(1)
      expect(b.check('p1', 'e'.repeat(64))).toBe('mismatch')
      const c = new PinStore()
      expect(await c.load(join(dir, 'missing.json'))).toBe(0)
      await writeFile(join(dir, 'damaged.json'), '{"pins": ')
      const why: string[] = []
      expect(await c.load(join(dir, 'damaged.json'), (w) => why.push(w))).toBe(0)
      expect(why).toHaveLength(1)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('PQ identity file', () => {
  it('is created once, reloaded with the same key, ephemeral under amnesia', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pqkey-'))
    try {
      const file = join(dir, 'pq-identity.key')
      const a = await loadPqIdentity(file, false)
      expect(a.created).toBe(true)
      const b = await loadPqIdentity(file, false)
      expect(b.created).toBe(false)
      expect(b.fingerprint).toBe(a.fingerprint)
      const c = await loadPqIdentity(file, true)
      expect(c.fingerprint).not.toBe(a.fingerprint)
      await expect(loadPqIdentity(join(dir, 'other.key'), true)).resolves.toBeDefined()
      await expect(readFile(join(dir, 'other.key'))).rejects.toThrow()
      await rm(file)
      await import('node:fs/promises').then((f) => f.writeFile(file, 'not a key'))
      await expect(loadPqIdentity(file, false)).rejects.toThrow(/not a dht-sim ML-DSA-87 key/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
