/**
 * The portable `CryptoBackend`: every primitive of the parley-1 suite over the
 * audited pure-JS @noble libraries, for runtimes without node:crypto and as
 * the reference the native backend is cross-checked against. Specs:
 * FIPS 180-4 (SHA-256), FIPS 202 (SHA3-256, SHAKE256), RFC 2104 (HMAC),
 * RFC 5869 (HKDF), NIST SP 800-38D (AES-GCM), RFC 8439 (ChaCha20-Poly1305),
 * draft-irtf-cfrg-xchacha (XChaCha20-Poly1305), RFC 7748 (X25519),
 * RFC 8032 (Ed25519, strict: `zip215: false`), FIPS 203 (ML-KEM-768),
 * FIPS 204 (ML-DSA-65), RFC 9106 (Argon2id).
 *
 * This backend honours the two randomness test hooks (ML-KEM encapsulation
 * `m`, ML-DSA signing `rnd`) so that deterministic vectors run on it.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { equalBytes } from '@noble/ciphers/utils.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { argon2idAsync } from '@noble/hashes/argon2.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { sha3_256, shake256 } from '@noble/hashes/sha3.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import {
  AEAD_TAG_LENGTH,
  AES256_KEY_LENGTH,
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  MLDSA65_PUBLIC_KEY_LENGTH,
  MLDSA65_SEED_LENGTH,
  MLDSA65_SIGNATURE_LENGTH,
  MLDSA_MAX_CONTEXT_LENGTH,
  MLDSA_RANDOMNESS_LENGTH,
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  MLKEM_RANDOMNESS_LENGTH,
  X25519_KEY_LENGTH,
} from '../constants.js'
import { ParleyError, DECRYPT_FAILED_MESSAGE } from '../errors.js'
import {
  checkAesGcm,
  checkAesGcmInputs,
  checkArgon2,
  checkChaCha,
  checkHkdf,
  checkMlDsaContext,
  checkOutputLength,
  checkSealInto,
  checkXChaCha,
  detachedCiphertext,
  tooShortForTag,
} from './backend-checks.js'
import { assertBytes, assertLength, concatBytes, fail, wipe } from './bytes.js'
import type { Argon2Params, AssociatedData, CryptoBackend, SecretKeyAlgorithm, SecretKeyHandle } from './types.js'


const EMPTY = new Uint8Array(0)

/** WebCrypto caps one getRandomValues call at 65,536 bytes (W3C WebCrypto §10.1.1). */
const GET_RANDOM_VALUES_MAX = 65_536

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (const b of bytes) acc |= b
  return acc === 0
}

/** AEAD open: any failure is the one opaque DECRYPT_FAILED. */
function open(op: string, decrypt: () => Uint8Array): Uint8Array {
  try {
    return decrypt()
  } catch (err) {
    return fail('DECRYPT_FAILED', op, DECRYPT_FAILED_MESSAGE, err)
  }
}

/** Wipes a handle's private copy once the handle is collected (as OpenSSL clears a freed key). */
const handleCopies = new FinalizationRegistry<Uint8Array>((copy) => copy.fill(0))

/**
 * The portable `SecretKeyHandle`: a private copy of the key (noble has no
 * import step; the handle exists so both backends take the same calls).
 */
class PortableSecretKeyHandle implements SecretKeyHandle {
  readonly backend = 'portable'
  readonly algorithm: SecretKeyAlgorithm
  readonly #key: Uint8Array

  constructor(algorithm: SecretKeyAlgorithm, key: Uint8Array) {
    this.algorithm = algorithm
    this.#key = Uint8Array.from(key)
    handleCopies.register(this, this.#key)
    Object.freeze(this)
  }

  static bytes(op: string, algorithm: SecretKeyAlgorithm, key: Uint8Array | SecretKeyHandle): Uint8Array {
    if (key instanceof Uint8Array) return key
    if (!(key instanceof PortableSecretKeyHandle) || key.algorithm !== algorithm) {
      return fail('KEY_INVALID', op, `expected a portable ${algorithm} key handle`)
    }
    return key.#key
  }
}

/** Associated data given in parts, as the one string they stand for. */
function joined(aad: AssociatedData): Uint8Array {
  return aad instanceof Uint8Array ? aad : concatBytes(...aad)
}

/** The raw key of a raw key or of a portable handle for `algorithm`. */
const keyBytes = PortableSecretKeyHandle.bytes

/** The raw key length a handle of each algorithm is made from. */
const HANDLE_KEY_LENGTHS: Readonly<Record<SecretKeyAlgorithm, number>> = {
  'aes-256-gcm': AES256_KEY_LENGTH,
  x25519: X25519_KEY_LENGTH,
  ed25519: ED25519_SEED_LENGTH,
  'ml-dsa-65': MLDSA65_SEED_LENGTH,
  'ml-kem-768': MLKEM768_SEED_LENGTH,
}

/** ML-DSA-65 key pair from a 32-byte seed (FIPS 204 Algorithm 6, ML-DSA.KeyGen_internal). */
function mlDsaKeys(op: string, seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  assertLength(op, 'seed', seed, MLDSA65_SEED_LENGTH, 'KEY_INVALID')
  return ml_dsa65.keygen(seed)
}

/** FIPS 204 Algorithm 2: hedged with fresh rnd, or the caller's rnd (vectors); with the public key of `seed`. */
function mlDsaSign(op: string, seed: Uint8Array, message: Uint8Array, context: Uint8Array, randomness?: Uint8Array): { signature: Uint8Array; publicKey: Uint8Array } {
  const { publicKey, secretKey } = mlDsaKeys(op, seed)
  try {
    assertBytes(op, 'message', message)
    checkMlDsaContext(op, context)
    if (randomness !== undefined) assertLength(op, 'randomness', randomness, MLDSA_RANDOMNESS_LENGTH)
    return { signature: ml_dsa65.sign(message, secretKey, randomness === undefined ? { context } : { context, extraEntropy: randomness }), publicKey }
  } finally {
    wipe(secretKey)
  }
}

/** RFC 7748 §6.1 X25519 with the all-zero check. */
function x25519Agree(op: string, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertLength(op, 'secretKey', secretKey, X25519_KEY_LENGTH, 'KEY_INVALID')
  assertLength(op, 'publicKey', publicKey, X25519_KEY_LENGTH, 'KEY_INVALID')
  let shared: Uint8Array
  try {
    // noble refuses the low-order u-coordinates (whose output is all zero) before the ladder.
    shared = x25519.getSharedSecret(secretKey, publicKey)
  } catch (err) {
    return fail('X25519_ZERO_SHARED', op, 'all-zero shared secret (small-order public key)', err)
  }
  // RFC 7748 §6.1: check for the all-zero value and abort.
  if (isAllZero(shared)) fail('X25519_ZERO_SHARED', op, 'all-zero shared secret (small-order public key)')
  return shared
}

/** FIPS 203 ML-KEM.KeyGen_internal from the seed, then Algorithm 21 (implicit rejection). */
function mlKemDecapsulate(op: string, seed: Uint8Array, ciphertext: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
  assertLength(op, 'seed', seed, MLKEM768_SEED_LENGTH, 'KEY_INVALID')
  assertLength(op, 'ciphertext', ciphertext, MLKEM768_CIPHERTEXT_LENGTH)
  const { secretKey, publicKey } = ml_kem768.keygen(seed)
  try {
    return { publicKey, sharedSecret: ml_kem768.decapsulate(ciphertext, secretKey) }
  } catch (err) {
    return fail('KEM_FAILED', op, 'decapsulation failed', err)
  } finally {
    wipe(secretKey)
  }
}

export const portableBackend: CryptoBackend = {
  name: 'portable',

  randomBytes(length: number): Uint8Array {
    checkOutputLength('randomBytes', length)
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += GET_RANDOM_VALUES_MAX) {
      globalThis.crypto.getRandomValues(out.subarray(i, i + GET_RANDOM_VALUES_MAX))
    }
    return out
  },

  sha256(data: Uint8Array): Uint8Array {
    assertBytes('sha256', 'data', data)
    return sha256(data)
  },

  sha3_256(data: Uint8Array): Uint8Array {
    assertBytes('sha3_256', 'data', data)
    return sha3_256(data)
  },

  shake256(data: Uint8Array, outputLength: number): Uint8Array {
    assertBytes('shake256', 'data', data)
    checkOutputLength('shake256', outputLength)
    if (outputLength === 0) return new Uint8Array(0)
    return shake256(data, { dkLen: outputLength })
  },

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    assertBytes('hmacSha256', 'key', key, 'KEY_INVALID')
    assertBytes('hmacSha256', 'data', data)
    return hmac(sha256, key, data)
  },

  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    checkHkdf('hkdfSha256', ikm, salt, info, length)
    // RFC 5869 §2.2: an empty salt acts as HashLen zero bytes (HMAC pads the key with zeros).
    return hkdf(sha256, ikm, salt, info, length)
  },

  importSecretKey(algorithm: SecretKeyAlgorithm, key: Uint8Array): SecretKeyHandle {
    const op = 'importSecretKey'
    if (!Object.hasOwn(HANDLE_KEY_LENGTHS, algorithm)) fail('INVALID_ARGUMENT', op, `unknown algorithm ${JSON.stringify(algorithm)}`)
    assertLength(op, 'key', key, HANDLE_KEY_LENGTHS[algorithm], 'KEY_INVALID')
    return new PortableSecretKeyHandle(algorithm, key)
  },

  aesGcmSeal(key, nonce, plaintext, aad, into) {
    const raw = keyBytes('aesGcmSeal', 'aes-256-gcm', key)
    if (raw === key) checkAesGcm('aesGcmSeal', raw, nonce, plaintext, aad)
    else checkAesGcmInputs('aesGcmSeal', nonce, plaintext, aad)
    const sealed = gcm(raw, nonce, joined(aad)).encrypt(plaintext)
    if (into === undefined) return sealed
    checkSealInto('aesGcmSeal', into, plaintext)
    into.set(sealed)
    return into
  },

  aesGcmSealDetached(key, nonce, plaintext, aad) {
    const sealed = portableBackend.aesGcmSeal(key, nonce, plaintext, aad)
    const n = sealed.length - AEAD_TAG_LENGTH
    return { ciphertext: sealed.subarray(0, n), tag: sealed.subarray(n) }
  },

  aesGcmOpenDetached(key, nonce, ciphertext, tag, aad) {
    const op = 'aesGcmOpenDetached'
    const { parts } = detachedCiphertext(op, ciphertext)
    assertBytes(op, 'tag', tag)
    if (tag.length !== AEAD_TAG_LENGTH) fail('DECRYPT_FAILED', op, DECRYPT_FAILED_MESSAGE)
    // @noble/ciphers takes one buffer: ciphertext || tag, joined here
    return [portableBackend.aesGcmOpen(key, nonce, concatBytes(...parts, tag), aad)]
  },

  aesGcmOpen(key, nonce, sealed, aad) {
    const raw = keyBytes('aesGcmOpen', 'aes-256-gcm', key)
    if (raw === key) checkAesGcm('aesGcmOpen', raw, nonce, sealed, aad)
    else checkAesGcmInputs('aesGcmOpen', nonce, sealed, aad)
    if (tooShortForTag(sealed)) fail('DECRYPT_FAILED', 'aesGcmOpen', DECRYPT_FAILED_MESSAGE)
    return open('aesGcmOpen', () => gcm(raw, nonce, joined(aad)).decrypt(sealed))
  },

  chacha20Poly1305Seal(key, nonce, plaintext, aad) {
    checkChaCha('chacha20Poly1305Seal', key, nonce, plaintext, aad)
    return chacha20poly1305(key, nonce, aad).encrypt(plaintext)
  },

  chacha20Poly1305Open(key, nonce, sealed, aad) {
    checkChaCha('chacha20Poly1305Open', key, nonce, sealed, aad)
    if (tooShortForTag(sealed)) fail('DECRYPT_FAILED', 'chacha20Poly1305Open', DECRYPT_FAILED_MESSAGE)
    return open('chacha20Poly1305Open', () => chacha20poly1305(key, nonce, aad).decrypt(sealed))
  },

  xchacha20Poly1305Seal(key, nonce, plaintext, aad) {
    checkXChaCha('xchacha20Poly1305Seal', key, nonce, plaintext, aad)
    return xchacha20poly1305(key, nonce, aad).encrypt(plaintext)
  },

  xchacha20Poly1305Open(key, nonce, sealed, aad) {
    checkXChaCha('xchacha20Poly1305Open', key, nonce, sealed, aad)
    if (tooShortForTag(sealed)) fail('DECRYPT_FAILED', 'xchacha20Poly1305Open', DECRYPT_FAILED_MESSAGE)
    return open('xchacha20Poly1305Open', () => xchacha20poly1305(key, nonce, aad).decrypt(sealed))
  },

  x25519PublicKey(secretKey: Uint8Array | SecretKeyHandle): Uint8Array {
    const raw = keyBytes('x25519PublicKey', 'x25519', secretKey)
    assertLength('x25519PublicKey', 'secretKey', raw, X25519_KEY_LENGTH, 'KEY_INVALID')
    return x25519.getPublicKey(raw)
  },

  x25519(secretKey: Uint8Array | SecretKeyHandle, publicKey: Uint8Array): Uint8Array {
    return x25519Agree('x25519', keyBytes('x25519', 'x25519', secretKey), publicKey)
  },

  x25519WithPublicKey(secretKey: Uint8Array, publicKey: Uint8Array) {
    const sharedSecret = x25519Agree('x25519WithPublicKey', secretKey, publicKey)
    return { ownPublicKey: x25519.getPublicKey(secretKey), sharedSecret }
  },

  x25519Encapsulate(publicKey: Uint8Array, randomness?: Uint8Array) {
    const op = 'x25519Encapsulate'
    assertLength(op, 'publicKey', publicKey, X25519_KEY_LENGTH, 'KEY_INVALID')
    const ephemeral = randomness === undefined ? x25519.utils.randomSecretKey() : Uint8Array.from(randomness)
    try {
      const sharedSecret = x25519Agree(op, ephemeral, publicKey)
      return { ciphertext: x25519.getPublicKey(ephemeral), sharedSecret }
    } finally {
      wipe(ephemeral)
    }
  },

  ed25519PublicKey(seed: Uint8Array | SecretKeyHandle): Uint8Array {
    const raw = keyBytes('ed25519PublicKey', 'ed25519', seed)
    assertLength('ed25519PublicKey', 'seed', raw, ED25519_SEED_LENGTH, 'KEY_INVALID')
    return ed25519.getPublicKey(raw)
  },

  ed25519Sign(seed: Uint8Array | SecretKeyHandle, message: Uint8Array): Uint8Array {
    const raw = keyBytes('ed25519Sign', 'ed25519', seed)
    assertLength('ed25519Sign', 'seed', raw, ED25519_SEED_LENGTH, 'KEY_INVALID')
    assertBytes('ed25519Sign', 'message', message)
    return ed25519.sign(message, raw)
  },

  ed25519SignWithPublicKey(seed: Uint8Array, message: Uint8Array) {
    assertLength('ed25519SignWithPublicKey', 'seed', seed, ED25519_SEED_LENGTH, 'KEY_INVALID')
    assertBytes('ed25519SignWithPublicKey', 'message', message)
    return { signature: ed25519.sign(message, seed), publicKey: ed25519.getPublicKey(seed) }
  },

  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    assertLength('ed25519Verify', 'publicKey', publicKey, ED25519_PUBLIC_KEY_LENGTH, 'KEY_INVALID')
    assertBytes('ed25519Verify', 'message', message)
    assertBytes('ed25519Verify', 'signature', signature)
    if (signature.length !== ED25519_SIGNATURE_LENGTH) return false
    try {
      // zip215: false = RFC 8032 §5.1.7 strict decoding of A and R, S < L, and small-order A refused.
      return ed25519.verify(signature, message, publicKey, { zip215: false })
    } catch {
      return false
    }
  },

  mlKem768PublicKey(seed: Uint8Array | SecretKeyHandle): Uint8Array {
    const raw = keyBytes('mlKem768PublicKey', 'ml-kem-768', seed)
    assertLength('mlKem768PublicKey', 'seed', raw, MLKEM768_SEED_LENGTH, 'KEY_INVALID')
    const { publicKey, secretKey } = ml_kem768.keygen(raw)
    wipe(secretKey)
    return publicKey
  },

  mlKem768ExpandedSecretKey(seed: Uint8Array): Uint8Array {
    assertLength('mlKem768ExpandedSecretKey', 'seed', seed, MLKEM768_SEED_LENGTH, 'KEY_INVALID')
    return ml_kem768.keygen(seed).secretKey
  },

  mlKem768Encapsulate(publicKey: Uint8Array, randomness?: Uint8Array) {
    const op = 'mlKem768Encapsulate'
    assertLength(op, 'publicKey', publicKey, MLKEM768_PUBLIC_KEY_LENGTH, 'KEY_INVALID')
    if (randomness !== undefined) assertLength(op, 'randomness', randomness, MLKEM_RANDOMNESS_LENGTH)
    let result: { cipherText: Uint8Array; sharedSecret: Uint8Array }
    try {
      // FIPS 203 Algorithm 20 (ML-KEM.Encaps) with §7.2 input checking of ek.
      result = ml_kem768.encapsulate(publicKey, randomness)
    } catch (err) {
      return fail('KEY_INVALID', op, 'invalid ml-kem-768 public key', err)
    }
    return { ciphertext: result.cipherText, sharedSecret: result.sharedSecret }
  },

  mlKem768Decapsulate(seed: Uint8Array | SecretKeyHandle, ciphertext: Uint8Array): Uint8Array {
    return mlKemDecapsulate('mlKem768Decapsulate', keyBytes('mlKem768Decapsulate', 'ml-kem-768', seed), ciphertext).sharedSecret
  },

  mlKem768DecapsulateWithPublicKey(seed: Uint8Array, ciphertext: Uint8Array) {
    return mlKemDecapsulate('mlKem768DecapsulateWithPublicKey', seed, ciphertext)
  },

  mlDsa65PublicKey(seed: Uint8Array | SecretKeyHandle): Uint8Array {
    const { publicKey, secretKey } = mlDsaKeys('mlDsa65PublicKey', keyBytes('mlDsa65PublicKey', 'ml-dsa-65', seed))
    wipe(secretKey)
    return publicKey
  },

  mlDsa65Sign(seed: Uint8Array | SecretKeyHandle, message: Uint8Array, context: Uint8Array = EMPTY, randomness?: Uint8Array): Uint8Array {
    return mlDsaSign('mlDsa65Sign', keyBytes('mlDsa65Sign', 'ml-dsa-65', seed), message, context, randomness).signature
  },

  mlDsa65SignWithPublicKey(seed: Uint8Array, message: Uint8Array, context: Uint8Array = EMPTY, randomness?: Uint8Array) {
    return mlDsaSign('mlDsa65SignWithPublicKey', seed, message, context, randomness)
  },

  mlDsa65Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context: Uint8Array = EMPTY): boolean {
    const op = 'mlDsa65Verify'
    assertLength(op, 'publicKey', publicKey, MLDSA65_PUBLIC_KEY_LENGTH, 'KEY_INVALID')
    assertBytes(op, 'message', message)
    assertBytes(op, 'signature', signature)
    assertBytes(op, 'context', context)
    // FIPS 204 Algorithm 3 steps 1-2: wrong ctx or signature length is a failed verification.
    if (signature.length !== MLDSA65_SIGNATURE_LENGTH || context.length > MLDSA_MAX_CONTEXT_LENGTH) return false
    try {
      return ml_dsa65.verify(signature, message, publicKey, { context })
    } catch {
      return false
    }
  },

  async argon2id(password: Uint8Array, salt: Uint8Array, params: Argon2Params): Promise<Uint8Array> {
    checkArgon2('argon2id', password, salt, params)
    try {
      // RFC 9106 §3 Argon2id, version 0x13.
      return await argon2idAsync(password, salt, { t: params.passes, m: params.memoryKiB, p: params.parallelism, dkLen: params.length })
    } catch (err) {
      throw new ParleyError('INTERNAL', 'argon2id: derivation failed', { cause: err })
    }
  },

  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
    assertBytes('timingSafeEqual', 'a', a)
    assertBytes('timingSafeEqual', 'b', b)
    return equalBytes(a, b)
  },
}
