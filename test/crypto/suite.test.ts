/**
 * The parley-1 suite on both backends: hybrid signatures (both halves
 * required, labels bind, stripped halves useless), hybrid KEM (typed inputs,
 * small-order X25519 refused), digest, AEADs, Argon2id bounds, and the
 * refusal codes for misuse.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AES_GCM_NONCE_LENGTH, LABELS } from '../../src/constants.js'
import { AES_GCM_MAX_NONCE_LENGTH, AES_GCM_MIN_NONCE_LENGTH } from '../../src/crypto/backend-checks.js'
import { concatBytes, utf8 } from '../../src/crypto/bytes.js'
import { signatureMessage } from '../../src/crypto/hybrid-signature.js'
import {
  KEY_TAG_KEM_CIPHERTEXT,
  decodeKey,
  defaultSuite,
  encodeKey,
  nativeBackend,
  portableBackend,
  portableSuite,
} from '../../src/crypto/index.js'
import type { Suite } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'

const suites: Suite[] = [defaultSuite, portableSuite]
const code = (c: ErrorCode, prefix?: string) => (err: unknown) =>
  isParleyError(err, c) && (prefix === undefined || err.message.startsWith(prefix))
const message = utf8('an event to sign')
const SEED = new Uint8Array(32).fill(42)
/** An X25519 public key of order 8 (RFC 7748 §6.1 / cr.yp.to/ecdh.html#validate). */
const X25519_SMALL_ORDER = Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'))
const cheapArgon2 = { memoryKiB: 64, passes: 1, parallelism: 1, length: 32 }

// Signing keys from one seed, shared by the tests (ML-DSA keygen on the portable backend is slow).
const keys = defaultSuite.generateSigningKey(SEED)

test('signing keys from a seed are identical on both backends; signingPublicKey recovers the public key', () => {
  assert.deepEqual(portableSuite.generateSigningKey(SEED), keys)
  for (const s of suites) assert.deepEqual(s.signingPublicKey(keys.secretKey), keys.publicKey)
  assert.notDeepEqual(defaultSuite.generateSigningKey().publicKey, defaultSuite.generateSigningKey().publicKey)
})

test('a hybrid signature verifies on both backends, whoever made it', () => {
  for (const signer of suites) {
    const sig = signer.sign(keys.secretKey, LABELS.kelEvent, message)
    for (const verifier of suites) assert.equal(verifier.verify(keys.publicKey, LABELS.kelEvent, message, sig), true)
  }
})

test('tampering with either half, the message, the label, or the framing fails', () => {
  const sig = defaultSuite.sign(keys.secretKey, LABELS.kelEvent, message)
  const other = defaultSuite.sign(keys.secretKey, LABELS.kelEvent, utf8('another event'))
  const flip = (i: number): Uint8Array => {
    const s = sig.slice()
    s[i] = (s[i] ?? 0) ^ 0x01
    return s
  }
  const edStart = 1
  const mlStart = 1 + 64
  for (const s of suites) {
    assert.equal(s.verify(keys.publicKey, LABELS.kelEvent, message, flip(edStart + 5)), false, 'Ed25519 R')
    assert.equal(s.verify(keys.publicKey, LABELS.kelEvent, message, flip(edStart + 40)), false, 'Ed25519 S')
    assert.equal(s.verify(keys.publicKey, LABELS.kelEvent, message, flip(mlStart + 3)), false, 'ML-DSA c~')
    assert.equal(s.verify(keys.publicKey, LABELS.kelEvent, message, flip(sig.length - 1)), false, 'ML-DSA hints')
    // A valid Ed25519 half glued to a valid ML-DSA half of another message.
    const mixed = concatBytes(sig.subarray(0, mlStart), other.subarray(mlStart))
    assert.equal(s.verify(keys.publicKey, LABELS.kelEvent, message, mixed), false, 'mix and match')
    assert.equal(s.verify(keys.publicKey, LABELS.kelEvent, utf8('an event to sigN'), sig), false, 'message')
    assert.equal(s.verify(keys.publicKey, LABELS.vpSignature, message, sig), false, 'label')
    assert.equal(s.verify(keys.publicKey, LABELS.kelEvent, message, sig.subarray(0, sig.length - 1)), false, 'truncated')
    assert.equal(s.verify(keys.publicKey, LABELS.kelEvent, message, Uint8Array.of(0x20, ...sig.subarray(1))), false, 'wrong tag')
    assert.equal(s.verify(keys.publicKey, LABELS.kelEvent, message, new Uint8Array(0)), false, 'empty')
  }
})

test('a stripped half is no single-algorithm signature over the bare message', () => {
  const sig = decodeKey('signature', defaultSuite.sign(keys.secretKey, LABELS.kelEvent, message))
  const { ed25519, mlDsa65 } = defaultSuite.splitSigningPublicKey(keys.publicKey)
  for (const b of [nativeBackend, portableBackend]) {
    assert.equal(b.ed25519Verify(ed25519, message, sig.subarray(0, 64)), false)
    assert.equal(b.mlDsa65Verify(mlDsa65, message, sig.subarray(64)), false)
    // ...only over the prefixed, labelled message M.
    const m = signatureMessage('test', LABELS.kelEvent, message)
    assert.deepEqual(m.subarray(0, LABELS.hybridSignature.length), utf8(LABELS.hybridSignature))
    assert.equal(b.ed25519Verify(ed25519, m, sig.subarray(0, 64)), true)
    assert.equal(b.mlDsa65Verify(mlDsa65, m, sig.subarray(64)), true)
  }
})

test('a hybrid key whose Ed25519 half is small-order never verifies', () => {
  const { mlDsa65 } = defaultSuite.splitSigningPublicKey(keys.publicKey)
  const identity = new Uint8Array(32)
  identity[0] = 1
  const forged = encodeKey('signingPublic', concatBytes(identity, mlDsa65))
  const sig = defaultSuite.sign(keys.secretKey, LABELS.kelEvent, message)
  const withIdentityR = concatBytes(sig.subarray(0, 1), identity, new Uint8Array(32), sig.subarray(65))
  for (const s of suites) assert.equal(s.verify(forged, LABELS.kelEvent, message, withIdentityR), false)
})

test('split helpers return the components', () => {
  const pub = defaultSuite.splitSigningPublicKey(keys.publicKey)
  const sec = defaultSuite.splitSigningSecretKey(keys.secretKey)
  assert.deepEqual(pub.ed25519, nativeBackend.ed25519PublicKey(sec.ed25519))
  assert.deepEqual(pub.mlDsa65, nativeBackend.mlDsa65PublicKey(sec.mlDsa65))
})

test('key type and length misuse is refused with codes', () => {
  const kem = defaultSuite.generateKemKey()
  for (const s of suites) {
    assert.throws(() => s.sign(kem.secretKey, LABELS.kelEvent, message), code('KEY_TYPE_MISMATCH'))
    assert.throws(() => s.verify(kem.publicKey, LABELS.kelEvent, message, new Uint8Array(0)), code('KEY_TYPE_MISMATCH'))
    assert.throws(() => s.verify(keys.publicKey.subarray(0, 100), LABELS.kelEvent, message, new Uint8Array(0)), code('KEY_INVALID'))
    assert.throws(() => s.encapsulate(keys.publicKey), code('KEY_TYPE_MISMATCH'))
    assert.throws(() => s.decapsulate(keys.secretKey, s.encapsulate(kem.publicKey).ciphertext), code('KEY_TYPE_MISMATCH'))
    assert.throws(() => s.generateSigningKey(new Uint8Array(31)), code('KEY_INVALID', 'generateSigningKey: seed must be 32 bytes'))
    assert.throws(() => s.generateKemKey(new Uint8Array(33)), code('KEY_INVALID', 'generateKemKey: seed must be 32 bytes'))
    assert.throws(() => s.sign(keys.secretKey, 'parley/v1/made-up', message), code('INVALID_ARGUMENT', 'sign: unknown label'))
    assert.throws(() => s.digest('parley/v1/made-up'), code('INVALID_ARGUMENT'))
    assert.throws(() => s.hkdf(new Uint8Array(32), new Uint8Array(0), 'not-a-label', 32), code('INVALID_ARGUMENT'))
    assert.throws(() => s.aesGcmSeal(new Uint8Array(16), new Uint8Array(12), message, new Uint8Array(0)), code('KEY_INVALID'))
    assert.throws(() => s.aesGcmSeal(new Uint8Array(32), new Uint8Array(24), message, new Uint8Array(0)), code('INVALID_ARGUMENT'))
    assert.throws(() => s.seal(new Uint8Array(31), message, new Uint8Array(0)), code('KEY_INVALID'))
  }
  for (const b of [nativeBackend, portableBackend]) {
    assert.throws(() => b.ed25519Sign(new Uint8Array(31), message), code('KEY_INVALID', 'ed25519Sign: seed must be 32 bytes'))
    assert.throws(() => b.x25519(new Uint8Array(32), new Uint8Array(33)), code('KEY_INVALID', 'x25519: publicKey must be 32 bytes'))
    assert.throws(() => b.mlKem768Encapsulate(new Uint8Array(1183)), code('KEY_INVALID'))
    assert.throws(() => b.mlKem768Decapsulate(new Uint8Array(64), new Uint8Array(1087)), code('INVALID_ARGUMENT'))
    assert.throws(() => b.mlDsa65Verify(new Uint8Array(1951), message, new Uint8Array(3309)), code('KEY_INVALID'))
    assert.throws(() => b.chacha20Poly1305Seal(new Uint8Array(32), new Uint8Array(24), message, new Uint8Array(0)), code('INVALID_ARGUMENT'))
    assert.throws(() => b.hkdfSha256(new Uint8Array(1), new Uint8Array(0), new Uint8Array(1025), 32), code('INVALID_ARGUMENT'))
    assert.throws(() => b.randomBytes(-1), code('INVALID_ARGUMENT'))
    assert.throws(() => b.sha256('text' as unknown as Uint8Array), code('INVALID_ARGUMENT'))
  }
})

test('X25519 refuses an all-zero shared secret on both backends and in the hybrid KEM', () => {
  for (const b of [nativeBackend, portableBackend]) {
    for (const pk of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31)), X25519_SMALL_ORDER]) {
      assert.throws(() => b.x25519(SEED, pk), code('X25519_ZERO_SHARED', 'x25519:'))
    }
  }
  const kem = decodeKey('kemPublic', defaultSuite.generateKemKey(SEED).publicKey)
  const poisoned = encodeKey('kemPublic', concatBytes(kem.subarray(0, 1184), X25519_SMALL_ORDER))
  for (const s of suites) {
    assert.throws(() => s.encapsulate(poisoned), code('X25519_ZERO_SHARED'))
  }
})

test('hybrid KEM: round trip, implicit rejection, malformed ciphertexts refused with KEM_FAILED', () => {
  const kp = defaultSuite.generateKemKey(SEED)
  assert.deepEqual(portableSuite.generateKemKey(SEED), kp)
  for (const s of suites) {
    const { ciphertext, sharedSecret } = s.encapsulate(kp.publicKey)
    assert.equal(sharedSecret.length, 32)
    for (const t of suites) assert.deepEqual(t.decapsulate(kp.secretKey, ciphertext), sharedSecret)
    // A flipped ML-KEM ciphertext still decapsulates (implicit rejection) to another secret.
    const flipped = ciphertext.slice()
    flipped[10] = (flipped[10] ?? 0) ^ 1
    assert.notDeepEqual(s.decapsulate(kp.secretKey, flipped), sharedSecret)
    // The X25519 half replaced by a small-order point, a truncated ciphertext, a key in place of a ciphertext.
    const lowOrder = concatBytes(ciphertext.subarray(0, 1 + 1088), X25519_SMALL_ORDER)
    assert.throws(() => s.decapsulate(kp.secretKey, lowOrder), code('KEM_FAILED'))
    assert.throws(() => s.decapsulate(kp.secretKey, ciphertext.subarray(0, 100)), code('KEM_FAILED'))
    assert.throws(() => s.decapsulate(kp.secretKey, kp.publicKey), code('KEM_FAILED'))
    assert.equal(lowOrder[0], KEY_TAG_KEM_CIPHERTEXT)
  }
})

test('digest is domain-separated and unambiguous', () => {
  const d = (label: string, ...parts: string[]): Uint8Array => defaultSuite.digest(label, ...parts.map(utf8))
  assert.notDeepEqual(d(LABELS.eventDigest, 'ab', 'c'), d(LABELS.eventDigest, 'a', 'bc'))
  assert.notDeepEqual(d(LABELS.eventDigest, 'abc'), d(LABELS.eventDigest, 'abc', ''))
  assert.notDeepEqual(d(LABELS.eventDigest, 'x'), d(LABELS.didInception, 'x'))
  assert.deepEqual(d(LABELS.eventDigest, 'x'), portableSuite.digest(LABELS.eventDigest, utf8('x')))
  assert.equal(d(LABELS.eventDigest).length, 32)
})

test('seal/open: random nonces, round trip, one opaque failure', () => {
  const key = defaultSuite.randomBytes(32)
  const aad = utf8('record name')
  for (const s of suites) {
    const a = s.seal(key, message, aad)
    const b = s.seal(key, message, aad)
    assert.notDeepEqual(a, b)
    assert.equal(a.length, 24 + message.length + 16)
    for (const t of suites) assert.deepEqual(t.open(key, a, aad), message)
    const failures = [
      () => s.open(key, a, utf8('other record')),
      () => s.open(defaultSuite.randomBytes(32), a, aad),
      () => s.open(key, a.subarray(0, 39), aad),
      () => s.open(key, new Uint8Array(0), aad),
    ]
    const messages = new Set<string>()
    for (const f of failures) {
      assert.throws(f, (err: unknown) => {
        if (!isParleyError(err, 'DECRYPT_FAILED')) return false
        messages.add(err.message)
        return true
      })
    }
    assert.equal(messages.size, 1, 'one opaque message')
  }
})

test('AES-256-GCM through the suite', () => {
  const key = defaultSuite.randomBytes(32)
  const nonce = defaultSuite.randomBytes(12)
  const sealed = defaultSuite.aesGcmSeal(key, nonce, message, new Uint8Array(0))
  assert.deepEqual(portableSuite.aesGcmOpen(key, nonce, sealed, new Uint8Array(0)), message)
  assert.throws(() => defaultSuite.aesGcmOpen(key, nonce, sealed, utf8('x')), code('DECRYPT_FAILED'))
})

test('suite AES-256-GCM refuses every nonce length but 12 bytes, though the backends take 8..128', () => {
  const key = new Uint8Array(32).fill(7)
  const aad = new Uint8Array(0)
  const sealed = defaultSuite.aesGcmSeal(key, new Uint8Array(AES_GCM_NONCE_LENGTH), message, aad)
  for (const s of suites) {
    for (const length of [0, 1, 7, 8, 11, 13, 16, 24, 128, 129]) {
      const nonce = new Uint8Array(length)
      assert.throws(() => s.aesGcmSeal(key, nonce, message, aad), code('INVALID_ARGUMENT', `aesGcmSeal: nonce must be ${AES_GCM_NONCE_LENGTH} bytes`))
      assert.throws(() => s.aesGcmOpen(key, nonce, sealed, aad), code('INVALID_ARGUMENT', `aesGcmOpen: nonce must be ${AES_GCM_NONCE_LENGTH} bytes`))
      const inBackendRange = length >= AES_GCM_MIN_NONCE_LENGTH && length <= AES_GCM_MAX_NONCE_LENGTH
      if (inBackendRange) assert.deepEqual(s.backend.aesGcmOpen(key, nonce, s.backend.aesGcmSeal(key, nonce, message, aad), aad), message)
      else assert.throws(() => s.backend.aesGcmSeal(key, nonce, message, aad), code('INVALID_ARGUMENT', `aesGcmSeal: nonce must be ${AES_GCM_MIN_NONCE_LENGTH}..${AES_GCM_MAX_NONCE_LENGTH} bytes`))
    }
    assert.deepEqual(s.aesGcmOpen(key, new Uint8Array(AES_GCM_NONCE_LENGTH), sealed, aad), message)
  }
})

test('Argon2id: cheap parameters derive alike, out-of-bounds parameters are refused', async () => {
  const pass = utf8('passphrase')
  const salt = new Uint8Array(16).fill(1)
  assert.deepEqual(await defaultSuite.argon2id(pass, salt, cheapArgon2), await portableSuite.argon2id(pass, salt, cheapArgon2))
  for (const s of suites) {
    await assert.rejects(s.argon2id(pass, new Uint8Array(7), cheapArgon2), code('KDF_PARAMS_INVALID'))
    await assert.rejects(s.argon2id(pass, salt, { ...cheapArgon2, memoryKiB: 7 }), code('KDF_PARAMS_INVALID'))
    await assert.rejects(s.argon2id(pass, salt, { ...cheapArgon2, passes: 0 }), code('KDF_PARAMS_INVALID'))
    await assert.rejects(s.argon2id(pass, salt, { ...cheapArgon2, passes: 11 }), code('KDF_PARAMS_INVALID'))
    await assert.rejects(s.argon2id(pass, salt, { ...cheapArgon2, memoryKiB: 2 * 1024 * 1024 }), code('KDF_PARAMS_INVALID'))
    await assert.rejects(s.argon2id(pass, salt, { ...cheapArgon2, length: 8 }), code('KDF_PARAMS_INVALID'))
    await assert.rejects(s.argon2id(pass, salt, { ...cheapArgon2, parallelism: 1.5 }), code('KDF_PARAMS_INVALID'))
  }
})

test('backends refuse the randomness hooks they cannot honour', () => {
  assert.throws(() => nativeBackend.mlKem768Encapsulate(new Uint8Array(1184), new Uint8Array(32)), code('UNSUPPORTED'))
  assert.throws(() => nativeBackend.mlDsa65Sign(new Uint8Array(32), message, undefined, new Uint8Array(32)), code('UNSUPPORTED'))
  assert.throws(() => portableBackend.mlDsa65Sign(new Uint8Array(32), message, undefined, new Uint8Array(31)), code('INVALID_ARGUMENT'))
})
