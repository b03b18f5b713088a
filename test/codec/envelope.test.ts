import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeVersioned, encode, encodeVersioned, toHex } from '../../src/codec/index.js'
import type { CborValue } from '../../src/codec/index.js'
import { CODEC_MAX_DEPTH, CODEC_MAX_KIND_LENGTH } from '../../src/constants.js'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'

function throwsCode(fn: () => unknown, code: ErrorCode, includes?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isParleyError(err), String(err))
    assert.equal(err.code, code, err.message)
    if (includes !== undefined) assert.ok(err.message.includes(includes), err.message)
    return true
  })
}

test('encodeVersioned writes {b, k, v} in canonical order', () => {
  const bytes = encodeVersioned('t', 1, 0)
  assert.equal(toHex(bytes), 'a3' + '6162' + '00' + '616b' + '6174' + '6176' + '01')
  assert.deepStrictEqual(bytes, encode({ k: 't', v: 1, b: 0 }))
})

test('decodeVersioned round-trips the body', () => {
  const body = { s: 3, keys: [Uint8Array.of(1, 2)], name: 'alice' }
  assert.deepStrictEqual(decodeVersioned(encodeVersioned('parley/test', 2, body), 'parley/test', [1, 2]), body)
})

test('decodeVersioned refuses another kind', () => {
  const bytes = encodeVersioned('parley/credential', 1, {})
  throwsCode(() => decodeVersioned(bytes, 'parley/kel-event', [1]), 'DECODE_SCHEMA', 'expected kind "parley/kel-event"')
})

test('decodeVersioned refuses an unsupported version with a clear message', () => {
  const bytes = encodeVersioned('parley/test', 3, {})
  throwsCode(
    () => decodeVersioned(bytes, 'parley/test', [1, 2]),
    'DECODE_SCHEMA',
    'parley/test version 3 is not supported (supported: 1, 2)',
  )
})

test('decodeVersioned refuses malformed envelopes', () => {
  const cases: CborValue[] = [
    [1, 2, 3],
    { k: 'parley/test', v: 1 },
    { k: 'parley/test', b: 1 },
    { k: 'parley/test', v: 1, b: 1, x: 1 },
    { k: 1, v: 1, b: 1 },
    { k: 'parley/test', v: '1', b: 1 },
    { k: 'parley/test', v: -1, b: 1 },
    { k: 'x'.repeat(CODEC_MAX_KIND_LENGTH + 1), v: 1, b: 1 },
  ]
  for (const c of cases) throwsCode(() => decodeVersioned(encode(c), 'parley/test', [1]), 'DECODE_SCHEMA')
  // malformed CBOR keeps its own code
  throwsCode(() => decodeVersioned(Uint8Array.of(0xa3), 'parley/test', [1]), 'DECODE_FAILED')
})

test('the body sits one level below the envelope and obeys the limits', () => {
  let body: CborValue = []
  for (let i = 1; i < CODEC_MAX_DEPTH - 1; i++) body = [body]
  assert.ok(decodeVersioned(encodeVersioned('t', 1, body), 't', [1]))
  throwsCode(() => encodeVersioned('t', 1, [body]), 'ENCODE_FAILED')
  const bytes = encodeVersioned('t', 1, new Uint8Array(100))
  throwsCode(() => decodeVersioned(bytes, 't', [1], { maxBytes: 50 }), 'DECODE_TOO_LARGE')
})

test('bad kinds and versions are refused on both sides', () => {
  for (const kind of ['', 'has space', 'x'.repeat(CODEC_MAX_KIND_LENGTH + 1), 'tab\t', 'é']) {
    throwsCode(() => encodeVersioned(kind, 1, null), 'ENCODE_FAILED')
    throwsCode(() => decodeVersioned(encodeVersioned('t', 1, null), kind, [1]), 'INVALID_ARGUMENT')
  }
  for (const v of [0, -1, 1.5, 0x10000, Number.NaN]) {
    throwsCode(() => encodeVersioned('t', v, null), 'ENCODE_FAILED')
    throwsCode(() => decodeVersioned(encodeVersioned('t', 1, null), 't', [v]), 'INVALID_ARGUMENT')
  }
  throwsCode(() => decodeVersioned(encodeVersioned('t', 1, null), 't', []), 'INVALID_ARGUMENT')
})
