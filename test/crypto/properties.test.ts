/**
 * Properties of the suite (fast-check), on both backends: sign/verify round
 * trip for any label and message; any change to message, label or signature
 * fails; seal/open round trip; any single-bit change anywhere in a sealed
 * box (nonce, ciphertext, tag) or its AAD throws DECRYPT_FAILED. Portable
 * ML-DSA is slow in pure JS, hence the small run counts there.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { LABELS } from '../../src/constants.js'
import { defaultSuite, portableSuite } from '../../src/crypto/index.js'
import type { Suite } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'

const labels = fc.constantFrom(...Object.values(LABELS))
const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })
const runs = (s: Suite, native: number, portable: number): { numRuns: number } => ({ numRuns: s === defaultSuite ? native : portable })
const decryptFailed = (err: unknown): boolean => isParleyError(err, 'DECRYPT_FAILED')

for (const s of [defaultSuite, portableSuite]) {
  const keys = s.generateSigningKey(new Uint8Array(32).fill(7))

  test(`sign/verify round trip; any change fails (${s.backend.name})`, () => {
    fc.assert(
      fc.property(labels, labels, bytes(256), fc.nat(), (label, otherLabel, message, where) => {
        const sig = s.sign(keys.secretKey, label, message)
        assert.equal(s.verify(keys.publicKey, label, message, sig), true)
        if (otherLabel !== label) assert.equal(s.verify(keys.publicKey, otherLabel, message, sig), false)
        const changed = sig.slice()
        const i = 1 + (where % (sig.length - 1))
        changed[i] = (changed[i] ?? 0) ^ (1 << (where % 8))
        assert.equal(s.verify(keys.publicKey, label, message, changed), false)
        const longer = Uint8Array.of(...message, 0)
        assert.equal(s.verify(keys.publicKey, label, longer, sig), false)
      }),
      runs(s, 50, 10),
    )
  })

  test(`seal/open round trip (${s.backend.name})`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), bytes(1024), bytes(64), (key, plaintext, aad) => {
        assert.deepEqual(s.open(key, s.seal(key, plaintext, aad), aad), plaintext)
      }),
      runs(s, 200, 100),
    )
  })

  test(`open of a mutated box or AAD throws DECRYPT_FAILED (${s.backend.name})`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), bytes(256), bytes(32), fc.nat(), fc.boolean(), (key, plaintext, aad, where, inAad) => {
        const sealed = s.seal(key, plaintext, aad)
        if (inAad) {
          const otherAad = aad.length === 0 ? Uint8Array.of(0) : aad.slice()
          if (aad.length > 0) otherAad[where % aad.length] = (otherAad[where % aad.length] ?? 0) ^ 0x80
          assert.throws(() => s.open(key, sealed, otherAad), decryptFailed)
        } else {
          const mutated = sealed.slice()
          mutated[where % sealed.length] = (mutated[where % sealed.length] ?? 0) ^ (1 << (where % 8))
          assert.throws(() => s.open(key, mutated, aad), decryptFailed)
        }
      }),
      runs(s, 300, 150),
    )
  })

  test(`AES-256-GCM: mutated ciphertext throws DECRYPT_FAILED (${s.backend.name})`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), bytes(256), fc.nat(), (key, nonce, plaintext, where) => {
        const sealed = s.aesGcmSeal(key, nonce, plaintext, new Uint8Array(0))
        assert.deepEqual(s.aesGcmOpen(key, nonce, sealed, new Uint8Array(0)), plaintext)
        const mutated = sealed.slice()
        mutated[where % sealed.length] = (mutated[where % sealed.length] ?? 0) ^ 1
        assert.throws(() => s.aesGcmOpen(key, nonce, mutated, new Uint8Array(0)), decryptFailed)
      }),
      runs(s, 200, 100),
    )
  })

  test(`hybrid KEM round trip (${s.backend.name})`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const kp = s.generateKemKey(seed)
        const { ciphertext, sharedSecret } = s.encapsulate(kp.publicKey)
        assert.deepEqual(s.decapsulate(kp.secretKey, ciphertext), sharedSecret)
      }),
      runs(s, 30, 10),
    )
  })
}
