// The node's Noise X25519 (keys kept as KeyObjects) agrees with the package's default crypto, and
// takes its fast path for the key pairs it made.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { randomBytes } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { noiseCrypto } from '../../src/node/host/noise-crypto.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('noiseCrypto', () => {
  it('derives the same shared secret as the default crypto, both ways, without its DER path', () => {
    const slow = vi.spyOn(defaultCrypto, 'generateX25519SharedKey')
    for (let i = 0; i < 20; i++) {
      const ours = noiseCrypto.generateX25519KeyPair()
      const theirs = defaultCrypto.generateX25519KeyPair()
      const a = noiseCrypto.generateX25519SharedKey(ours.privateKey, theirs.publicKey)
      slow.mockClear()
      const b = defaultCrypto.generateX25519SharedKey(theirs.privateKey, ours.publicKey)
      expect(Buffer.from(a).toString('hex')).toBe(Buffer.from(b).toString('hex'))
      expect(a.byteLength).toBe(32)
    }
    slow.mockClear()
    const x = noiseCrypto.generateX25519KeyPair()
    const y = noiseCrypto.generateX25519KeyPair()
    expect(Buffer.from(noiseCrypto.generateX25519SharedKey(x.privateKey, y.publicKey))).toEqual(Buffer.from(noiseCrypto.generateX25519SharedKey(y.privateKey, x.publicKey)))
    expect(slow).not.toHaveBeenCalled()
  })

  it('derives a seed key pair as the default crypto does', () => {
    const seed = randomBytes(32)
    const ours = noiseCrypto.generateX25519KeyPairFromSeed(seed)
    const def = defaultCrypto.generateX25519KeyPairFromSeed(seed)
    expect(Buffer.from(ours.publicKey)).toEqual(Buffer.from(def.publicKey))
    expect(Buffer.from(ours.privateKey)).toEqual(Buffer.from(def.privateKey))
    const peer = defaultCrypto.generateX25519KeyPair()
    expect(Buffer.from(noiseCrypto.generateX25519SharedKey(ours.privateKey, peer.publicKey))).toEqual(Buffer.from(defaultCrypto.generateX25519SharedKey(peer.privateKey, def.publicKey)))
  })

  it('takes the default path for a private key it did not make', () => {
    const slow = vi.spyOn(defaultCrypto, 'generateX25519SharedKey')
    const foreign = defaultCrypto.generateX25519KeyPair()
    const peer = noiseCrypto.generateX25519KeyPair()
    noiseCrypto.generateX25519SharedKey(foreign.privateKey, peer.publicKey)
    expect(slow).toHaveBeenCalledTimes(1)
  })

  it('refuses a peer public key of the wrong length (bytes from the network)', () => {
    const ours = noiseCrypto.generateX25519KeyPair()
    expect(() => noiseCrypto.generateX25519SharedKey(ours.privateKey, new Uint8Array(31))).toThrow()
    expect(() => noiseCrypto.generateX25519SharedKey(ours.privateKey, new Uint8Array(0))).toThrow()
  })
})
