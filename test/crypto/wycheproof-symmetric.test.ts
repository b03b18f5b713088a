/**
 * Wycheproof vectors for the symmetric primitives on both backends:
 * AES-GCM, ChaCha20-Poly1305, XChaCha20-Poly1305, HKDF-SHA-256, HMAC-SHA-256.
 *
 * AEAD vectors, per form:
 * - nonce length the backend accepts, valid: seal reproduces ct || tag and
 *   open gives msg back, byte for byte;
 * - nonce length the backend accepts, invalid (modified tag, ciphertext…):
 *   open throws DECRYPT_FAILED;
 * - nonce length outside the backend's range: seal and open both throw
 *   INVALID_ARGUMENT. For ChaCha20 (12 bytes) and XChaCha20 (24 bytes) these
 *   are all invalid vectors; for AES-GCM the range is the lengths both
 *   node:crypto and @noble/ciphers support (AES_GCM_MIN/MAX_NONCE_LENGTH,
 *   8..128 bytes): the 0-byte IVs (invalid) are refused, and so are the valid
 *   vectors with 1..7-byte IVs (noble refuses them) and 257-byte IVs
 *   (OpenSSL refuses them), counted apart as "outside the common range".
 * Each file's tally per form is asserted, next to the numberOfTests count.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AES_GCM_MAX_NONCE_LENGTH, AES_GCM_MIN_NONCE_LENGTH } from '../../src/crypto/backend-checks.js'
import { nativeBackend, portableBackend } from '../../src/crypto/index.js'
import type { CryptoBackend } from '../../src/crypto/index.js'
import { concatBytes } from '../../src/crypto/bytes.js'
import { equalBytes, hex, loadVectors, runVectors, throwsCode } from './wycheproof.js'
import type { WycheproofTest } from './wycheproof.js'

const backends: CryptoBackend[] = [nativeBackend, portableBackend]

type Seal = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => Uint8Array

interface AeadTally {
  /** Valid vectors sealed and opened byte for byte. */
  computed: number
  /** Invalid vectors whose open threw DECRYPT_FAILED. */
  tagRejected: number
  /** Invalid vectors whose nonce length is refused (INVALID_ARGUMENT). */
  nonceRejected: number
  /** Valid vectors whose nonce length is outside the range both libraries support (INVALID_ARGUMENT). */
  outsideCommonRange: number
}

/** One AEAD vector (see the file comment); counts its form in `tally`. */
function checkAead(t: WycheproofTest, minNonce: number, maxNonce: number, seal: Seal, open: Seal, tally: AeadTally): true | string {
  const key = hex(t, 'key')
  const nonce = hex(t, 'iv')
  const aad = hex(t, 'aad')
  const msg = hex(t, 'msg')
  const sealed = concatBytes(hex(t, 'ct'), hex(t, 'tag'))
  if (nonce.length < minNonce || nonce.length > maxNonce) {
    const sealRefused = throwsCode(() => seal(key, nonce, msg, aad), 'INVALID_ARGUMENT')
    const openRefused = throwsCode(() => open(key, nonce, sealed, aad), 'INVALID_ARGUMENT')
    if (!sealRefused || !openRefused) return `nonce of ${nonce.length} bytes not refused`
    if (t.result === 'valid') tally.outsideCommonRange++
    else tally.nonceRejected++
    return true
  }
  if (t.result === 'valid') {
    if (!equalBytes(seal(key, nonce, msg, aad), sealed)) return 'seal mismatch'
    if (!equalBytes(open(key, nonce, sealed, aad), msg)) return 'open mismatch'
    tally.computed++
    return true
  }
  if (!throwsCode(() => open(key, nonce, sealed, aad), 'DECRYPT_FAILED')) return 'invalid ciphertext opened'
  tally.tagRejected++
  return true
}

function runAead(file: string, minNonce: number, maxNonce: number, seal: Seal, open: Seal, expected: AeadTally): void {
  const tally: AeadTally = { computed: 0, tagRejected: 0, nonceRejected: 0, outsideCommonRange: 0 }
  runVectors(loadVectors(file), (t) => checkAead(t, minNonce, maxNonce, seal, open, tally))
  assert.deepEqual(tally, expected, `${file}: vectors per form`)
}

for (const b of backends) {
  test(`wycheproof aes_gcm_test on ${b.name}`, () => {
    // 229 valid: 202 computed (8..128-byte IVs, 116 of them 96-bit), 27 outside 8..128
    // (24 with 1..7-byte IVs, 3 with 257-byte IVs). 87 invalid: 81 modified tags, 6 empty IVs.
    runAead('aes_gcm_test', AES_GCM_MIN_NONCE_LENGTH, AES_GCM_MAX_NONCE_LENGTH, b.aesGcmSeal, b.aesGcmOpen, {
      computed: 202,
      tagRejected: 81,
      nonceRejected: 6,
      outsideCommonRange: 27,
    })
  })

  test(`wycheproof chacha20_poly1305_test on ${b.name}`, () => {
    runAead('chacha20_poly1305_test', 12, 12, b.chacha20Poly1305Seal, b.chacha20Poly1305Open, {
      computed: 256,
      tagRejected: 60,
      nonceRejected: 9,
      outsideCommonRange: 0,
    })
  })

  test(`wycheproof xchacha20_poly1305_test on ${b.name}`, () => {
    runAead('xchacha20_poly1305_test', 24, 24, b.xchacha20Poly1305Seal, b.xchacha20Poly1305Open, {
      computed: 246,
      tagRejected: 60,
      nonceRejected: 9,
      outsideCommonRange: 0,
    })
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
