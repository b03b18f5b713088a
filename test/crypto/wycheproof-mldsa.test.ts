/**
 * Wycheproof vectors for ML-DSA-65 (FIPS 204) on both backends.
 *
 * mldsa_65_verify_test: verification must return true exactly for the valid
 * vectors (a public key of the wrong length is refused with KEY_INVALID,
 * which counts as "not verified").
 *
 * mldsa_65_sign_seed_test, per vector form:
 * - wrong seed length: key generation and signing refused with KEY_INVALID;
 * - context longer than 255 bytes: signing refused with INVALID_ARGUMENT;
 * - message vectors: the public key of the seed must match; the portable
 *   backend must reproduce the signature byte for byte (rnd = 0^32, or the
 *   vector's `rnd` for the "Randomized" one). node:crypto signs hedged only,
 *   so the native backend instead checks that fixed randomness is refused
 *   with UNSUPPORTED, that the vector's signature verifies, and that its own
 *   fresh signature verifies on both backends;
 * - "Internal" vectors carry only the 64-byte µ (FIPS 204 Algorithm 7 input),
 *   which no backend API takes: both backends check the public key of the
 *   seed and sign-then-verify an arbitrary message with that key.
 */
import { test } from 'node:test'
import { nativeBackend, portableBackend } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'
import type { CryptoBackend } from '../../src/crypto/index.js'
import { equalBytes, hex, loadVectors, optionalHex, runVectors, throwsCode } from './wycheproof.js'

const backends: CryptoBackend[] = [nativeBackend, portableBackend]
const ZERO_RND = new Uint8Array(32)
const PROBE = new TextEncoder().encode('sign-then-verify probe')

for (const b of backends) {
  const other = b === nativeBackend ? portableBackend : nativeBackend

  test(`wycheproof mldsa_65_verify_test on ${b.name}`, () => {
    runVectors(loadVectors('mldsa_65_verify_test'), (t, group) => {
      const pk = hex(group, 'publicKey')
      const ctx = optionalHex(t, 'ctx')
      let ok: boolean
      try {
        ok = b.mlDsa65Verify(pk, hex(t, 'msg'), hex(t, 'sig'), ctx)
      } catch (err) {
        if (!isParleyError(err, 'KEY_INVALID')) throw err
        ok = false
      }
      return ok === (t.result === 'valid') ? true : `verify returned ${ok}`
    })
  })

  test(`wycheproof mldsa_65_sign_seed_test on ${b.name}`, () => {
    runVectors(loadVectors('mldsa_65_sign_seed_test'), (t, group) => {
      const seed = hex(group, 'privateSeed')
      const msg = optionalHex(t, 'msg')
      const ctx = optionalHex(t, 'ctx')
      const flags = t.flags ?? []
      if (flags.includes('IncorrectPrivateKeyLength')) {
        const refused = throwsCode(() => b.mlDsa65PublicKey(seed), 'KEY_INVALID') && throwsCode(() => b.mlDsa65Sign(seed, msg ?? PROBE), 'KEY_INVALID')
        return refused ? true : 'wrong seed length not refused'
      }
      if (flags.includes('InvalidContext')) {
        return throwsCode(() => b.mlDsa65Sign(seed, msg ?? PROBE, ctx), 'INVALID_ARGUMENT') ? true : 'long context not refused'
      }
      const pk = hex(group, 'publicKey')
      if (!equalBytes(b.mlDsa65PublicKey(seed), pk)) return 'public key mismatch'
      if (msg === undefined) {
        // µ-only vector: no API takes µ; sign-then-verify with the vector's key instead.
        const sig = b.mlDsa65Sign(seed, PROBE)
        return b.mlDsa65Verify(pk, PROBE, sig) && other.mlDsa65Verify(pk, PROBE, sig) ? true : 'sign-then-verify failed'
      }
      const sig = hex(t, 'sig')
      const rnd = optionalHex(t, 'rnd') ?? ZERO_RND
      if (b.name === 'portable') {
        return equalBytes(b.mlDsa65Sign(seed, msg, ctx, rnd), sig) ? true : 'signature mismatch'
      }
      if (!throwsCode(() => b.mlDsa65Sign(seed, msg, ctx, rnd), 'UNSUPPORTED')) return 'fixed rnd not refused with UNSUPPORTED'
      if (!b.mlDsa65Verify(pk, msg, sig, ctx)) return 'vector signature does not verify'
      const fresh = b.mlDsa65Sign(seed, msg, ctx)
      return b.mlDsa65Verify(pk, msg, fresh, ctx) && other.mlDsa65Verify(pk, msg, fresh, ctx) ? true : 'fresh signature does not verify'
    })
  })
}
