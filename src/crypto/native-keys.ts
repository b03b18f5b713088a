/**
 * Key import and export for the native backend: node's `raw-private` /
 * `raw-seed` / `raw-public` formats (and, for ML-KEM secret keys, the
 * faster PKCS#8 seed form), the per-type LRU of imported public keys, the
 * secret-key handles, and the Buffer/Uint8Array boundary. Secret key objects
 * are never cached here: an OpenSSL key object cannot be wiped from
 * JavaScript, so it lives no longer than one call — or, for a key used more
 * than once, as long as the `SecretKeyHandle` its owner holds with the key
 * (the suite's identity-key cache, key-cache.ts, is such an owner).
 */
import { Buffer } from 'node:buffer'
import { createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import {
  AES256_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  MLDSA65_SEED_LENGTH,
  MLKEM768_EXPANDED_SECRET_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  NATIVE_PUBLIC_KEY_CACHE_ENTRIES,
  X25519_KEY_LENGTH,
} from '../constants.js'
import { assertLength, fail } from './bytes.js'
import type { SecretKeyAlgorithm, SecretKeyHandle } from './types.js'

export type AsymmetricType = 'ed25519' | 'x25519' | 'ml-kem-768' | 'ml-dsa-65'

/** A Buffer view of `bytes` for node APIs typed as Buffer (no copy). */
export function buf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * A plain Uint8Array owning the bytes of a Buffer returned by node. A Buffer
 * that fills its ArrayBuffer is re-viewed; one cut from node's shared pool is
 * copied and its pool slice wiped.
 */
export function own(b: Buffer): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return new Uint8Array(b.buffer)
  const copy = Uint8Array.from(b)
  b.fill(0)
  return copy
}

/**
 * PKCS#8 prefix of an ML-KEM-768 private key in the seed-only form
 * (draft-ietf-lamps-kyber-certificates: `seed [0] IMPLICIT OCTET STRING
 * (SIZE (64))`). OpenSSL imports this form in ~60% of the time of node's
 * `raw-seed` format, and ML-KEM key import dominates hybrid decapsulation.
 */
const MLKEM_SEED_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x54, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02, 0x04, 0x42,
  0x80, 0x40,
])

/**
 * `f()` with V8 stack traces off, its error returned rather than thrown.
 * node's `createPrivateKey` / `createPublicKey` probe a `{ key, format }`
 * argument with isKeyObject and isCryptoKey, which throw and catch
 * internally (four exceptions per import); capturing their stacks is most of
 * the cost of importing a raw X25519 public key (17 → 5 µs) and a large part
 * of a secret one (43 → 30 µs). Synchronous: the limit is restored before
 * the caller goes on (and makes its ParleyError, with a stack, around the
 * returned error).
 */
function quietly<T>(f: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return { ok: true, value: f() }
  } catch (error) {
    return { ok: false, error }
  } finally {
    Error.stackTraceLimit = limit
  }
}

/** An ML-KEM-768 secret key from its 64-byte seed, through the PKCS#8 seed form (the import buffer wiped). */
function importMlKemSeed(seed: Uint8Array): KeyObject {
  const der = Buffer.alloc(MLKEM_SEED_PKCS8_PREFIX.length + seed.length)
  der.set(MLKEM_SEED_PKCS8_PREFIX, 0)
  der.set(seed, MLKEM_SEED_PKCS8_PREFIX.length)
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } finally {
    der.fill(0)
  }
}

export function importSecret(op: string, type: AsymmetricType, format: 'raw-private' | 'raw-seed', key: Uint8Array): KeyObject {
  const r = quietly(() => (type === 'ml-kem-768' ? importMlKemSeed(key) : createPrivateKey({ key: buf(key), format, asymmetricKeyType: type })))
  return r.ok ? r.value : fail('KEY_INVALID', op, `invalid ${type} secret key`, r.error)
}

/**
 * The native `SecretKeyHandle`: an imported key object in a private field,
 * reachable only through `keyObjectOf` (types.ts has the lifetime rules).
 */
class NativeSecretKeyHandle implements SecretKeyHandle {
  readonly backend = 'native'
  readonly algorithm: SecretKeyAlgorithm
  readonly #key: KeyObject

  constructor(algorithm: SecretKeyAlgorithm, key: KeyObject) {
    this.algorithm = algorithm
    this.#key = key
    Object.freeze(this)
  }

  static keyObject(op: string, algorithm: SecretKeyAlgorithm, handle: unknown): KeyObject {
    if (!(handle instanceof NativeSecretKeyHandle) || handle.algorithm !== algorithm) {
      return fail('KEY_INVALID', op, `expected a native ${algorithm} key handle`)
    }
    return handle.#key
  }
}

/** The asymmetric algorithms a handle can hold: node's format and the raw length of each. */
const ASYMMETRIC_SECRETS = {
  x25519: { format: 'raw-private', length: X25519_KEY_LENGTH },
  ed25519: { format: 'raw-private', length: ED25519_SEED_LENGTH },
  'ml-dsa-65': { format: 'raw-seed', length: MLDSA65_SEED_LENGTH },
  'ml-kem-768': { format: 'raw-seed', length: MLKEM768_SEED_LENGTH },
} as const

/** `CryptoBackend.importSecretKey` of the native backend. */
export function importSecretHandle(algorithm: SecretKeyAlgorithm, key: Uint8Array): SecretKeyHandle {
  const op = 'importSecretKey'
  if (algorithm === 'aes-256-gcm') {
    assertLength(op, 'key', key, AES256_KEY_LENGTH, 'KEY_INVALID')
    return new NativeSecretKeyHandle(algorithm, createSecretKey(key))
  }
  if (!Object.hasOwn(ASYMMETRIC_SECRETS, algorithm)) return fail('INVALID_ARGUMENT', op, `unknown algorithm ${JSON.stringify(algorithm)}`)
  const spec = ASYMMETRIC_SECRETS[algorithm]
  assertLength(op, 'key', key, spec.length, 'KEY_INVALID')
  return new NativeSecretKeyHandle(algorithm, importSecret(op, algorithm, spec.format, key))
}

/** The key object of a handle made by `importSecretHandle` for `algorithm`; KEY_INVALID for anything else. */
export function keyObjectOf(op: string, algorithm: SecretKeyAlgorithm, handle: SecretKeyHandle): KeyObject {
  return NativeSecretKeyHandle.keyObject(op, algorithm, handle)
}

/**
 * The key object of an asymmetric secret key given raw (checked and imported
 * for this call) or as a handle of `type` (taken as it is).
 */
export function secretKeyObject(op: string, type: AsymmetricType, key: Uint8Array | SecretKeyHandle): KeyObject {
  if (!(key instanceof Uint8Array)) return keyObjectOf(op, type, key)
  const spec = ASYMMETRIC_SECRETS[type]
  assertLength(op, type === 'x25519' ? 'secretKey' : 'seed', key, spec.length, 'KEY_INVALID')
  return importSecret(op, type, spec.format, key)
}

/**
 * One LRU of imported public keys per type, keyed by the exact bytes. Public
 * data only. Per type, so that a flood of ephemeral X25519 keys never evicts
 * long-term signing or encapsulation keys.
 */
const publicKeys: Record<AsymmetricType, Map<string, KeyObject>> = {
  ed25519: new Map(),
  x25519: new Map(),
  'ml-kem-768': new Map(),
  'ml-dsa-65': new Map(),
}

export function importPublic(op: string, type: AsymmetricType, key: Uint8Array): KeyObject {
  const cache = publicKeys[type]
  const id = buf(key).toString('latin1')
  const cached = cache.get(id)
  if (cached !== undefined) {
    cache.delete(id)
    cache.set(id, cached)
    return cached
  }
  const r = quietly(() => createPublicKey({ key: buf(key), format: 'raw-public', asymmetricKeyType: type }))
  if (!r.ok) return fail('KEY_INVALID', op, `invalid ${type} public key`, r.error)
  const imported = r.value
  cache.set(id, imported)
  if (cache.size > NATIVE_PUBLIC_KEY_CACHE_ENTRIES) {
    const oldest = cache.keys().next()
    if (oldest.done !== true) cache.delete(oldest.value)
  }
  return imported
}

export function exportPublic(secret: KeyObject): Uint8Array {
  return own(createPublicKey(secret).export({ format: 'raw-public' }))
}

/**
 * FIPS 203 expanded decapsulation key out of OpenSSL's PKCS#8 "seed-priv"
 * encoding: SEQUENCE { version, AlgorithmIdentifier(id-alg-ml-kem-768),
 * OCTET STRING { SEQUENCE { OCTET STRING seed(64), OCTET STRING dk(2400) } } }
 * (draft-ietf-lamps-kyber-certificates, "both" form). Vectors only.
 */
const MLKEM_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x82, 0x09, 0xbe, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02,
  0x04, 0x82, 0x09, 0xaa, 0x30, 0x82, 0x09, 0xa6, 0x04, 0x40,
])
const MLKEM_PKCS8_DK_HEADER = Uint8Array.from([0x04, 0x82, 0x09, 0x60])

function startsWith(bytes: Uint8Array, prefix: Uint8Array, offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false
  return true
}

/** The expanded FIPS 203 decapsulation key dk of an imported ML-KEM-768 key (vectors only). */
export function expandedMlKemSecretKey(op: string, key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'pkcs8' })
  const dkOffset = MLKEM_PKCS8_PREFIX.length + MLKEM768_SEED_LENGTH + MLKEM_PKCS8_DK_HEADER.length
  const ok =
    der.length === dkOffset + MLKEM768_EXPANDED_SECRET_KEY_LENGTH &&
    startsWith(der, MLKEM_PKCS8_PREFIX) &&
    startsWith(der, MLKEM_PKCS8_DK_HEADER, MLKEM_PKCS8_PREFIX.length + MLKEM768_SEED_LENGTH)
  const dk = ok ? Uint8Array.from(der.subarray(dkOffset)) : undefined
  der.fill(0)
  if (dk === undefined) return fail('INTERNAL', op, 'unexpected PKCS#8 layout from OpenSSL')
  return dk
}
