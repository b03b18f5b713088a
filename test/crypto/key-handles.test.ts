/**
 * What the crypto layer offers for keys used more than once and for signing
 * or decapsulating "as" a known public key, on both backends: secret-key
 * handles (same results as the raw key, bound to their backend and
 * algorithm, independent of the array they were made from), sealing into a
 * caller's buffer, `signAs` / `decapsulateAs` (the operation, plus a refusal
 * of a secret that is not the public key's), and that the import fast path
 * keeps refusing bad keys with their code.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LABELS } from '../../src/constants.js'
import { utf8 } from '../../src/crypto/bytes.js'
import { defaultSuite, nativeBackend, portableBackend, portableSuite } from '../../src/crypto/index.js'
import type { CryptoBackend, Suite } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'

const backends: CryptoBackend[] = [nativeBackend, portableBackend]
const suites: Suite[] = [defaultSuite, portableSuite]
const code = (c: ErrorCode) => (err: unknown) => isParleyError(err, c)
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

test('AES-256-GCM handles: the same bytes as the raw key, both ways, on both backends', () => {
  const key = bytes(32, 7)
  const nonce = bytes(12, 1)
  const aad = utf8('header ad')
  const plaintext = utf8('a header sealed many times under one key')
  for (const b of backends) {
    const handle = b.importSecretKey('aes-256-gcm', key)
    const sealed = b.aesGcmSeal(handle, nonce, plaintext, aad)
    assert.deepEqual(sealed, b.aesGcmSeal(key, nonce, plaintext, aad))
    assert.deepEqual(b.aesGcmOpen(handle, nonce, sealed, aad), plaintext)
    sealed[0] = (sealed[0] as number) ^ 1
    assert.throws(() => b.aesGcmOpen(handle, nonce, sealed, aad), code('DECRYPT_FAILED'))
  }
  const handle = defaultSuite.backend.importSecretKey('aes-256-gcm', key)
  assert.deepEqual(defaultSuite.aesGcmSeal(handle, nonce, plaintext, aad), portableSuite.aesGcmSeal(key, nonce, plaintext, aad))
})

test('X25519 handles: public key and agreement equal the raw key\'s, on both backends', () => {
  const secret = bytes(32, 9)
  const peer = nativeBackend.x25519PublicKey(bytes(32, 5))
  for (const b of backends) {
    const handle = b.importSecretKey('x25519', secret)
    assert.deepEqual(b.x25519PublicKey(handle), b.x25519PublicKey(secret))
    assert.deepEqual(b.x25519(handle, peer), b.x25519(secret, peer))
    assert.throws(() => b.x25519(handle, new Uint8Array(32)), code('X25519_ZERO_SHARED'))
  }
})

test('a handle is bound to its backend and algorithm, and keeps no tie to the array it came from', () => {
  const key = bytes(32, 3)
  const nonce = bytes(12, 2)
  for (const [b, other] of [[nativeBackend, portableBackend], [portableBackend, nativeBackend]] as const) {
    const gcm = b.importSecretKey('aes-256-gcm', key)
    const x = b.importSecretKey('x25519', key)
    assert.throws(() => other.aesGcmSeal(gcm, nonce, new Uint8Array(0), new Uint8Array(0)), code('KEY_INVALID'))
    assert.throws(() => b.aesGcmSeal(x, nonce, new Uint8Array(0), new Uint8Array(0)), code('KEY_INVALID'))
    assert.throws(() => b.x25519(gcm, b.x25519PublicKey(key)), code('KEY_INVALID'))
    // a look-alike object is no handle
    assert.throws(() => b.aesGcmSeal({ backend: b.name, algorithm: 'aes-256-gcm' }, nonce, new Uint8Array(0), new Uint8Array(0)), code('KEY_INVALID'))
    // opaque: nothing of the key is enumerable, and the handle cannot be changed
    assert.equal(JSON.stringify(gcm), JSON.stringify({ backend: b.name, algorithm: 'aes-256-gcm' }))
    assert.ok(Object.isFrozen(gcm))
    // wiping the source array does not change what the handle does
    const source = key.slice()
    const h = b.importSecretKey('aes-256-gcm', source)
    const before = b.aesGcmSeal(h, nonce, utf8('x'), new Uint8Array(0))
    source.fill(0)
    assert.deepEqual(b.aesGcmSeal(h, nonce, utf8('x'), new Uint8Array(0)), before)
  }
})

test('importSecretKey refuses wrong lengths (KEY_INVALID) and unknown algorithms (INVALID_ARGUMENT)', () => {
  for (const b of backends) {
    assert.throws(() => b.importSecretKey('aes-256-gcm', bytes(16, 1)), code('KEY_INVALID'))
    assert.throws(() => b.importSecretKey('x25519', bytes(31, 1)), code('KEY_INVALID'))
    assert.throws(() => b.importSecretKey('aes-128-gcm' as 'aes-256-gcm', bytes(16, 1)), code('INVALID_ARGUMENT'))
  }
  // the suite's AES-256-GCM takes a handle, and still only 12-byte nonces
  const handle = nativeBackend.importSecretKey('aes-256-gcm', bytes(32, 1))
  assert.throws(() => defaultSuite.aesGcmSeal(handle, bytes(16, 0), new Uint8Array(0), new Uint8Array(0)), code('INVALID_ARGUMENT'))
})

test('sealing into a caller\'s buffer: the same bytes, in place; a buffer of the wrong length is INVALID_ARGUMENT', () => {
  const key = bytes(32, 4)
  const nonce = bytes(12, 6)
  const plaintext = bytes(1000, 0x5a)
  const aad = utf8('ad')
  for (const s of suites) {
    const message = new Uint8Array(10 + plaintext.length + 16)
    const into = message.subarray(10)
    assert.equal(s.aesGcmSeal(key, nonce, plaintext, aad, into), into)
    assert.deepEqual(into, s.aesGcmSeal(key, nonce, plaintext, aad))
    assert.deepEqual(message.subarray(0, 10), new Uint8Array(10))
    assert.throws(() => s.aesGcmSeal(key, nonce, plaintext, aad, new Uint8Array(plaintext.length + 15)), code('INVALID_ARGUMENT'))
  }
})

test('signAs: a valid hybrid signature by the given key; a secret that is not its key is INVALID_ARGUMENT', () => {
  const alice = defaultSuite.generateSigningKey(bytes(32, 1))
  const bob = defaultSuite.generateSigningKey(bytes(32, 2))
  const message = utf8('a first-message header')
  for (const s of suites) {
    const signature = s.signAs(alice.secretKey, alice.publicKey, LABELS.pqxdhInitiator, message)
    for (const v of suites) assert.equal(v.verify(alice.publicKey, LABELS.pqxdhInitiator, message, signature), true)
    assert.throws(() => s.signAs(bob.secretKey, alice.publicKey, LABELS.pqxdhInitiator, message), code('INVALID_ARGUMENT'))
    assert.throws(() => s.signAs(alice.secretKey, alice.publicKey, 'not a label', message), code('INVALID_ARGUMENT'))
    assert.throws(() => s.signAs(alice.publicKey, alice.publicKey, LABELS.pqxdhInitiator, message), (e: unknown) => isParleyError(e) && ['KEY_INVALID', 'KEY_TYPE_MISMATCH'].includes(e.code))
  }
  for (const b of backends) {
    const ed = b.ed25519SignWithPublicKey(bytes(32, 3), message)
    assert.deepEqual(ed.publicKey, b.ed25519PublicKey(bytes(32, 3)))
    assert.equal(b.ed25519Verify(ed.publicKey, message, ed.signature), true)
    const ml = b.mlDsa65SignWithPublicKey(bytes(32, 4), message)
    assert.deepEqual(ml.publicKey, b.mlDsa65PublicKey(bytes(32, 4)))
    assert.equal(b.mlDsa65Verify(ml.publicKey, message, ml.signature), true)
  }
})

test('decapsulateAs: the same secret as decapsulate; a secret that is not the given key\'s is INVALID_ARGUMENT', () => {
  const bob = defaultSuite.generateKemKey(bytes(32, 5))
  const carol = defaultSuite.generateKemKey(bytes(32, 6))
  for (const s of suites) {
    const { ciphertext, sharedSecret } = s.encapsulate(bob.publicKey)
    assert.deepEqual(s.decapsulateAs(bob.secretKey, bob.publicKey, ciphertext), sharedSecret)
    assert.throws(() => s.decapsulateAs(carol.secretKey, bob.publicKey, ciphertext), code('INVALID_ARGUMENT'))
    const bad = ciphertext.slice()
    bad.fill(0, bad.length - 32)
    assert.throws(() => s.decapsulateAs(bob.secretKey, bob.publicKey, bad), code('KEM_FAILED'))
  }
})

test('key import keeps its refusals (KEY_INVALID, cause chained) and leaves Error.stackTraceLimit as it was', () => {
  const limit = Error.stackTraceLimit
  assert.throws(() => nativeBackend.mlKem768Encapsulate(new Uint8Array(1184).fill(0xff)), (e: unknown) => isParleyError(e, 'KEY_INVALID') && e.cause !== undefined)
  assert.throws(() => nativeBackend.importSecretKey('x25519', new Uint8Array(33)), code('KEY_INVALID'))
  assert.equal(Error.stackTraceLimit, limit)
  const err = (() => {
    try {
      nativeBackend.mlKem768Encapsulate(new Uint8Array(1184).fill(0xff))
    } catch (e) {
      return e
    }
    return undefined
  })()
  assert.ok(err instanceof Error && typeof err.stack === 'string' && err.stack.includes('\n    at '), 'the ParleyError itself has its stack')
})

test('Ed25519, ML-DSA-65 and ML-KEM-768 handles: the same results as the raw seed, on both backends; bound to their algorithm', () => {
  const edSeed = bytes(32, 11)
  const dsaSeed = bytes(32, 12)
  const kemSeed = bytes(64, 13)
  const message = utf8('signed with a handle')
  for (const b of backends) {
    const ed = b.importSecretKey('ed25519', edSeed)
    assert.deepEqual(b.ed25519PublicKey(ed), b.ed25519PublicKey(edSeed))
    // Ed25519 is deterministic: the handle signs exactly as the seed does
    assert.deepEqual(b.ed25519Sign(ed, message), b.ed25519Sign(edSeed, message))
    const dsa = b.importSecretKey('ml-dsa-65', dsaSeed)
    const dsaPublic = b.mlDsa65PublicKey(dsaSeed)
    assert.deepEqual(b.mlDsa65PublicKey(dsa), dsaPublic)
    assert.equal(b.mlDsa65Verify(dsaPublic, message, b.mlDsa65Sign(dsa, message)), true)
    const ctx = utf8('a context')
    assert.equal(b.mlDsa65Verify(dsaPublic, message, b.mlDsa65Sign(dsa, message, ctx), ctx), true)
    assert.equal(b.mlDsa65Verify(dsaPublic, message, b.mlDsa65Sign(dsa, message, ctx)), false, 'the context is signed')
    const kem = b.importSecretKey('ml-kem-768', kemSeed)
    const ek = b.mlKem768PublicKey(kemSeed)
    assert.deepEqual(b.mlKem768PublicKey(kem), ek)
    const { ciphertext, sharedSecret } = b.mlKem768Encapsulate(ek)
    assert.deepEqual(b.mlKem768Decapsulate(kem, ciphertext), sharedSecret)
    assert.deepEqual(b.mlKem768Decapsulate(kem, ciphertext), b.mlKem768Decapsulate(kemSeed, ciphertext))
    assert.throws(() => b.mlKem768Decapsulate(kem, ciphertext.subarray(1)), code('INVALID_ARGUMENT'))
    // each handle only where its algorithm is expected
    assert.throws(() => b.ed25519Sign(dsa, message), code('KEY_INVALID'))
    assert.throws(() => b.mlDsa65Sign(ed, message), code('KEY_INVALID'))
    assert.throws(() => b.mlKem768Decapsulate(ed, ciphertext), code('KEY_INVALID'))
    assert.throws(() => b.x25519(kem, b.x25519PublicKey(bytes(32, 1))), code('KEY_INVALID'))
    // wrong seed lengths
    assert.throws(() => b.importSecretKey('ed25519', bytes(31, 1)), code('KEY_INVALID'))
    assert.throws(() => b.importSecretKey('ml-dsa-65', bytes(64, 1)), code('KEY_INVALID'))
    assert.throws(() => b.importSecretKey('ml-kem-768', bytes(32, 1)), code('KEY_INVALID'))
  }
  // a handle of one backend is refused by the other
  const native = nativeBackend.importSecretKey('ml-dsa-65', dsaSeed)
  assert.throws(() => portableBackend.mlDsa65Sign(native, message), code('KEY_INVALID'))
  const portable = portableBackend.importSecretKey('ed25519', edSeed)
  assert.throws(() => nativeBackend.ed25519Sign(portable, message), code('KEY_INVALID'))
})
