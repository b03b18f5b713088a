/**
 * Native vs portable, primitive by primitive, on random inputs: equal
 * outputs where the primitive is deterministic, and each backend accepting
 * the other's outputs where it is randomised (ML-KEM encapsulation, ML-DSA
 * hedged signing). Then our hybrid KEM over either backend vs
 * `createKitchenSink(LABELS.hybridKem, ml_kem768, _ecdhKem(x25519), shake256,
 * sha256)` of @noble/post-quantum.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { x25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { shake256 } from '@noble/hashes/sha3.js'
import { _ecdhKem, createKitchenSink } from '@noble/post-quantum/hybrid.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { LABELS } from '../../src/constants.js'
import { AES_GCM_MAX_NONCE_LENGTH, AES_GCM_MIN_NONCE_LENGTH } from '../../src/crypto/backend-checks.js'
import { concatBytes } from '../../src/crypto/bytes.js'
import { kemEncapsulate } from '../../src/crypto/hybrid-kem.js'
import { KEY_TAG_KEM_CIPHERTEXT, decodeKey, defaultSuite, nativeBackend as N, portableBackend as P, portableSuite } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max })
const fixed = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const CHEAP = { numRuns: 40 }
const PQ = { numRuns: 10 }

test('hashes, HMAC and HKDF agree', () => {
  fc.assert(
    fc.property(bytes(0, 300), bytes(0, 80), fc.integer({ min: 0, max: 200 }), (data, key, len) => {
      assert.deepEqual(N.sha256(data), P.sha256(data))
      assert.deepEqual(N.sha3_256(data), P.sha3_256(data))
      assert.deepEqual(N.shake256(data, len), P.shake256(data, len))
      assert.deepEqual(N.hmacSha256(key, data), P.hmacSha256(key, data))
      assert.deepEqual(N.hkdfSha256(data, key, key, len + 1), P.hkdfSha256(data, key, key, len + 1))
    }),
    CHEAP,
  )
})

test('AEADs agree and open each other', () => {
  fc.assert(
    fc.property(fc.constantFrom(16, 24, 32), fixed(32), fixed(24), bytes(0, 200), bytes(0, 40), (keyLength, key32, nonce24, msg, aad) => {
      const key = key32.subarray(0, keyLength)
      const nonce12 = nonce24.subarray(0, 12)
      const gcm = N.aesGcmSeal(key, nonce12, msg, aad)
      assert.deepEqual(gcm, P.aesGcmSeal(key, nonce12, msg, aad))
      assert.deepEqual(P.aesGcmOpen(key, nonce12, gcm, aad), msg)
      const cc = N.chacha20Poly1305Seal(key32, nonce12, msg, aad)
      assert.deepEqual(cc, P.chacha20Poly1305Seal(key32, nonce12, msg, aad))
      assert.deepEqual(P.chacha20Poly1305Open(key32, nonce12, cc, aad), msg)
      const xc = N.xchacha20Poly1305Seal(key32, nonce24, msg, aad)
      assert.deepEqual(xc, P.xchacha20Poly1305Seal(key32, nonce24, msg, aad))
      assert.deepEqual(N.xchacha20Poly1305Open(key32, nonce24, xc, aad), msg)
    }),
    CHEAP,
  )
})

test('AES-GCM agrees on every nonce length both backends accept (8..128 bytes)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(16, 24, 32),
      fixed(32),
      fc.uint8Array({ minLength: AES_GCM_MIN_NONCE_LENGTH, maxLength: AES_GCM_MAX_NONCE_LENGTH }),
      bytes(0, 100),
      bytes(0, 40),
      (keyLength, key32, nonce, msg, aad) => {
        const key = key32.subarray(0, keyLength)
        const sealed = N.aesGcmSeal(key, nonce, msg, aad)
        assert.deepEqual(sealed, P.aesGcmSeal(key, nonce, msg, aad))
        assert.deepEqual(P.aesGcmOpen(key, nonce, sealed, aad), msg)
        assert.deepEqual(N.aesGcmOpen(key, nonce, sealed, aad), msg)
      },
    ),
    CHEAP,
  )
  for (const b of [N, P]) {
    for (const length of [0, AES_GCM_MIN_NONCE_LENGTH - 1, AES_GCM_MAX_NONCE_LENGTH + 1]) {
      assert.throws(() => b.aesGcmSeal(new Uint8Array(16), new Uint8Array(length), new Uint8Array(0), new Uint8Array(0)), (err) => isParleyError(err, 'INVALID_ARGUMENT'))
    }
  }
})

test('X25519 agrees (public key, agreement, with-public-key, encapsulation)', () => {
  fc.assert(
    fc.property(fixed(32), fixed(32), (a, e) => {
      const pa = N.x25519PublicKey(a)
      assert.deepEqual(pa, P.x25519PublicKey(a))
      assert.deepEqual(N.x25519(e, pa), P.x25519(e, pa))
      assert.deepEqual(N.x25519WithPublicKey(e, pa), P.x25519WithPublicKey(e, pa))
      assert.deepEqual(N.x25519Encapsulate(pa, e), P.x25519Encapsulate(pa, e))
      const fresh = N.x25519Encapsulate(pa)
      assert.deepEqual(P.x25519(a, fresh.ciphertext), fresh.sharedSecret)
    }),
    { numRuns: 10 },
  )
})

test('Ed25519 agrees (deterministic signatures, cross verification)', () => {
  fc.assert(
    fc.property(fixed(32), bytes(0, 200), (seed, msg) => {
      const pk = N.ed25519PublicKey(seed)
      assert.deepEqual(pk, P.ed25519PublicKey(seed))
      const sig = N.ed25519Sign(seed, msg)
      assert.deepEqual(sig, P.ed25519Sign(seed, msg))
      assert.equal(P.ed25519Verify(pk, msg, sig), true)
      assert.equal(N.ed25519Verify(pk, msg, sig), true)
    }),
    { numRuns: 10 },
  )
})

test('ML-KEM-768 agrees (keys, expanded key, cross decapsulation)', () => {
  fc.assert(
    fc.property(fixed(64), fixed(32), (seed, m) => {
      const ek = N.mlKem768PublicKey(seed)
      assert.deepEqual(ek, P.mlKem768PublicKey(seed))
      assert.deepEqual(N.mlKem768ExpandedSecretKey(seed), P.mlKem768ExpandedSecretKey(seed))
      const fromNative = N.mlKem768Encapsulate(ek)
      assert.deepEqual(P.mlKem768Decapsulate(seed, fromNative.ciphertext), fromNative.sharedSecret)
      const fromPortable = P.mlKem768Encapsulate(ek, m)
      assert.deepEqual(N.mlKem768Decapsulate(seed, fromPortable.ciphertext), fromPortable.sharedSecret)
      assert.deepEqual(N.mlKem768DecapsulateWithPublicKey(seed, fromPortable.ciphertext), P.mlKem768DecapsulateWithPublicKey(seed, fromPortable.ciphertext))
      // Implicit rejection (FIPS 203 §6.3) agrees too: a flipped ciphertext gives the same pseudo-random K.
      const flipped = fromPortable.ciphertext.slice()
      flipped[0] = (flipped[0] ?? 0) ^ 1
      assert.deepEqual(N.mlKem768Decapsulate(seed, flipped), P.mlKem768Decapsulate(seed, flipped))
    }),
    PQ,
  )
})

test('ML-DSA-65 agrees (keys, cross verification with and without context)', () => {
  fc.assert(
    fc.property(fixed(32), bytes(0, 100), bytes(0, 20), (seed, msg, ctx) => {
      const pk = N.mlDsa65PublicKey(seed)
      assert.deepEqual(pk, P.mlDsa65PublicKey(seed))
      const ns = N.mlDsa65Sign(seed, msg, ctx)
      assert.equal(P.mlDsa65Verify(pk, msg, ns, ctx), true)
      const ps = P.mlDsa65Sign(seed, msg)
      assert.equal(N.mlDsa65Verify(pk, msg, ps), true)
      assert.equal(N.mlDsa65Verify(pk, msg, ns), ctx.length === 0)
    }),
    { numRuns: 3 },
  )
})

test('Argon2id agrees (cheap parameters)', async () => {
  for (const params of [
    { memoryKiB: 64, passes: 1, parallelism: 1, length: 32 },
    { memoryKiB: 256, passes: 2, parallelism: 2, length: 16 },
  ]) {
    const password = new TextEncoder().encode('correct horse battery staple')
    const salt = new Uint8Array(16).fill(7)
    assert.deepEqual(await N.argon2id(password, salt, params), await P.argon2id(password, salt, params))
  }
})

test('timingSafeEqual and randomBytes behave alike', () => {
  for (const b of [N, P]) {
    assert.equal(b.timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true)
    assert.equal(b.timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false)
    assert.equal(b.timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1)), false)
    assert.equal(b.randomBytes(0).length, 0)
    assert.equal(b.randomBytes(100_000).length, 100_000)
    assert.notDeepEqual(b.randomBytes(32), b.randomBytes(32))
  }
})

// ---------------------------------------------------------------------------
// Hybrid KEM vs noble's KitchenSink
// ---------------------------------------------------------------------------

const kitchenSink = createKitchenSink(LABELS.hybridKem, ml_kem768, _ecdhKem(x25519), shake256, sha256)

test('hybrid KEM keygen equals KitchenSink keygen from the same seed', () => {
  fc.assert(
    fc.property(fixed(32), (seed) => {
      const noble = kitchenSink.keygen(seed)
      for (const suite of [defaultSuite, portableSuite]) {
        const ours = suite.generateKemKey(seed)
        assert.deepEqual(decodeKey('kemPublic', ours.publicKey), noble.publicKey)
        assert.deepEqual(decodeKey('kemSecret', ours.secretKey), noble.secretKey)
      }
    }),
    PQ,
  )
})

test('hybrid KEM and KitchenSink decapsulate each other', () => {
  fc.assert(
    fc.property(fixed(32), fixed(64), (seed, rand) => {
      const noble = kitchenSink.keygen(seed)
      const nobleCt = kitchenSink.encapsulate(noble.publicKey, rand)
      const typedCt = concatBytes(Uint8Array.of(KEY_TAG_KEM_CIPHERTEXT), nobleCt.cipherText)
      for (const suite of [defaultSuite, portableSuite]) {
        const ours = suite.generateKemKey(seed)
        assert.deepEqual(suite.decapsulate(ours.secretKey, typedCt), nobleCt.sharedSecret)
        const mine = suite.encapsulate(ours.publicKey)
        assert.deepEqual(kitchenSink.decapsulate(decodeKey('kemCiphertext', mine.ciphertext), noble.secretKey), mine.sharedSecret)
      }
    }),
    PQ,
  )
})

test('hybrid KEM with fixed randomness equals KitchenSink (portable hook); native refuses the hook', () => {
  fc.assert(
    fc.property(fixed(32), fixed(64), (seed, rand) => {
      const noble = kitchenSink.keygen(seed)
      const expected = kitchenSink.encapsulate(noble.publicKey, rand)
      const ours = portableSuite.generateKemKey(seed)
      const got = kemEncapsulate(P, ours.publicKey, rand)
      assert.deepEqual(decodeKey('kemCiphertext', got.ciphertext), expected.cipherText)
      assert.deepEqual(got.sharedSecret, expected.sharedSecret)
      assert.throws(() => kemEncapsulate(N, ours.publicKey, rand), (err) => isParleyError(err, 'UNSUPPORTED'))
    }),
    PQ,
  )
})

/** Cuts `bytes` at the given points (sorted, deduplicated, in range): the pieces a network might deliver. */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const p of [...at, bytes.length]) {
    out.push(bytes.subarray(from, p))
    from = p
  }
  return out
}

test('detached AES-GCM: both backends give ciphertext ‖ tag of aesGcmSeal, and open any cut of it (more than AEAD_MAX_DETACHED_PARTS parts too)', () => {
  fc.assert(
    fc.property(fixed(32), fixed(12), bytes(0, 300), bytes(0, 40), fc.array(fc.nat(400), { maxLength: 30 }), (key, nonce, msg, aad, points) => {
      const joined = N.aesGcmSeal(key, nonce, msg, aad)
      for (const B of [N, P]) {
        const { ciphertext, tag } = B.aesGcmSealDetached(key, nonce, msg, aad)
        assert.deepEqual(concatBytes(ciphertext, tag), joined)
      }
      const ciphertext = joined.subarray(0, msg.length)
      const tag = joined.subarray(msg.length)
      const parts = cut(ciphertext, points)
      for (const B of [N, P]) {
        assert.deepEqual(concatBytes(...B.aesGcmOpenDetached(key, nonce, parts, tag, aad)), msg)
        // the suite's form: AES-256, 12-byte nonces, associated data in parts
        assert.deepEqual(concatBytes(...(B === N ? defaultSuite : portableSuite).aesGcmOpenDetached(key, nonce, parts, tag, [aad])), msg)
      }
    }),
    CHEAP,
  )
})

test('detached AES-GCM open: a flipped bit anywhere, a short tag or another nonce is DECRYPT_FAILED on both backends; a non-array ciphertext is INVALID_ARGUMENT', () => {
  const key = new Uint8Array(32).fill(3)
  const nonce = new Uint8Array(12).fill(4)
  const msg = new Uint8Array(100).fill(5)
  const { ciphertext, tag } = N.aesGcmSealDetached(key, nonce, msg, new Uint8Array(0))
  const refused = (f: () => unknown, code: string): void => assert.throws(f, (err: unknown) => isParleyError(err, code as 'DECRYPT_FAILED'))
  for (const B of [N, P]) {
    const flippedBody = Uint8Array.from(ciphertext)
    flippedBody[50]! ^= 1
    refused(() => B.aesGcmOpenDetached(key, nonce, [flippedBody.subarray(0, 30), flippedBody.subarray(30)], tag, new Uint8Array(0)), 'DECRYPT_FAILED')
    const flippedTag = Uint8Array.from(tag)
    flippedTag[15]! ^= 0x80
    refused(() => B.aesGcmOpenDetached(key, nonce, [ciphertext], flippedTag, new Uint8Array(0)), 'DECRYPT_FAILED')
    refused(() => B.aesGcmOpenDetached(key, nonce, [ciphertext], tag.subarray(0, 15), new Uint8Array(0)), 'DECRYPT_FAILED')
    refused(() => B.aesGcmOpenDetached(key, new Uint8Array(12).fill(9), [ciphertext], tag, new Uint8Array(0)), 'DECRYPT_FAILED')
    refused(() => B.aesGcmOpenDetached(key, nonce, ciphertext as unknown as Uint8Array[], tag, new Uint8Array(0)), 'INVALID_ARGUMENT')
  }
})
