// Noise's X25519 with keys Node can use without parsing them again at every Diffie-Hellman.
//
// Theory of operation: @chainsafe/libp2p-noise's default crypto holds key pairs as raw bytes and,
// at each of a handshake's three DHs per side, turns both keys into KeyObjects by parsing DER
// (PKCS#8 for the private key, SPKI for the public one). On Node 20's OpenSSL 3 the PKCS#8 parse
// costs about ten times the DH itself (BENCHMARKS.md, "The libp2p stack's costs"), which made it
// the largest single item of a connection set-up's CPU. Here a key pair is made as a KeyObject and
// its private KeyObject is remembered against the raw private key handed to Noise (Noise passes
// that very array to every DH of the key pair), and the peer's public key is imported from its raw
// 32 bytes as a JWK, which skips the decoder. A private key this module did not make (none today)
// takes the package's own path. Everything else is the package's default crypto; the bytes on the
// wire are the same (test/unit/node-noise-crypto.test.ts checks the shared secrets against it).
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'

/** A key as Noise hands it over: one array, or a list of them. */
type KeyBytes = Parameters<ICryptoInterface['generateX25519SharedKey']>[0]

/** PKCS#8 header of a raw X25519 private key (RFC 8410), for a seed's one-off import. */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex')

/** Private keys made here, by the raw array given to Noise. */
const privateKeys = new WeakMap<Uint8Array, KeyObject>()

/** The raw key pair of `privateKey`, its private half remembered for the DHs to come. */
function remembered(privateKey: KeyObject): { publicKey: Uint8Array; privateKey: Uint8Array } {
  const jwk = privateKey.export({ format: 'jwk' })
  const raw = new Uint8Array(Buffer.from(jwk.d!, 'base64url'))
  privateKeys.set(raw, privateKey)
  return { publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')), privateKey: raw }
}

function bytes(b: KeyBytes): Buffer {
  const u = b instanceof Uint8Array ? b : b.subarray()
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength)
}

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  generateX25519KeyPair() {
    return remembered(generateKeyPairSync('x25519').privateKey)
  },
  generateX25519KeyPairFromSeed(seed: Uint8Array) {
    return remembered(createPrivateKey({ key: Buffer.concat([PKCS8_X25519, seed]), type: 'pkcs8', format: 'der' }))
  },
  generateX25519SharedKey(privateKey: KeyBytes, publicKey: KeyBytes): Uint8Array {
    const mine = privateKey instanceof Uint8Array ? privateKeys.get(privateKey) : undefined
    if (mine === undefined) return defaultCrypto.generateX25519SharedKey(privateKey, publicKey)
    // A public key of the wrong length throws here, as the DER path's parse does: the handshake fails.
    const theirs = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bytes(publicKey).toString('base64url') }, format: 'jwk' })
    return diffieHellman({ privateKey: mine, publicKey: theirs })
  },
}
