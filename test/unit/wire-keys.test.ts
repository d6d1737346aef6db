import { describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { sha256 as mfSha256, sha512 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '@noble/hashes/sha2.js'
import { blake3 } from '@noble/hashes/blake3.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { convertBuffer, convertPeerId } from '../../node_modules/@libp2p/kad-dht/dist/src/utils.js'
import {
  b3KeyOf,
  peerIdBytesFromString,
  targetOf,
  wireKeyFromBytes,
  wireKeyFromString,
  wireKeyToString,
} from '../../src/wire/keys.js'
import { toHex } from '../../src/engine/ids.js'

const HEX64 = 'ab'.repeat(32)

describe('wire keys', () => {
  it('parses b3:<64 hex> into a blake3 multihash', () => {
    const r = wireKeyFromString(`b3:${HEX64}`)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.kind).toBe('b3')
    expect(Array.from(r.value.bytes.subarray(0, 2))).toEqual([0x1e, 0x20])
    expect(toHex(r.value.bytes.subarray(2))).toBe(HEX64)
    expect(r.value.target).toEqual(sha256(r.value.bytes))
    expect(wireKeyToString(r.value.bytes)).toBe(`b3:${HEX64}`)
  })

  it('accepts upper-case hex and prints it canonically in lower case', () => {
    const r = wireKeyFromString(`b3:${HEX64.toUpperCase()}`)
    expect(r.ok && wireKeyToString(r.value.bytes)).toBe(`b3:${HEX64}`)
  })

  it.each([
    ['', 'key: empty'],
    ['b3:abc', 'key: b3 keys'],
    [`b3:${HEX64}00`, 'key: b3 keys'],
    [`b3:${'zz'.repeat(32)}`, 'key: b3 keys'],
    ['hello', 'key: neither'],
    ['Qm' + 'x'.repeat(300), 'key: longer than'],
  ])('refuses %j with a 400-style message', (input, prefix) => {
    const r = wireKeyFromString(input)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.startsWith(prefix)).toBe(true)
  })

  it('takes the multihash of a sha2-256 CID (v0 and v1) as the wire key', async () => {
    const digest = await mfSha256.digest(new TextEncoder().encode('hello'))
    const v1 = CID.createV1(raw.code, digest)
    const v0 = CID.createV0(digest)
    for (const s of [v1.toString(), v0.toString()]) {
      const r = wireKeyFromString(s)
      expect(r.ok).toBe(true)
      if (!r.ok) continue
      expect(r.value.kind).toBe('cid')
      expect(r.value.bytes).toEqual(Uint8Array.from(digest.bytes))
    }
    expect(wireKeyToString(digest.bytes)).toBe(v1.toString())
  })

  it('maps a blake3 CID to the same wire key as the b3: form', () => {
    const content = new TextEncoder().encode('some content')
    const d = blake3(content)
    const cid = CID.createV1(raw.code, Digest.create(0x1e, d))
    const a = wireKeyFromString(cid.toString())
    const b = wireKeyFromString(`b3:${toHex(d)}`)
    expect(a.ok && b.ok && toHex(a.value.bytes) === toHex(b.value.bytes)).toBe(true)
    expect(b.ok && toHex(b3KeyOf(content).bytes) === toHex(b.value.bytes)).toBe(true)
  })

  it('refuses CIDs with other hashes', async () => {
    const digest = await sha512.digest(new TextEncoder().encode('x'))
    const r = wireKeyFromString(CID.createV1(raw.code, digest).toString())
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toContain('0x13')
  })

  it('checks remote key bytes', async () => {
    const digest = await mfSha256.digest(Uint8Array.from([1]))
    expect(wireKeyFromBytes(digest.bytes)).toMatchObject({ ok: true, value: { kind: 'cid' } })
    expect(wireKeyFromBytes(Uint8Array.from([1, 2, 3])).ok).toBe(false)
    expect(wireKeyToString(Uint8Array.from([1, 2]))).toBe('mh:0102')
  })

  it('computes the same keyspace point as stock kad-dht for keys and peers', async () => {
    const digest = await mfSha256.digest(Uint8Array.from([7, 7]))
    expect(targetOf(digest.bytes)).toEqual(Uint8Array.from(await convertBuffer(digest.bytes)))
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const bytes = peerIdBytesFromString(peer.toString())
    expect(bytes.ok).toBe(true)
    if (bytes.ok) expect(targetOf(bytes.value)).toEqual(Uint8Array.from(await convertPeerId(peer)))
  })

  it('refuses strings that are not peer ids', () => {
    expect(peerIdBytesFromString('not-a-peer')).toEqual({ ok: false, error: 'peer: not a libp2p peer id' })
    expect(peerIdBytesFromString('').ok).toBe(false)
  })
})
