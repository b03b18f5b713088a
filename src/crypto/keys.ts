/**
 * Typed key encodings of the parley-1 suite (DESIGN.md §3: "every encoded key
 * carries its type"): one tag byte followed by the raw key, of exactly one
 * length per type. Hybrid signatures and hybrid KEM ciphertexts use the same
 * framing so that a ciphertext can never be taken for a key or a signature.
 * Decoding is strict: unknown tag or wrong length is KEY_INVALID, a known tag
 * of another type is KEY_TYPE_MISMATCH.
 *
 * Component order inside the hybrids:
 * - signing public  = Ed25519 public (32, RFC 8032) || ML-DSA-65 public (1952, FIPS 204)
 * - signing secret  = Ed25519 seed (32) || ML-DSA-65 seed ξ (32)
 * - signature       = Ed25519 signature (64) || ML-DSA-65 signature (3309)
 * - KEM public      = ML-KEM-768 ek (1184, FIPS 203) || X25519 public (32, RFC 7748),
 *                     the KitchenSink order pk0 = ML-KEM, pk1 = X25519
 * - KEM secret      = 32-byte seed, expanded with SHAKE256 into both secrets
 * - KEM ciphertext  = ML-KEM-768 ciphertext (1088) || X25519 ephemeral public (32)
 */
import {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  HYBRID_KEM_SEED_LENGTH,
  MLDSA65_PUBLIC_KEY_LENGTH,
  MLDSA65_SEED_LENGTH,
  MLDSA65_SIGNATURE_LENGTH,
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  SUITE_ID,
  X25519_KEY_LENGTH,
} from '../constants.js'
import { ParleyError } from '../errors.js'
import { concatBytes, fromBase64url, toBase64url } from './bytes.js'

/** Tag bytes. A tag is never reused for another type. */
export const KEY_TAG_ED25519_PUBLIC = 0x01
export const KEY_TAG_SIGNING_PUBLIC = 0x10
export const KEY_TAG_SIGNING_SECRET = 0x11
export const KEY_TAG_SIGNATURE = 0x12
export const KEY_TAG_KEM_PUBLIC = 0x20
export const KEY_TAG_KEM_SECRET = 0x21
export const KEY_TAG_KEM_CIPHERTEXT = 0x22

/** Every typed encoding: tag, text name, raw length, and whether it is secret. */
export const KEY_TYPES = {
  ed25519Public: { tag: KEY_TAG_ED25519_PUBLIC, name: `${SUITE_ID}/ed25519-pub`, length: ED25519_PUBLIC_KEY_LENGTH, secret: false },
  signingPublic: { tag: KEY_TAG_SIGNING_PUBLIC, name: `${SUITE_ID}/sig-pub`, length: ED25519_PUBLIC_KEY_LENGTH + MLDSA65_PUBLIC_KEY_LENGTH, secret: false },
  signingSecret: { tag: KEY_TAG_SIGNING_SECRET, name: `${SUITE_ID}/sig-secret`, length: ED25519_SEED_LENGTH + MLDSA65_SEED_LENGTH, secret: true },
  signature: { tag: KEY_TAG_SIGNATURE, name: `${SUITE_ID}/sig`, length: ED25519_SIGNATURE_LENGTH + MLDSA65_SIGNATURE_LENGTH, secret: false },
  kemPublic: { tag: KEY_TAG_KEM_PUBLIC, name: `${SUITE_ID}/kem-pub`, length: MLKEM768_PUBLIC_KEY_LENGTH + X25519_KEY_LENGTH, secret: false },
  kemSecret: { tag: KEY_TAG_KEM_SECRET, name: `${SUITE_ID}/kem-secret`, length: HYBRID_KEM_SEED_LENGTH, secret: true },
  kemCiphertext: { tag: KEY_TAG_KEM_CIPHERTEXT, name: `${SUITE_ID}/kem-ct`, length: MLKEM768_CIPHERTEXT_LENGTH + X25519_KEY_LENGTH, secret: false },
} as const

export type KeyType = keyof typeof KEY_TYPES
export type KeyTypeName = (typeof KEY_TYPES)[KeyType]['name']

const BY_TAG = new Map<number, KeyType>(Object.entries(KEY_TYPES).map(([type, spec]) => [spec.tag, type as KeyType]))
const BY_NAME = new Map<string, KeyType>(Object.entries(KEY_TYPES).map(([type, spec]) => [spec.name, type as KeyType]))

/** Length of the typed encoding (tag included) of `type`. */
export function encodedLength(type: KeyType): number {
  return 1 + KEY_TYPES[type].length
}

/** Tag byte || raw. Refuses a raw key of the wrong length with KEY_INVALID. */
export function encodeKey(type: KeyType, raw: Uint8Array): Uint8Array {
  const spec = KEY_TYPES[type]
  if (!(raw instanceof Uint8Array) || raw.length !== spec.length) {
    throw new ParleyError('KEY_INVALID', `encodeKey: ${spec.name} must be ${spec.length} bytes`)
  }
  return concatBytes(Uint8Array.of(spec.tag), raw)
}

/** The type of a typed encoding; KEY_INVALID when the tag is unknown or the length wrong. */
export function keyTypeOf(bytes: Uint8Array): KeyType {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new ParleyError('KEY_INVALID', 'keyTypeOf: empty or not bytes')
  }
  const type = BY_TAG.get(bytes[0] ?? -1)
  if (type === undefined) throw new ParleyError('KEY_INVALID', `keyTypeOf: unknown key tag 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')}`)
  if (bytes.length !== encodedLength(type)) {
    throw new ParleyError('KEY_INVALID', `keyTypeOf: ${KEY_TYPES[type].name} must be ${encodedLength(type)} bytes`)
  }
  return type
}

/**
 * The raw key inside a typed encoding of `expected` type. Returns a view into
 * `bytes` (no copy, so a secret is not duplicated): do not mutate it.
 */
export function decodeKey(expected: KeyType, bytes: Uint8Array): Uint8Array {
  const spec = KEY_TYPES[expected]
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new ParleyError('KEY_INVALID', `decodeKey: expected ${spec.name}, got no bytes`)
  }
  const actual = BY_TAG.get(bytes[0] ?? -1)
  if (actual === undefined) throw new ParleyError('KEY_INVALID', `decodeKey: expected ${spec.name}, unknown tag`)
  if (actual !== expected) {
    throw new ParleyError('KEY_TYPE_MISMATCH', `decodeKey: expected ${spec.name}, got ${KEY_TYPES[actual].name}`)
  }
  if (bytes.length !== 1 + spec.length) {
    throw new ParleyError('KEY_INVALID', `decodeKey: ${spec.name} must be ${1 + spec.length} bytes`)
  }
  return bytes.subarray(1)
}

/** Text form of a typed encoding for JSON and the CLI. Secret keys never carry their value. */
export interface KeyDescription {
  type: KeyTypeName
  /** base64url (RFC 4648 §5, unpadded) of the whole typed encoding, tag included; absent for secrets. */
  publicKey?: string
}

/**
 * `{ type: 'parley-1/sig-pub', publicKey: '<base64url>' }` for a public key
 * (also a signature or ciphertext); `{ type }` alone for a secret key.
 */
export function describeKey(bytes: Uint8Array): KeyDescription {
  const spec = KEY_TYPES[keyTypeOf(bytes)]
  return spec.secret ? { type: spec.name } : { type: spec.name, publicKey: toBase64url(bytes) }
}

/** Inverse of `describeKey` for public values; refuses a type/tag disagreement. */
export function keyFromDescription(description: KeyDescription): Uint8Array {
  const type = BY_NAME.get(description.type)
  if (type === undefined) throw new ParleyError('KEY_INVALID', `keyFromDescription: unknown key type "${String(description.type)}"`)
  if (KEY_TYPES[type].secret) throw new ParleyError('KEY_INVALID', 'keyFromDescription: secret keys have no text form')
  if (typeof description.publicKey !== 'string') throw new ParleyError('KEY_INVALID', 'keyFromDescription: no publicKey value')
  let bytes: Uint8Array
  try {
    bytes = fromBase64url(description.publicKey)
  } catch (err) {
    throw new ParleyError('KEY_INVALID', 'keyFromDescription: publicKey is not base64url', { cause: err })
  }
  decodeKey(type, bytes)
  return bytes
}
