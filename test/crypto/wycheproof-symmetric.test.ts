/**
 * Wycheproof vectors for the symmetric primitives on both backends:
 * AES-GCM, ChaCha20-Poly1305, XChaCha20-Poly1305, HKDF-SHA-256, HMAC-SHA-256.
 *
 * Policy vectors: both backends accept only the 96-bit AES-GCM nonce (NIST
 * SP 800-38D §8.2.1; Parley never uses another), so vectors with other IV
 * sizes — valid or not — are exercised as "refused with INVALID_ARGUMENT".
 */
import { test } from 'node:test'
import { nativeBackend, portableBackend } from '../../src/crypto/index.js'
import type { CryptoBackend } from '../../src/crypto/index.js'
import { concatBytes } from '../../src/crypto/bytes.js'
import { equalBytes, hex, loadVectors, runVectors, throwsCode } from './wycheproof.js'
import type { WycheproofTest } from './wycheproof.js'

const backends: CryptoBackend[] = [nativeBackend, portableBackend]

type Seal = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => Uint8Array

/** One AEAD vector: nonce-size policy, then seal/open for valid and refusal for invalid. */
function checkAead(t: WycheproofTest, nonceLength: number, seal: Seal, open: Seal): true | string {
  const key = hex(t, 'key')
  const nonce = hex(t, 'iv')
  const aad = hex(t, 'aad')
  const msg = hex(t, 'msg')
  const sealed = concatBytes(hex(t, 'ct'), hex(t, 'tag'))
  if (nonce.length !== nonceLength) {
    const sealRefused = throwsCode(() => seal(key, nonce, msg, aad), 'INVALID_ARGUMENT')
    const openRefused = throwsCode(() => open(key, nonce, sealed, aad), 'INVALID_ARGUMENT')
    return sealRefused && openRefused ? true : `nonce of ${nonce.length} bytes not refused`
  }
  if (t.result === 'valid') {
    if (!equalBytes(seal(key, nonce, msg, aad), sealed)) return 'seal mismatch'
    if (!equalBytes(open(key, nonce, sealed, aad), msg)) return 'open mismatch'
    return true
  }
  return throwsCode(() => open(key, nonce, sealed, aad), 'DECRYPT_FAILED') ? true : 'invalid ciphertext opened'
}

for (const b of backends) {
  test(`wycheproof aes_gcm_test on ${b.name}`, () => {
    runVectors(loadVectors('aes_gcm_test'), (t) => checkAead(t, 12, b.aesGcmSeal, b.aesGcmOpen))
  })

  test(`wycheproof chacha20_poly1305_test on ${b.name}`, () => {
    runVectors(loadVectors('chacha20_poly1305_test'), (t) => checkAead(t, 12, b.chacha20Poly1305Seal, b.chacha20Poly1305Open))
  })

  test(`wycheproof xchacha20_poly1305_test on ${b.name}`, () => {
    runVectors(loadVectors('xchacha20_poly1305_test'), (t) => checkAead(t, 24, b.xchacha20Poly1305Seal, b.xchacha20Poly1305Open))
  })

  test(`wycheproof hkdf_sha256_test on ${b.name}`, () => {
    runVectors(loadVectors('hkdf_sha256_test'), (t) => {
      const run = (): Uint8Array => b.hkdfSha256(hex(t, 'ikm'), hex(t, 'salt'), hex(t, 'info'), t['size'] as number)
      if (t.result === 'valid') return equalBytes(run(), hex(t, 'okm')) ? true : 'okm mismatch'
      // The invalid vectors ask for more than 255 · HashLen bytes (RFC 5869 §2.3).
      return throwsCode(run, 'INVALID_ARGUMENT') ? true : 'oversized output not refused'
    })
  })

  test(`wycheproof hmac_sha256_test on ${b.name}`, () => {
    runVectors(loadVectors('hmac_sha256_test'), (t, group) => {
      const tagBytes = (group['tagSize'] as number) / 8
      const mac = b.hmacSha256(hex(t, 'key'), hex(t, 'msg')).subarray(0, tagBytes)
      const matches = b.timingSafeEqual(mac, hex(t, 'tag'))
      return matches === (t.result === 'valid') ? true : `tag ${matches ? 'accepted' : 'rejected'}`
    })
  })
}
