import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { bytesEqual, compareBytes, concatBytes } from '../../src/codec/index.js'

test('bytesEqual', () => {
  assert.equal(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true)
  assert.equal(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false)
  assert.equal(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 0)), false)
  assert.equal(bytesEqual(new Uint8Array(0), new Uint8Array(0)), true)
})

test('compareBytes is bytewise lexicographic, prefixes first (agrees with Buffer.compare)', () => {
  assert.ok(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0)) < 0)
  assert.ok(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 0)) > 0)
  assert.equal(compareBytes(Uint8Array.of(5, 6), Uint8Array.of(5, 6)), 0)
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
      assert.equal(Math.sign(compareBytes(a, b)), Buffer.compare(a, b))
    }),
  )
})

test('concatBytes returns a fresh array', () => {
  const a = Uint8Array.of(1)
  const out = concatBytes(a, Uint8Array.of(2, 3), new Uint8Array(0))
  assert.deepStrictEqual(out, Uint8Array.of(1, 2, 3))
  assert.deepStrictEqual(concatBytes(), new Uint8Array(0))
  const single = concatBytes(a)
  single[0] = 9
  assert.equal(a[0], 1)
})
