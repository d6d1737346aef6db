// The PQ authentication exchange of one direction, as bytes: pure functions, no IO.
//
// Theory of operation: on every libp2p connection each side challenges the other once. The
// challenger opens a stream of PQ_AUTH_PROTOCOL and sends a Challenge (a fresh 32-byte nonce);
// the prover answers with a Proof: its own fresh nonce, its ML-DSA-87 public key, an optional
// region label and an ML-DSA-87 signature (FIPS 204, with the context string PQ_CONTEXT) over
// the transcript
//     "dht-sim/pq-auth/1" | challenger peer id | prover peer id | challenger nonce |
//     prover nonce | public key | region
// (each variable-length field prefixed by its length). The peer ids are the ones the Noise
// handshake authenticated for this connection, so a proof cannot be relayed to another
// connection (the challenger id would differ) nor replayed (the challenger's nonce is fresh).
// The classical channel (Noise XX over X25519) still carries the bytes: what this adds is
// post-quantum *authentication* of the peer, not post-quantum confidentiality.
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js'

export const PQ_AUTH_PROTOCOL = '/dht-sim/pq-auth/1.0.0'
export const PQ_CONTEXT = new TextEncoder().encode('dht-sim/pq-auth/1')
export const PQ_VERSION = 1
export const NONCE_BYTES = 32
export const PUBLIC_KEY_BYTES = ml_dsa87.lengths.publicKey ?? 2592
export const SIGNATURE_BYTES = ml_dsa87.lengths.signature ?? 4627
/** Longest region label carried in a proof. */
export const MAX_REGION_BYTES = 32
/** Largest proof on the wire (the frame cap of the protocol). */
export const MAX_PROOF_BYTES = 1 + NONCE_BYTES + PUBLIC_KEY_BYTES + SIGNATURE_BYTES + 1 + MAX_REGION_BYTES

export interface Proof {
  readonly nonce: Uint8Array
  readonly publicKey: Uint8Array
  readonly signature: Uint8Array
  readonly region: string
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }

export function encodeChallenge(nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + NONCE_BYTES)
  out[0] = PQ_VERSION
  out.set(nonce, 1)
  return out
}

export function decodeChallenge(b: Uint8Array): Decoded<Uint8Array> {
  if (b.length !== 1 + NONCE_BYTES) return { ok: false, error: 'challenge-length' }
  if (b[0] !== PQ_VERSION) return { ok: false, error: 'version' }
  return { ok: true, value: b.slice(1) }
}

export function encodeProof(p: Proof): Uint8Array {
  const region = new TextEncoder().encode(p.region)
  if (region.length > MAX_REGION_BYTES) throw new Error(`region label longer than ${MAX_REGION_BYTES} bytes`)
  const out = new Uint8Array(1 + NONCE_BYTES + PUBLIC_KEY_BYTES + SIGNATURE_BYTES + 1 + region.length)
  let o = 0
  out[o++] = PQ_VERSION
  out.set(p.nonce, o)
  o += NONCE_BYTES
  out.set(p.publicKey, o)
  o += PUBLIC_KEY_BYTES
  out.set(p.signature, o)
  o += SIGNATURE_BYTES
  out[o++] = region.length
  out.set(region, o)
  return out
}

export function decodeProof(b: Uint8Array): Decoded<Proof> {
  const fixed = 1 + NONCE_BYTES + PUBLIC_KEY_BYTES + SIGNATURE_BYTES + 1
  if (b.length < fixed || b.length > MAX_PROOF_BYTES) return { ok: false, error: 'proof-length' }
  if (b[0] !== PQ_VERSION) return { ok: false, error: 'version' }
  let o = 1
  const nonce = b.slice(o, o + NONCE_BYTES)
  o += NONCE_BYTES
  const publicKey = b.slice(o, o + PUBLIC_KEY_BYTES)
  o += PUBLIC_KEY_BYTES
  const signature = b.slice(o, o + SIGNATURE_BYTES)
  o += SIGNATURE_BYTES
  const rlen = b[o++]!
  if (b.length !== fixed + rlen) return { ok: false, error: 'proof-length' }
  let region: string
  try {
    region = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(o, o + rlen))
  } catch {
    return { ok: false, error: 'region-encoding' }
  }
  return { ok: true, value: { nonce, publicKey, signature, region } }
}

/** The bytes a proof signs (see the theory of operation). */
export function transcript(challenger: Uint8Array, prover: Uint8Array, challengerNonce: Uint8Array, proverNonce: Uint8Array, publicKey: Uint8Array, region: string): Uint8Array {
  const r = new TextEncoder().encode(region)
  const parts = [PQ_CONTEXT, challenger, prover, challengerNonce, proverNonce, publicKey, r]
  let n = 0
  for (const p of parts) n += 2 + p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out[o++] = p.length >> 8
    out[o++] = p.length & 0xff
    out.set(p, o)
    o += p.length
  }
  return out
}

export interface PqKeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}

/** A proof for `challenger`'s challenge, by `prover` (our peer id bytes). */
export function prove(key: PqKeyPair, challenger: Uint8Array, prover: Uint8Array, challengerNonce: Uint8Array, proverNonce: Uint8Array, region: string): Proof {
  const msg = transcript(challenger, prover, challengerNonce, proverNonce, key.publicKey, region)
  const signature = ml_dsa87.sign(msg, key.secretKey, { context: PQ_CONTEXT })
  return { nonce: proverNonce, publicKey: key.publicKey, signature, region }
}

/** True when `proof` answers our challenge on a connection between `challenger` and `prover`. */
export function verifyProof(proof: Proof, challenger: Uint8Array, prover: Uint8Array, challengerNonce: Uint8Array): boolean {
  const msg = transcript(challenger, prover, challengerNonce, proof.nonce, proof.publicKey, proof.region)
  try {
    return ml_dsa87.verify(proof.signature, msg, proof.publicKey, { context: PQ_CONTEXT })
  } catch {
    return false
  }
}

/** ML-DSA-87 key pair from a 32-byte seed (the seed is what the node stores). */
export function keyPairFromSeed(seed: Uint8Array): PqKeyPair {
  const k = ml_dsa87.keygen(seed)
  return { publicKey: k.publicKey, secretKey: k.secretKey }
}
