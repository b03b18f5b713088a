/**
 * The suite's cache of imported identity keys (src/crypto/key-cache.ts),
 * seen through `signAs` and `decapsulateAs` on both backends, over a
 * backend copy that counts key imports: a secret key array is imported once
 * and its handles reused; a wiped or changed array is never served by
 * handles of its old bytes; a fresh copy of the same secret is imported
 * anew (nothing outlives the array it was made from); and the cache draws
 * nothing from the backend's randomness (vectors keep their stream).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LABELS } from '../../src/constants.js'
import { utf8 } from '../../src/crypto/bytes.js'
import { createSuite, nativeBackend, portableBackend } from '../../src/crypto/index.js'
import type { CryptoBackend, Suite } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'

interface Counted {
  suite: Suite
  count: (method: keyof CryptoBackend) => number
  reset: () => void
}

/** A suite over a copy of `backend` that counts calls per method. */
function counted(backend: CryptoBackend): Counted {
  const calls = new Map<string, number>()
  const copy: Record<string, unknown> = { ...backend }
  for (const [name, value] of Object.entries(backend)) {
    if (typeof value !== 'function') continue
    copy[name] = (...args: unknown[]): unknown => {
      calls.set(name, (calls.get(name) ?? 0) + 1)
      return (value as (...a: unknown[]) => unknown).apply(backend, args)
    }
  }
  return { suite: createSuite(copy as unknown as CryptoBackend), count: (m) => calls.get(m) ?? 0, reset: () => calls.clear() }
}

const message = utf8('a first-message header')
const label = LABELS.pqxdhInitiator
const backends: CryptoBackend[] = [nativeBackend, portableBackend]

test('signAs: a secret key array is imported once; every signature verifies', () => {
  for (const b of backends) {
    const c = counted(b)
    const alice = c.suite.generateSigningKey(new Uint8Array(32).fill(1))
    c.reset()
    for (let i = 0; i < 3; i++) {
      const signature = c.suite.signAs(alice.secretKey, alice.publicKey, label, message)
      assert.equal(c.suite.verify(alice.publicKey, label, message, signature), true)
    }
    assert.equal(c.count('importSecretKey'), 2, `${b.name}: one Ed25519 and one ML-DSA-65 import for three signatures`)
    assert.equal(c.count('randomBytes'), 0, 'the cache draws nothing from the backend')
  }
})

test('signAs: a wiped array is refused (INVALID_ARGUMENT), a changed one signs with its new bytes', () => {
  for (const b of backends) {
    const c = counted(b)
    const alice = c.suite.generateSigningKey(new Uint8Array(32).fill(2))
    const bob = c.suite.generateSigningKey(new Uint8Array(32).fill(3))
    const secret = alice.secretKey.slice()
    c.suite.signAs(secret, alice.publicKey, label, message)
    secret.subarray(1).fill(0) // the seeds wiped, the type tag left: a well-formed key of other bytes
    assert.throws(() => c.suite.signAs(secret, alice.publicKey, label, message), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
    secret.fill(0)
    assert.throws(() => c.suite.signAs(secret, alice.publicKey, label, message), (e: unknown) => isParleyError(e, 'KEY_INVALID'))
    secret.set(bob.secretKey)
    assert.throws(() => c.suite.signAs(secret, alice.publicKey, label, message), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'), 'no stale handle of the old key')
    const signature = c.suite.signAs(secret, bob.publicKey, label, message)
    assert.equal(c.suite.verify(bob.publicKey, label, message, signature), true)
    assert.equal(c.suite.verify(alice.publicKey, label, message, signature), false)
  }
})

test('signAs: a fresh copy of the same secret each call is imported each call', () => {
  const c = counted(nativeBackend)
  const alice = c.suite.generateSigningKey(new Uint8Array(32).fill(4))
  c.reset()
  for (let i = 0; i < 2; i++) c.suite.signAs(alice.secretKey.slice(), alice.publicKey, label, message)
  assert.equal(c.count('importSecretKey'), 4)
})

test('decapsulateAs: imported once per array; the same secret as decapsulate; a changed array is served by its new bytes', () => {
  for (const b of backends) {
    const c = counted(b)
    const bob = c.suite.generateKemKey(new Uint8Array(32).fill(5))
    const carol = c.suite.generateKemKey(new Uint8Array(32).fill(6))
    const secret = bob.secretKey.slice()
    c.reset()
    for (let i = 0; i < 3; i++) {
      const { ciphertext, sharedSecret } = c.suite.encapsulate(bob.publicKey)
      assert.deepEqual(c.suite.decapsulateAs(secret, bob.publicKey, ciphertext), sharedSecret)
      assert.deepEqual(c.suite.decapsulate(secret, ciphertext), sharedSecret)
    }
    assert.equal(c.count('importSecretKey'), 2, `${b.name}: one ML-KEM-768 and one X25519 import for three decapsulations`)
    secret.set(carol.secretKey)
    const { ciphertext } = c.suite.encapsulate(bob.publicKey)
    assert.throws(() => c.suite.decapsulateAs(secret, bob.publicKey, ciphertext), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
    const toCarol = c.suite.encapsulate(carol.publicKey)
    assert.deepEqual(c.suite.decapsulateAs(secret, carol.publicKey, toCarol.ciphertext), toCarol.sharedSecret)
    secret.subarray(1).fill(0)
    assert.throws(() => c.suite.decapsulateAs(secret, carol.publicKey, toCarol.ciphertext), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
  }
})

test('decapsulateAs: a malformed ciphertext is KEM_FAILED before the key check, with or without a held key', () => {
  const c = counted(nativeBackend)
  const bob = c.suite.generateKemKey(new Uint8Array(32).fill(7))
  const carol = c.suite.generateKemKey(new Uint8Array(32).fill(8))
  const { ciphertext } = c.suite.encapsulate(bob.publicKey)
  const bad = ciphertext.slice()
  bad.fill(0, bad.length - 32) // a small-order X25519 half
  for (let i = 0; i < 2; i++) {
    assert.throws(() => c.suite.decapsulateAs(bob.secretKey, bob.publicKey, bad), (e: unknown) => isParleyError(e, 'KEM_FAILED'))
    assert.throws(() => c.suite.decapsulateAs(carol.secretKey, bob.publicKey, bad), (e: unknown) => isParleyError(e, 'KEM_FAILED'))
    assert.throws(() => c.suite.decapsulateAs(bob.secretKey, bob.publicKey, ciphertext.subarray(1)), (e: unknown) => isParleyError(e, 'KEM_FAILED'))
  }
})
