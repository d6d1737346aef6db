// A FIND_NODE for a bare id (the join's lookup of our own id, a bucket fill's or refresh's random
// id) must carry a key whose SHA-256 — what any kad peer, stock or ours, ranks its answer by — is
// that id, or near it. Sent as the id itself, answers are about the id's hash: a random point.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromMultihash, peerIdFromPrivateKey } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { convertBuffer } from '../../node_modules/@libp2p/kad-dht/dist/src/utils.js'
import { PREFIX_BITS, keyNear, wireKey } from '../../src/node/host/lookup-keys.js'
import { sha256 } from '../../src/node/host/contacts.js'
import { commonPrefixLength } from '../../src/engine/ids.js'
import type { Request, RpcType } from '../../src/engine/index.js'

function request(type: RpcType, key: Uint8Array, target: Uint8Array): Request {
  return { kind: 'request', rpcId: 1, type, key, target, providers: [] }
}

const id32 = fc.uint8Array({ minLength: 32, maxLength: 32 })

describe('FIND_NODE keys for bare ids', () => {
  it('a lookup of our own id carries our peer id, which stock kad-dht hashes back to our id', async () => {
    const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const selfKey = peerId.toMultihash().bytes
    const selfId = sha256(selfKey)
    const key = wireKey(request('FIND_NODE', selfId, selfId), selfId, selfKey)
    expect(key).toEqual(selfKey)
    expect(await convertBuffer(key)).toEqual(selfId)
  })

  it('a lookup of another id carries a key whose SHA-256 shares its first PREFIX_BITS bits', () => {
    const selfId = new Uint8Array(32)
    fc.assert(
      fc.property(id32, (id) => {
        fc.pre(!id.every((b) => b === 0))
        const key = wireKey(request('FIND_NODE', id, id), selfId, new Uint8Array([1]))
        expect(commonPrefixLength(sha256(key), id)).toBeGreaterThanOrEqual(PREFIX_BITS)
      }),
      { numRuns: 300 },
    )
  })

  it('the stand-in keys are well-formed SHA2-256 peer ids, and stock kad-dht ranks by the same hash', async () => {
    const id = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)
    const key = keyNear(id)
    expect(() => peerIdFromMultihash(Digest.decode(key) as unknown as Parameters<typeof peerIdFromMultihash>[0])).not.toThrow()
    expect(await convertBuffer(key)).toEqual(sha256(key))
    expect(commonPrefixLength(sha256(key), id)).toBeGreaterThanOrEqual(PREFIX_BITS)
  })

  it('keys of user lookups and of other requests go on the wire as they are', () => {
    const selfId = new Uint8Array(32).fill(7)
    const key = Uint8Array.from([0x12, 0x20, ...new Uint8Array(32).fill(9)])
    const target = sha256(key)
    for (const type of ['FIND_NODE', 'GET_PROVIDERS', 'ADD_PROVIDER'] as const) {
      expect(wireKey(request(type, key, target), selfId, new Uint8Array([1]))).toBe(key)
    }
    // A PING's key is our id: not a lookup, not rewritten.
    expect(wireKey(request('PING', selfId, selfId), selfId, new Uint8Array([1]))).toBe(selfId)
  })
})
