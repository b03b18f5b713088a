import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fromBase64url, fromHex, toBase64url, toHex } from '../../src/codec/index.js'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => isParleyError(err, code))
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

// RFC 4648 §10, without padding
const VECTORS: [string, string][] = [
  ['', ''],
  ['f', 'Zg'],
  ['fo', 'Zm8'],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg'],
  ['fooba', 'Zm9vYmE'],
  ['foobar', 'Zm9vYmFy'],
]

test('base64url: RFC 4648 vectors', () => {
  for (const [plain, b64] of VECTORS) {
    assert.equal(toBase64url(utf8(plain)), b64)
    assert.deepStrictEqual(fromBase64url(b64), utf8(plain))
  }
  assert.equal(toBase64url(Uint8Array.of(0xfb, 0xff, 0xbf)), '-_-_')
  assert.deepStrictEqual(fromBase64url('-_-_'), Uint8Array.of(0xfb, 0xff, 0xbf))
})

test('base64url: property round trip and agreement with Buffer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const s = toBase64url(b)
      assert.equal(s, Buffer.from(b).toString('base64url'))
      assert.deepStrictEqual(fromBase64url(s), b)
    }),
    { numRuns: 1000 },
  )
})

test('base64url: refuses non-canonical and malformed text', () => {
  for (const s of ['Zg==', 'Zm8=', 'Zh', 'Zm9', 'Zm+v', 'Zm/v', 'Zm9v\n', ' Zm9v', 'Z', 'Zm9vY', 'Zm9v!', 'Zm9vYé']) {
    throwsCode(() => fromBase64url(s), 'DECODE_FAILED')
  }
  // @ts-expect-error not a string
  throwsCode(() => fromBase64url(new Uint8Array(4)), 'DECODE_FAILED')
})

test('base64url: maxBytes is checked before decoding', () => {
  assert.deepStrictEqual(fromBase64url('Zm9v', 'x', 3), utf8('foo'))
  throwsCode(() => fromBase64url('Zm9vYg', 'x', 3), 'DECODE_TOO_LARGE')
  throwsCode(() => fromBase64url('A'.repeat(10_000_000)), 'DECODE_TOO_LARGE')
  throwsCode(() => fromBase64url('Zg', 'x', -1), 'INVALID_ARGUMENT')
})

test('hex: lowercase round trip', () => {
  assert.equal(toHex(Uint8Array.of(0, 1, 0xab, 0xff)), '0001abff')
  assert.deepStrictEqual(fromHex('0001abff'), Uint8Array.of(0, 1, 0xab, 0xff))
  assert.deepStrictEqual(fromHex(''), new Uint8Array(0))
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
      assert.equal(toHex(b), Buffer.from(b).toString('hex'))
      assert.deepStrictEqual(fromHex(toHex(b)), b)
    }),
  )
})

test('hex: refuses uppercase, odd length and other characters', () => {
  for (const s of ['ABCD', 'aB', 'abc', '0x00', 'zz', ' 00', '00 ', 'éé']) throwsCode(() => fromHex(s), 'DECODE_FAILED')
  throwsCode(() => fromHex('000000', 'x', 2), 'DECODE_TOO_LARGE')
})
