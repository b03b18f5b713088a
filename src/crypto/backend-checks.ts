/**
 * Argument checks every `CryptoBackend` runs before touching a primitive, in
 * one place so that the native and the portable backend accept and refuse
 * exactly the same inputs (the cross-check tests rely on it). Keys and seeds
 * of the wrong length are `KEY_INVALID`; any other malformed argument is
 * `INVALID_ARGUMENT`; Argon2 costs out of bounds are `KDF_PARAMS_INVALID`.
 */
import {
  AEAD_MAX_DETACHED_PARTS,
  AEAD_TAG_LENGTH,
  ARGON2_MAX_MEMORY_KIB,
  ARGON2_MAX_OUTPUT_LENGTH,
  ARGON2_MAX_PARALLELISM,
  ARGON2_MAX_PASSES,
  ARGON2_MIN_OUTPUT_LENGTH,
  ARGON2_MIN_SALT_LENGTH,
  HKDF_MAX_INFO_LENGTH,
  HKDF_SHA256_MAX_LENGTH,
  MLDSA_MAX_CONTEXT_LENGTH,
  XCHACHA20_KEY_LENGTH,
  XCHACHA20_NONCE_LENGTH,
} from '../constants.js'
import { assertBytes, assertInteger, assertLength, concatBytes, fail } from './bytes.js'
import type { Argon2Params } from './types.js'

/** Largest byte count one `randomBytes` / `shake256` call returns (1 MiB: far above any use). */
const MAX_GENERATED_LENGTH = 1 << 20

export function checkOutputLength(op: string, length: unknown): asserts length is number {
  assertInteger(op, 'length', length, 0, MAX_GENERATED_LENGTH)
}

/** RFC 5869 §2.3: L <= 255 · HashLen; `info` bounded so both backends agree. */
export function checkHkdf(op: string, ikm: unknown, salt: unknown, info: unknown, length: unknown): void {
  assertBytes(op, 'ikm', ikm)
  assertBytes(op, 'salt', salt)
  assertBytes(op, 'info', info)
  if (info.length > HKDF_MAX_INFO_LENGTH) fail('INVALID_ARGUMENT', op, `info must be at most ${HKDF_MAX_INFO_LENGTH} bytes`)
  assertInteger(op, 'length', length, 1, HKDF_SHA256_MAX_LENGTH)
}

/**
 * Shortest AES-GCM nonce a backend accepts: @noble/ciphers' `gcm` refuses
 * fewer than 8 bytes (node:crypto takes 1..128).
 */
export const AES_GCM_MIN_NONCE_LENGTH = 8
/**
 * Longest AES-GCM nonce a backend accepts: OpenSSL 3 caps the GCM IV at
 * 128 bytes (GCM_IV_MAX_SIZE, 1024 bits); @noble/ciphers has no maximum.
 */
export const AES_GCM_MAX_NONCE_LENGTH = 128

/**
 * AES-GCM (NIST SP 800-38D): 128/192/256-bit keys and a nonce of
 * AES_GCM_MIN_NONCE_LENGTH..AES_GCM_MAX_NONCE_LENGTH bytes, the lengths both
 * node:crypto and @noble/ciphers support, so the two backends accept exactly
 * the same inputs. A 96-bit nonce is the §8.2.1 construction (J0 = IV || 1);
 * any other length derives J0 through GHASH (§7.1 step 2). The empty nonce
 * (§5.2.1.1: len(IV) >= 1) is refused. Parley itself only uses 96-bit nonces:
 * the Suite's AES-256-GCM enforces AES_GCM_NONCE_LENGTH; the wider range is
 * for the vector tests.
 */
export function checkAesGcm(op: string, key: unknown, nonce: unknown, data: unknown, aad: unknown): void {
  assertBytes(op, 'key', key, 'KEY_INVALID')
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) fail('KEY_INVALID', op, 'key must be 16, 24 or 32 bytes')
  checkAesGcmInputs(op, nonce, data, aad)
}

/** `checkAesGcm` without the key: for a key handle, whose length was checked when it was imported. */
export function checkAesGcmInputs(op: string, nonce: unknown, data: unknown, aad: unknown): void {
  assertBytes(op, 'nonce', nonce)
  if (nonce.length < AES_GCM_MIN_NONCE_LENGTH || nonce.length > AES_GCM_MAX_NONCE_LENGTH) {
    fail('INVALID_ARGUMENT', op, `nonce must be ${AES_GCM_MIN_NONCE_LENGTH}..${AES_GCM_MAX_NONCE_LENGTH} bytes`)
  }
  assertBytes(op, 'data', data)
  if (Array.isArray(aad)) {
    if (aad.length > AAD_MAX_PARTS) fail('INVALID_ARGUMENT', op, `aad must have at most ${AAD_MAX_PARTS} parts`)
    for (const part of aad) assertBytes(op, 'aad part', part)
  } else {
    assertBytes(op, 'aad', aad)
  }
}

/** Most parts an AES-GCM associated data may come in (`AssociatedData`): a few are all a caller needs. */
export const AAD_MAX_PARTS = 8

/** The destination of a seal: exactly ciphertext + tag long (INVALID_ARGUMENT otherwise). */
export function checkSealInto(op: string, into: unknown, plaintext: Uint8Array): void {
  assertLength(op, 'into', into, plaintext.length + AEAD_TAG_LENGTH)
}

/**
 * The inputs of a detached open besides key, nonce and associated data:
 * byte arrays (INVALID_ARGUMENT otherwise); returns the ciphertext as at
 * most AEAD_MAX_DETACHED_PARTS parts (joined when there are more) and its
 * length. A tag that is not 16 bytes is the caller's DECRYPT_FAILED.
 */
export function detachedCiphertext(op: string, parts: unknown): { parts: readonly Uint8Array[]; length: number } {
  if (!Array.isArray(parts)) fail('INVALID_ARGUMENT', op, 'ciphertext must be an array of byte arrays')
  let length = 0
  for (const part of parts as unknown[]) {
    assertBytes(op, 'ciphertext part', part)
    length += part.length
  }
  const list = parts as readonly Uint8Array[]
  return { parts: list.length <= AEAD_MAX_DETACHED_PARTS ? list : [concatBytes(...list)], length }
}

/** ChaCha20-Poly1305 (RFC 8439 §2.8): 256-bit key, 96-bit nonce. */
export function checkChaCha(op: string, key: unknown, nonce: unknown, data: unknown, aad: unknown): void {
  assertLength(op, 'key', key, 32, 'KEY_INVALID')
  assertLength(op, 'nonce', nonce, 12)
  assertBytes(op, 'data', data)
  assertBytes(op, 'aad', aad)
}

/** XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2): 256-bit key, 192-bit nonce. */
export function checkXChaCha(op: string, key: unknown, nonce: unknown, data: unknown, aad: unknown): void {
  assertLength(op, 'key', key, XCHACHA20_KEY_LENGTH, 'KEY_INVALID')
  assertLength(op, 'nonce', nonce, XCHACHA20_NONCE_LENGTH)
  assertBytes(op, 'data', data)
  assertBytes(op, 'aad', aad)
}

/** True when `sealed` is too short to hold a tag: the caller reports DECRYPT_FAILED. */
export function tooShortForTag(sealed: Uint8Array): boolean {
  return sealed.length < AEAD_TAG_LENGTH
}

/** FIPS 204 §5.2: ctx is at most 255 bytes. */
export function checkMlDsaContext(op: string, context: unknown): void {
  assertBytes(op, 'context', context)
  if (context.length > MLDSA_MAX_CONTEXT_LENGTH) fail('INVALID_ARGUMENT', op, `context must be at most ${MLDSA_MAX_CONTEXT_LENGTH} bytes`)
}

/** RFC 9106 §3.1 bounds, narrowed to what Parley accepts (constants.ts). */
export function checkArgon2(op: string, password: unknown, salt: unknown, params: Argon2Params): void {
  assertBytes(op, 'password', password)
  assertBytes(op, 'salt', salt)
  if (salt.length < ARGON2_MIN_SALT_LENGTH) fail('KDF_PARAMS_INVALID', op, `salt must be at least ${ARGON2_MIN_SALT_LENGTH} bytes`)
  if (typeof params !== 'object' || params === null) fail('KDF_PARAMS_INVALID', op, 'params must be an object')
  assertInteger(op, 'parallelism', params.parallelism, 1, ARGON2_MAX_PARALLELISM, 'KDF_PARAMS_INVALID')
  assertInteger(op, 'passes', params.passes, 1, ARGON2_MAX_PASSES, 'KDF_PARAMS_INVALID')
  // §3.1: m >= 8·p KiB.
  assertInteger(op, 'memoryKiB', params.memoryKiB, 8 * params.parallelism, ARGON2_MAX_MEMORY_KIB, 'KDF_PARAMS_INVALID')
  assertInteger(op, 'length', params.length, ARGON2_MIN_OUTPUT_LENGTH, ARGON2_MAX_OUTPUT_LENGTH, 'KDF_PARAMS_INVALID')
}
