/**
 * Key import and export for the native backend: node's `raw-private` /
 * `raw-seed` / `raw-public` formats (and, for ML-KEM secret keys, the
 * faster PKCS#8 seed form), the per-type LRU of imported public keys, and
 * the Buffer/Uint8Array boundary. Secret key objects are never cached: an
 * OpenSSL key object cannot be wiped, so it lives no longer than one call.
 */
import { Buffer } from 'node:buffer'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { MLKEM768_EXPANDED_SECRET_KEY_LENGTH, MLKEM768_SEED_LENGTH, NATIVE_PUBLIC_KEY_CACHE_ENTRIES } from '../constants.js'
import { fail } from './bytes.js'

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

export function importSecret(op: string, type: AsymmetricType, format: 'raw-private' | 'raw-seed', key: Uint8Array): KeyObject {
  try {
    if (type === 'ml-kem-768') {
      const der = Buffer.alloc(MLKEM_SEED_PKCS8_PREFIX.length + key.length)
      der.set(MLKEM_SEED_PKCS8_PREFIX, 0)
      der.set(key, MLKEM_SEED_PKCS8_PREFIX.length)
      try {
        return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
      } finally {
        der.fill(0)
      }
    }
    return createPrivateKey({ key: buf(key), format, asymmetricKeyType: type })
  } catch (err) {
    return fail('KEY_INVALID', op, `invalid ${type} secret key`, err)
  }
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
  let imported: KeyObject
  try {
    imported = createPublicKey({ key: buf(key), format: 'raw-public', asymmetricKeyType: type })
  } catch (err) {
    return fail('KEY_INVALID', op, `invalid ${type} public key`, err)
  }
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
