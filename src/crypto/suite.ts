/**
 * `createSuite(backend)`: the parley-1 suite (DESIGN.md §3) over one
 * `CryptoBackend`. It owns the typed key encodings at the API boundary, the
 * domain-separated digest, the symmetric helpers with their fixed sizes, and
 * delegates the hybrids to hybrid-signature.ts and hybrid-kem.ts.
 *
 * - digest: SHA-256 (FIPS 180-4) over len16(label) || label || for each part
 *   len32(part) || part — injective, so no two (label, parts) lists collide
 *   by concatenation.
 * - aesGcmSeal/Open: AES-256-GCM (NIST SP 800-38D) with exactly a 96-bit
 *   nonce (the backends also take 8..128 bytes, for the vectors; the suite
 *   does not); the key raw or as a backend handle (`SecretKeyHandle`, for a
 *   key used many times: the ratchet's header keys, under random nonces).
 * - seal/open: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) with a fresh
 *   random 192-bit nonce, returned as nonce || ciphertext || tag; random
 *   nonces of that size are safe to use without a counter.
 * - signAs/decapsulateAs: the calls made with an identity's long-lived keys;
 *   each suite keeps their imported key objects per secret key array
 *   (key-cache.ts, docs/crypto.md "Imported identity keys").
 *
 * @example
 * ```ts
 * import { defaultSuite as suite } from './crypto/index.js'
 * import { LABELS } from './constants.js'
 * const { publicKey, secretKey } = suite.generateSigningKey()
 * const sig = suite.sign(secretKey, LABELS.kelEvent, bytes)
 * suite.verify(publicKey, LABELS.kelEvent, bytes, sig) // true
 * ```
 */
import { DECRYPT_FAILED_MESSAGE } from '../errors.js'
import { AEAD_TAG_LENGTH, AES256_KEY_LENGTH, AES_GCM_NONCE_LENGTH, SUITE_ID, XCHACHA20_NONCE_LENGTH } from '../constants.js'
import { assertBytes, assertLength, concatBytes, fail, uintBE, utf8 } from './bytes.js'
import { generateKemKey, kemDecapsulate, kemDecapsulateAs, kemEncapsulate } from './hybrid-kem.js'
import type { ImportedKemKey } from './hybrid-kem.js'
import {
  generateSigningKey,
  hybridSign,
  hybridSignAs,
  hybridVerify,
  signingPublicKey,
  splitSigningPublicKey,
  splitSigningSecretKey,
} from './hybrid-signature.js'
import type { ImportedSigningKey } from './hybrid-signature.js'
import { SecretKeyCache } from './key-cache.js'
import { encodeLabel, isKnownLabel } from './labels.js'
import type { CryptoBackend, SecretKeyHandle, Suite } from './types.js'

/** The suite's AES-GCM: AES-256 (a raw key of 32 bytes; a handle is checked by the backend) and 12-byte nonces only. */
function checkAes256Gcm(op: string, key: Uint8Array | SecretKeyHandle, nonce: Uint8Array): void {
  if (key instanceof Uint8Array) assertLength(op, 'key', key, AES256_KEY_LENGTH, 'KEY_INVALID')
  assertLength(op, 'nonce', nonce, AES_GCM_NONCE_LENGTH)
}

export function createSuite(backend: CryptoBackend): Suite {
  // Identity keys imported once per secret key array, for signAs and decapsulateAs (key-cache.ts).
  const signingKeys = new SecretKeyCache<ImportedSigningKey>(backend)
  const kemKeys = new SecretKeyCache<ImportedKemKey>(backend)
  const suite: Suite = {
    id: SUITE_ID,
    backend,

    randomBytes: (length) => backend.randomBytes(length),
    sha256: (data) => backend.sha256(data),

    digest(label, ...parts) {
      const chunks: Uint8Array[] = [encodeLabel('digest', label)]
      for (const part of parts) {
        assertBytes('digest', 'part', part)
        chunks.push(uintBE(part.length, 4), part)
      }
      return backend.sha256(concatBytes(...chunks))
    },

    /** HKDF-SHA-256; a string `info` must be one of LABELS, bytes are taken as they are. */
    hkdf(ikm, salt, info, length) {
      if (typeof info === 'string' && !isKnownLabel(info)) fail('INVALID_ARGUMENT', 'hkdf', `unknown label ${JSON.stringify(info)} (labels live in LABELS, constants.ts)`)
      return backend.hkdfSha256(ikm, salt, typeof info === 'string' ? utf8(info) : info, length)
    },

    hmac: (key, data) => backend.hmacSha256(key, data),
    timingSafeEqual: (a, b) => backend.timingSafeEqual(a, b),

    generateSigningKey: (seed) => generateSigningKey(backend, seed),
    signingPublicKey: (secretKey) => signingPublicKey(backend, secretKey),
    sign: (secretKey, label, message) => hybridSign(backend, secretKey, label, message),
    signAs: (secretKey, publicKey, label, message) => hybridSignAs(backend, signingKeys, secretKey, publicKey, label, message),
    verify: (publicKey, label, message, signature) => hybridVerify(backend, publicKey, label, message, signature),
    splitSigningPublicKey,
    splitSigningSecretKey,

    generateKemKey: (seed) => generateKemKey(backend, seed),
    encapsulate: (publicKey) => kemEncapsulate(backend, publicKey),
    decapsulate: (secretKey, ciphertext) => kemDecapsulate(backend, secretKey, ciphertext),
    decapsulateAs: (secretKey, publicKey, ciphertext) => kemDecapsulateAs(backend, kemKeys, secretKey, publicKey, ciphertext),

    aesGcmSeal(key, nonce, plaintext, aad, into) {
      checkAes256Gcm('aesGcmSeal', key, nonce)
      return backend.aesGcmSeal(key, nonce, plaintext, aad, into)
    },

    aesGcmOpen(key, nonce, sealed, aad) {
      checkAes256Gcm('aesGcmOpen', key, nonce)
      return backend.aesGcmOpen(key, nonce, sealed, aad)
    },

    aesGcmSealDetached(key, nonce, plaintext, aad) {
      checkAes256Gcm('aesGcmSealDetached', key, nonce)
      return backend.aesGcmSealDetached(key, nonce, plaintext, aad)
    },

    aesGcmOpenDetached(key, nonce, ciphertext, tag, aad) {
      checkAes256Gcm('aesGcmOpenDetached', key, nonce)
      return backend.aesGcmOpenDetached(key, nonce, ciphertext, tag, aad)
    },

    seal(key, plaintext, aad) {
      const nonce = backend.randomBytes(XCHACHA20_NONCE_LENGTH)
      return concatBytes(nonce, backend.xchacha20Poly1305Seal(key, nonce, plaintext, aad))
    },

    open(key, sealed, aad) {
      assertBytes('open', 'sealed', sealed)
      if (sealed.length < XCHACHA20_NONCE_LENGTH + AEAD_TAG_LENGTH) {
        // Same code and message as any other authentication failure.
        return fail('DECRYPT_FAILED', 'xchacha20Poly1305Open', DECRYPT_FAILED_MESSAGE)
      }
      return backend.xchacha20Poly1305Open(key, sealed.subarray(0, XCHACHA20_NONCE_LENGTH), sealed.subarray(XCHACHA20_NONCE_LENGTH), aad)
    },

    argon2id: (passphrase, salt, params) => backend.argon2id(passphrase, salt, params),
  }
  return Object.freeze(suite)
}
