/**
 * The hybrid KEM of the parley-1 suite: ML-KEM-768 (FIPS 203) + X25519
 * (RFC 7748) under the "KitchenSink" combiner, byte-compatible with
 * `createKitchenSink(LABELS.hybridKem, ml_kem768, _ecdhKem(x25519),
 * shake256, sha256)` of @noble/post-quantum/hybrid.js over either backend.
 *
 * - Key generation: a 32-byte seed s; SHAKE256(s, 96) = ML-KEM seed d||z (64)
 *   || X25519 secret (32). Public key pk = pk0 || pk1 = ek || X25519(x, 9).
 * - Encapsulation with 64 bytes of randomness r = m (32) || e (32):
 *   (ct0, ss0) = ML-KEM.Encaps(ek, m); ct1 = X25519(e, 9); ss1 = X25519(e, pk1).
 * - Decapsulation: ss0 = ML-KEM.Decaps(dk, ct0), ss1 = X25519(x, ct1).
 * - Combiner (binds both secrets, both ciphertexts and both public keys, as
 *   X-Wing does, plus the label):
 *     prk = HKDF-Extract(salt = 0^32, "hybrid_prk" || ss0 || ss1 || ct0 || pk0 || ct1 || pk1 || label)
 *     ss  = HKDF-Expand(prk, I2OSP(32, 2) || "shared_secret", 32)
 *   i.e. HKDF-SHA-256 (RFC 5869) with an empty salt, which HMAC pads to zeros.
 *
 * The native backend cannot take fixed ML-KEM randomness, so fixed
 * `randomness` works on the portable backend only (vectors and cross-checks).
 *
 * `kemDecapsulateAs` (decapsulation with a long-lived identity key) takes its
 * imported key from the suite's cache (key-cache.ts): the seed is expanded,
 * both secrets imported and the public key derived once per secret key
 * array.
 */
import {
  HYBRID_KEM_SEED_LENGTH,
  HYBRID_KEM_SHARED_SECRET_LENGTH,
  LABELS,
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  MLKEM_RANDOMNESS_LENGTH,
  X25519_KEY_LENGTH,
} from '../constants.js'
import { isParleyError } from '../errors.js'
import { assertLength, concatBytes, fail, uintBE, utf8, wipe } from './bytes.js'
import type { SecretKeyCache } from './key-cache.js'
import { decodeKey, encodeKey } from './keys.js'
import type { CryptoBackend, KeyPair, SecretKeyHandle } from './types.js'

/** A hybrid KEM secret key imported into a backend: both component handles and the raw public key. */
export interface ImportedKemKey {
  /** pk0 ‖ pk1 = ML-KEM-768 ek (1184) ‖ X25519 public (32), raw. */
  publicRaw: Uint8Array
  mlKem768: SecretKeyHandle
  x25519: SecretKeyHandle
}

/** Encapsulation randomness: ML-KEM `m` (32) || X25519 ephemeral secret (32). */
export const HYBRID_KEM_RANDOMNESS_LENGTH = MLKEM_RANDOMNESS_LENGTH + X25519_KEY_LENGTH

const LABEL = utf8(LABELS.hybridKem)
const PRK_PREFIX = utf8('hybrid_prk')
/** HKDF-Expand info: I2OSP(L, 2) || "shared_secret" || "" (empty context). */
const EXPAND_INFO = concatBytes(uintBE(HYBRID_KEM_SHARED_SECRET_LENGTH, 2), utf8('shared_secret'))
const EMPTY = new Uint8Array(0)

/** SHAKE256 seed expansion (noble's expandSeedXof): ML-KEM seed || X25519 secret. */
function expandSeed(backend: CryptoBackend, seed: Uint8Array): { expanded: Uint8Array; mlKemSeed: Uint8Array; x25519Secret: Uint8Array } {
  const expanded = backend.shake256(seed, MLKEM768_SEED_LENGTH + X25519_KEY_LENGTH)
  return { expanded, mlKemSeed: expanded.subarray(0, MLKEM768_SEED_LENGTH), x25519Secret: expanded.subarray(MLKEM768_SEED_LENGTH) }
}

function combine(backend: CryptoBackend, ss0: Uint8Array, ss1: Uint8Array, ct0: Uint8Array, pk0: Uint8Array, ct1: Uint8Array, pk1: Uint8Array): Uint8Array {
  const ikm = concatBytes(PRK_PREFIX, ss0, ss1, ct0, pk0, ct1, pk1, LABEL)
  try {
    return backend.hkdfSha256(ikm, EMPTY, EXPAND_INFO, HYBRID_KEM_SHARED_SECRET_LENGTH)
  } finally {
    wipe(ikm)
  }
}

/** Raw public key pk0 || pk1 of a 32-byte seed. */
function publicKeyOfSeed(backend: CryptoBackend, seed: Uint8Array): Uint8Array {
  const { expanded, mlKemSeed, x25519Secret } = expandSeed(backend, seed)
  try {
    return concatBytes(backend.mlKem768PublicKey(mlKemSeed), backend.x25519PublicKey(x25519Secret))
  } finally {
    wipe(expanded)
  }
}

export function generateKemKey(backend: CryptoBackend, seed?: Uint8Array): KeyPair {
  const root = seed === undefined ? backend.randomBytes(HYBRID_KEM_SEED_LENGTH) : Uint8Array.from(seed)
  assertLength('generateKemKey', 'seed', root, HYBRID_KEM_SEED_LENGTH, 'KEY_INVALID')
  try {
    return { publicKey: encodeKey('kemPublic', publicKeyOfSeed(backend, root)), secretKey: encodeKey('kemSecret', root) }
  } finally {
    wipe(root)
  }
}

/** Typed public key of a typed KEM secret key. */
export function kemPublicKey(backend: CryptoBackend, secretKey: Uint8Array): Uint8Array {
  return encodeKey('kemPublic', publicKeyOfSeed(backend, decodeKey('kemSecret', secretKey)))
}

/**
 * Encapsulates to a typed KEM public key; returns a typed ciphertext. A
 * small-order X25519 half of the public key throws X25519_ZERO_SHARED.
 * `randomness` (64 bytes) is the vector/cross-check hook (portable only).
 */
export function kemEncapsulate(backend: CryptoBackend, publicKey: Uint8Array, randomness?: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  const pk = decodeKey('kemPublic', publicKey)
  const pk0 = pk.subarray(0, MLKEM768_PUBLIC_KEY_LENGTH)
  const pk1 = pk.subarray(MLKEM768_PUBLIC_KEY_LENGTH)
  if (randomness !== undefined) assertLength('encapsulate', 'randomness', randomness, HYBRID_KEM_RANDOMNESS_LENGTH)
  let ss0: Uint8Array | undefined
  let ss1: Uint8Array | undefined
  try {
    const kem = backend.mlKem768Encapsulate(pk0, randomness?.subarray(0, MLKEM_RANDOMNESS_LENGTH))
    ss0 = kem.sharedSecret
    const dh = backend.x25519Encapsulate(pk1, randomness?.subarray(MLKEM_RANDOMNESS_LENGTH))
    ss1 = dh.sharedSecret
    return {
      ciphertext: encodeKey('kemCiphertext', concatBytes(kem.ciphertext, dh.ciphertext)),
      sharedSecret: combine(backend, ss0, ss1, kem.ciphertext, pk0, dh.ciphertext, pk1),
    }
  } finally {
    wipe(ss0, ss1)
  }
}

/**
 * Decapsulates a typed ciphertext with a typed KEM secret key. A malformed
 * secret key throws KEY_INVALID / KEY_TYPE_MISMATCH; any malformed
 * ciphertext (wrong type or length, small-order X25519 half) throws
 * KEM_FAILED. A wrong but well-formed ciphertext yields an unrelated secret
 * (FIPS 203 implicit rejection), never an error.
 */
export function kemDecapsulate(backend: CryptoBackend, secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const seed = decodeKey('kemSecret', secretKey)
  const { ct0, ct1 } = splitCiphertext(ciphertext)
  const { expanded, mlKemSeed, x25519Secret } = expandSeed(backend, seed)
  let ss0: Uint8Array | undefined
  let ss1: Uint8Array | undefined
  try {
    const kem = backend.mlKem768DecapsulateWithPublicKey(mlKemSeed, ct0)
    ss0 = kem.sharedSecret
    const dh = backend.x25519WithPublicKey(x25519Secret, ct1)
    ss1 = dh.sharedSecret
    return combine(backend, ss0, ss1, ct0, kem.publicKey, ct1, dh.ownPublicKey)
  } catch (err) {
    return malformed(err)
  } finally {
    wipe(expanded, ss0, ss1)
  }
}

/** Expands a KEM seed and imports both secrets (ML-KEM-768 key expansion, X25519 scalar). */
function importKemKey(backend: CryptoBackend, seed: Uint8Array): ImportedKemKey {
  const { expanded, mlKemSeed, x25519Secret } = expandSeed(backend, seed)
  try {
    const mlKem768 = backend.importSecretKey('ml-kem-768', mlKemSeed)
    const x25519 = backend.importSecretKey('x25519', x25519Secret)
    return { publicRaw: concatBytes(backend.mlKem768PublicKey(mlKem768), backend.x25519PublicKey(x25519)), mlKem768, x25519 }
  } finally {
    wipe(expanded)
  }
}

/**
 * `kemDecapsulate` as the holder of the typed `publicKey`: INVALID_ARGUMENT
 * when `secretKey` is not that key's (checked after the decapsulation, so a
 * malformed ciphertext is KEM_FAILED first, as on `kemDecapsulate`). The
 * imported key comes from `keys` (the suite's cache, key-cache.ts).
 */
export function kemDecapsulateAs(
  backend: CryptoBackend,
  keys: SecretKeyCache<ImportedKemKey>,
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const expected = decodeKey('kemPublic', publicKey)
  const seed = decodeKey('kemSecret', secretKey)
  const { ct0, ct1 } = splitCiphertext(ciphertext)
  const key = keys.get(secretKey, () => importKemKey(backend, seed))
  let ss0: Uint8Array | undefined
  let ss1: Uint8Array | undefined
  try {
    ss0 = backend.mlKem768Decapsulate(key.mlKem768, ct0)
    ss1 = backend.x25519(key.x25519, ct1)
  } catch (err) {
    wipe(ss0)
    return malformed(err)
  }
  try {
    if (!backend.timingSafeEqual(key.publicRaw, expected)) fail('INVALID_ARGUMENT', 'decapsulateAs', 'the secret key is not the public key\'s')
    return combine(backend, ss0, ss1, ct0, key.publicRaw.subarray(0, MLKEM768_PUBLIC_KEY_LENGTH), ct1, key.publicRaw.subarray(MLKEM768_PUBLIC_KEY_LENGTH))
  } finally {
    wipe(ss0, ss1)
  }
}

/** The two halves of a typed hybrid ciphertext; KEM_FAILED when it is malformed. */
function splitCiphertext(ciphertext: Uint8Array): { ct0: Uint8Array; ct1: Uint8Array } {
  let ct: Uint8Array
  try {
    ct = decodeKey('kemCiphertext', ciphertext)
  } catch (err) {
    return fail('KEM_FAILED', 'decapsulate', 'malformed ciphertext', err)
  }
  return { ct0: ct.subarray(0, MLKEM768_CIPHERTEXT_LENGTH), ct1: ct.subarray(MLKEM768_CIPHERTEXT_LENGTH) }
}

/** A small-order X25519 half or a refused ML-KEM ciphertext is a malformed ciphertext (KEM_FAILED); anything else propagates. */
function malformed(err: unknown): never {
  if (isParleyError(err, 'X25519_ZERO_SHARED') || isParleyError(err, 'KEM_FAILED')) {
    return fail('KEM_FAILED', 'decapsulate', 'malformed ciphertext', err)
  }
  throw err
}
