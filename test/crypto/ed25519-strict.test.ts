/**
 * Strict Ed25519 public keys (RFC 8032 §5.1.3 + small-order rejection): the
 * native backend's fixed list of small-order encodings is re-derived here
 * from noble's curve arithmetic, and both backends must refuse every
 * small-order and every non-canonical public-key encoding while accepting
 * ordinary keys.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ed25519 } from '@noble/curves/ed25519.js'
import { isStrictEd25519PublicKey } from '../../src/crypto/ed25519-strict.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { concatBytes, fromHex } from '../../src/crypto/bytes.js'
import { nativeBackend, portableBackend } from '../../src/crypto/index.js'

const backends = [nativeBackend, portableBackend]

/** The 8 points of E[8], generated from an order-8 point with noble. */
function torsionEncodings(): Uint8Array[] {
  const g8 = ed25519.Point.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05')
  const out: Uint8Array[] = []
  let q = ed25519.Point.ZERO
  for (let i = 0; i < 8; i++) {
    assert.equal(q.isSmallOrder(), true)
    out.push(q.toBytes())
    q = q.add(g8)
  }
  assert.equal(new Set(out.map((b) => b.join())).size, 8)
  return out
}

/** Encodings with y in [p, 2^255): p = 2^255 - 19, so the low byte runs 0xed..0xff. */
function nonCanonicalEncodings(): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let low = 0xed; low <= 0xff; low++) {
    for (const sign of [0, 0x80]) {
      const key = new Uint8Array(32).fill(0xff)
      key[0] = low
      key[31] = 0x7f | sign
      out.push(key)
    }
  }
  // x = 0 with the sign bit set ("-0"): y = 1 and y = p - 1.
  out.push(fromHex('0100000000000000000000000000000000000000000000000000000000000080'))
  out.push(fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'))
  return out
}

const message = new TextEncoder().encode('strict')
const someSignature = ed25519.sign(message, new Uint8Array(32).fill(1))

test('small-order public keys are refused by the strict check and both verifiers', () => {
  const keys = torsionEncodings()
  for (const key of keys) {
    assert.equal(isStrictEd25519PublicKey(key), false)
    for (const b of backends) assert.equal(b.ed25519Verify(key, message, someSignature), false, `${b.name} accepted ${key.join()}`)
  }
})

test('small-order keys with signatures that satisfy the verification equation are refused', () => {
  // For A and R in E[8] and S = 0, the signature is "valid" whenever R + [k]A = O,
  // k = SHA-512(R || A || M) mod L: a key that verifies signatures for many messages.
  const points = torsionEncodings().map((b) => ed25519.Point.fromBytes(b))
  const L = ed25519.Point.CURVE().n
  const le = (b: Uint8Array): bigint => b.reduceRight((acc, x) => acc * 256n + BigInt(x), 0n)
  let crafted = 0
  for (let i = 0; i < 4; i++) {
    const msg = new TextEncoder().encode(`forged ${i}`)
    for (const A of points) {
      for (const R of points) {
        const k = le(sha512(concatBytes(R.toBytes(), A.toBytes(), msg))) % L
        if (!R.add(A.multiplyUnsafe(k)).is0()) continue
        crafted++
        const sig = concatBytes(R.toBytes(), new Uint8Array(32))
        for (const b of backends) assert.equal(b.ed25519Verify(A.toBytes(), msg, sig), false)
      }
    }
  }
  assert.ok(crafted > 0)
})

test('non-canonical public keys are refused by the strict check and both verifiers', () => {
  for (const key of nonCanonicalEncodings()) {
    assert.equal(isStrictEd25519PublicKey(key), false)
    for (const b of backends) assert.equal(b.ed25519Verify(key, message, someSignature), false)
  }
})

test('ordinary public keys pass the strict check', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
      assert.equal(isStrictEd25519PublicKey(ed25519.getPublicKey(seed)), true)
    }),
    { numRuns: 50 },
  )
})
