/**
 * Hybrid signatures of the parley-1 suite: Ed25519 (RFC 8032) and ML-DSA-65
 * (FIPS 204), both over the same domain-separated message, both required
 * (DESIGN.md §3). The signature stays valid while either algorithm stands.
 *
 * Signed message (both components sign exactly these bytes):
 *
 *   M = "parley/v1/hybrid-sig" || len16(label) || label || message
 *
 * Why the prefix and the length: `label` names the purpose (KEL event, VP,
 * group proof, …) and its length prefix makes (label, message) unambiguous,
 * so no signature for one purpose verifies for another. The fixed prefix
 * means that a component stripped off a hybrid signature is a valid
 * single-algorithm signature only over a message starting with
 * "parley/v1/hybrid-sig" — which no single-algorithm verifier of Parley
 * ever accepts (a VC-JWT's EdDSA input starts with the base64url of `{"`;
 * the ML-DSA co-signature uses its own label). Conversely a standalone
 * Ed25519 signature made elsewhere cannot be glued into a hybrid. ML-DSA
 * signs M with the empty FIPS 204 context: the domain lives in M.
 *
 * Key generation: a 32-byte seed is expanded with HKDF-SHA-256 (RFC 5869,
 * info = LABELS.sigKeySeed) into the Ed25519 seed and the ML-DSA-65 seed ξ;
 * the secret key stores those two seeds.
 *
 * `hybridSignAs` (the signatures of a long-lived identity key) takes its
 * imported key from the suite's cache (key-cache.ts): both seeds are
 * imported, and the public key derived, once per secret key array.
 */
import {
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  HYBRID_SIGNING_SEED_LENGTH,
  LABELS,
  MLDSA65_SEED_LENGTH,
} from '../constants.js'
import { assertBytes, assertLength, concatBytes, fail, utf8, wipe } from './bytes.js'
import type { SecretKeyCache } from './key-cache.js'
import { KEY_TYPES, decodeKey, encodeKey } from './keys.js'
import { encodeLabel } from './labels.js'
import type { CryptoBackend, KeyPair, SecretKeyHandle } from './types.js'

/** A hybrid signing secret key imported into a backend: both component handles and the raw public key. */
export interface ImportedSigningKey {
  /** Ed25519 public (32) ‖ ML-DSA-65 public (1952), raw. */
  publicRaw: Uint8Array
  ed25519: SecretKeyHandle
  mlDsa65: SecretKeyHandle
}

const SIGNATURE_PREFIX = utf8(LABELS.hybridSignature)
const SEED_INFO = utf8(LABELS.sigKeySeed)
const EMPTY = new Uint8Array(0)

/** M = prefix || len16(label) || label || message (see the file comment). */
export function signatureMessage(op: string, label: string, message: Uint8Array): Uint8Array {
  assertBytes(op, 'message', message)
  return concatBytes(SIGNATURE_PREFIX, encodeLabel(op, label), message)
}

/** Raw Ed25519 seed || ML-DSA seed from a 32-byte root seed (HKDF-SHA-256, RFC 5869). */
function expandSeed(backend: CryptoBackend, seed: Uint8Array): Uint8Array {
  return backend.hkdfSha256(seed, EMPTY, SEED_INFO, ED25519_SEED_LENGTH + MLDSA65_SEED_LENGTH)
}

function publicFromSecretRaw(backend: CryptoBackend, secretRaw: Uint8Array): Uint8Array {
  const edSeed = secretRaw.subarray(0, ED25519_SEED_LENGTH)
  const mlSeed = secretRaw.subarray(ED25519_SEED_LENGTH)
  return encodeKey('signingPublic', concatBytes(backend.ed25519PublicKey(edSeed), backend.mlDsa65PublicKey(mlSeed)))
}

export function generateSigningKey(backend: CryptoBackend, seed?: Uint8Array): KeyPair {
  const root = seed === undefined ? backend.randomBytes(HYBRID_SIGNING_SEED_LENGTH) : seed
  assertLength('generateSigningKey', 'seed', root, HYBRID_SIGNING_SEED_LENGTH, 'KEY_INVALID')
  const secretRaw = expandSeed(backend, root)
  try {
    return { publicKey: publicFromSecretRaw(backend, secretRaw), secretKey: encodeKey('signingSecret', secretRaw) }
  } finally {
    wipe(secretRaw)
    if (seed === undefined) wipe(root)
  }
}

export function signingPublicKey(backend: CryptoBackend, secretKey: Uint8Array): Uint8Array {
  return publicFromSecretRaw(backend, decodeKey('signingSecret', secretKey))
}

export function hybridSign(backend: CryptoBackend, secretKey: Uint8Array, label: string, message: Uint8Array): Uint8Array {
  const secretRaw = decodeKey('signingSecret', secretKey)
  const m = signatureMessage('sign', label, message)
  const ed = backend.ed25519Sign(secretRaw.subarray(0, ED25519_SEED_LENGTH), m)
  const ml = backend.mlDsa65Sign(secretRaw.subarray(ED25519_SEED_LENGTH), m)
  return encodeKey('signature', concatBytes(ed, ml))
}

/** Imports both seeds of a raw signing secret key (an ML-DSA seed's import is a key expansion). */
function importSigningKey(backend: CryptoBackend, secretRaw: Uint8Array): ImportedSigningKey {
  const ed25519 = backend.importSecretKey('ed25519', secretRaw.subarray(0, ED25519_SEED_LENGTH))
  const mlDsa65 = backend.importSecretKey('ml-dsa-65', secretRaw.subarray(ED25519_SEED_LENGTH))
  return { publicRaw: concatBytes(backend.ed25519PublicKey(ed25519), backend.mlDsa65PublicKey(mlDsa65)), ed25519, mlDsa65 }
}

/**
 * `hybridSign` as the holder of `publicKey`: INVALID_ARGUMENT when
 * `secretKey` is not that key's, checked before anything is signed. The
 * imported key comes from `keys` (the suite's cache, key-cache.ts): the
 * seeds are imported once per secret key array, not once per signature.
 */
export function hybridSignAs(
  backend: CryptoBackend,
  keys: SecretKeyCache<ImportedSigningKey>,
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  label: string,
  message: Uint8Array,
): Uint8Array {
  const secretRaw = decodeKey('signingSecret', secretKey)
  const publicRaw = decodeKey('signingPublic', publicKey)
  const m = signatureMessage('signAs', label, message)
  const key = keys.get(secretKey, () => importSigningKey(backend, secretRaw))
  if (!backend.timingSafeEqual(key.publicRaw, publicRaw)) {
    fail('INVALID_ARGUMENT', 'signAs', 'the secret key is not the public key\'s')
  }
  return encodeKey('signature', concatBytes(backend.ed25519Sign(key.ed25519, m), backend.mlDsa65Sign(key.mlDsa65, m)))
}

/**
 * True only when both components verify. A malformed public key throws
 * (KEY_INVALID / KEY_TYPE_MISMATCH); a malformed signature is just false.
 */
export function hybridVerify(backend: CryptoBackend, publicKey: Uint8Array, label: string, message: Uint8Array, signature: Uint8Array): boolean {
  const publicRaw = decodeKey('signingPublic', publicKey)
  const m = signatureMessage('verify', label, message)
  if (!(signature instanceof Uint8Array) || signature.length !== 1 + KEY_TYPES.signature.length || signature[0] !== KEY_TYPES.signature.tag) {
    return false
  }
  const sigRaw = signature.subarray(1)
  // Both halves are always evaluated (no early exit): timing does not tell which half failed.
  const edOk = backend.ed25519Verify(publicRaw.subarray(0, ED25519_PUBLIC_KEY_LENGTH), m, sigRaw.subarray(0, ED25519_SIGNATURE_LENGTH))
  const mlOk = backend.mlDsa65Verify(publicRaw.subarray(ED25519_PUBLIC_KEY_LENGTH), m, sigRaw.subarray(ED25519_SIGNATURE_LENGTH))
  return edOk && mlOk
}

export function splitSigningPublicKey(publicKey: Uint8Array): { ed25519: Uint8Array; mlDsa65: Uint8Array } {
  const raw = decodeKey('signingPublic', publicKey)
  return { ed25519: raw.slice(0, ED25519_PUBLIC_KEY_LENGTH), mlDsa65: raw.slice(ED25519_PUBLIC_KEY_LENGTH) }
}

/** Copies of the two component seeds; the caller wipes them. */
export function splitSigningSecretKey(secretKey: Uint8Array): { ed25519: Uint8Array; mlDsa65: Uint8Array } {
  const raw = decodeKey('signingSecret', secretKey)
  return { ed25519: raw.slice(0, ED25519_SEED_LENGTH), mlDsa65: raw.slice(ED25519_SEED_LENGTH) }
}
