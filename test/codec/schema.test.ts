import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  asArray,
  asBool,
  asBytes,
  asMap,
  asText,
  asUint,
  decode,
  encode,
  expectKeys,
  getArray,
  getBool,
  getBytes,
  getMap,
  getText,
  getUint,
  optional,
  utf8Length,
} from '../../src/codec/index.js'
import type { CborMap, CborValue } from '../../src/codec/index.js'
import { isParleyError } from '../../src/errors.js'

function schemaFails(fn: () => unknown, messageStart?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isParleyError(err, 'DECODE_SCHEMA'), String(err))
    if (messageStart !== undefined) assert.ok(err.message.startsWith(messageStart), err.message)
    return true
  })
}

const sample = (): CborMap =>
  asMap(
    decode(encode({ b: Uint8Array.of(1, 2, 3), t: 'héllo', n: 7, f: true, a: [1, 2], m: { x: 1 }, z: null })),
    'sample',
  )

test('asMap accepts plain maps only', () => {
  assert.deepStrictEqual(asMap({ a: 1 }, 'x'), { a: 1 })
  const bare = Object.create(null) as CborMap
  assert.equal(asMap(bare, 'x'), bare)
  for (const v of [null, [], Uint8Array.of(1), 'a', 1, true] as CborValue[]) schemaFails(() => asMap(v, 'thing'), 'thing: ')
  schemaFails(() => asMap(new Map() as unknown as CborValue, 'thing'))
})

test('expectKeys refuses missing and unknown keys', () => {
  const m = sample()
  expectKeys(m, ['b', 't', 'n', 'f'], ['a', 'm', 'z', 'extra'], 'sample')
  schemaFails(() => expectKeys(m, ['b', 't', 'n', 'f', 'q'], ['a', 'm', 'z'], 'sample'), 'sample.q: missing')
  schemaFails(() => expectKeys(m, ['b', 't', 'n', 'f'], ['a', 'm'], 'sample'), 'sample: unknown field "z"')
  // inherited names are not fields
  schemaFails(() => expectKeys({}, ['toString'], [], 'sample'), 'sample.toString: missing')
  // attacker-chosen keys are escaped and cut short in the message
  const bad = { ['\n'.repeat(100)]: 1 }
  schemaFails(() => expectKeys(bad, [], [], 'sample'), 'sample: unknown field "\\n\\n')
})

test('getBytes checks type and bounds', () => {
  const m = sample()
  assert.deepStrictEqual(getBytes(m, 'b', 's', { length: 3 }), Uint8Array.of(1, 2, 3))
  assert.deepStrictEqual(getBytes(m, 'b', 's', { min: 3, max: 3 }), Uint8Array.of(1, 2, 3))
  assert.deepStrictEqual(getBytes(m, 'b', 's'), Uint8Array.of(1, 2, 3))
  schemaFails(() => getBytes(m, 'b', 's', { length: 4 }), 's.b: expected 4 bytes, got 3')
  schemaFails(() => getBytes(m, 'b', 's', { max: 2 }), 's.b: ')
  schemaFails(() => getBytes(m, 'b', 's', { min: 4 }), 's.b: ')
  schemaFails(() => getBytes(m, 't', 's', {}), 's.t: expected a byte string')
  schemaFails(() => getBytes(m, 'nope', 's', {}), 's.nope: missing')
  schemaFails(() => asBytes([1, 2], 'el', {}))
})

test('getText counts UTF-8 bytes and refuses control characters', () => {
  const m = sample()
  assert.equal(getText(m, 't', 's', 6), 'héllo') // 'é' is two bytes
  schemaFails(() => getText(m, 't', 's', 5), 's.t: longer than 5 bytes')
  schemaFails(() => getText(m, 'b', 's', 10), 's.b: expected a text string')
  assert.equal(utf8Length('\u{1f600}'), 4)
  assert.equal(asText('\u{1f600}', 'x', 4), '\u{1f600}')
  schemaFails(() => asText('\u{1f600}', 'x', 3))
  for (const c of ['\u0000', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085', '\u009f']) {
    schemaFails(() => asText(`a${c}b`, 'x', 100), 'x: contains a control character')
  }
  assert.equal(asText('a\u00a0b \u200b', 'x', 100), 'a\u00a0b \u200b') // not Cc
  assert.equal(asText('', 'x', 0), '')
})

test('getUint accepts non-negative safe integers up to max', () => {
  const m = sample()
  assert.equal(getUint(m, 'n', 's'), 7)
  assert.equal(getUint(m, 'n', 's', 7), 7)
  schemaFails(() => getUint(m, 'n', 's', 6), 's.n: greater than 6')
  for (const v of [-1, 1.5, '1', null, true, Number.MAX_SAFE_INTEGER + 1] as CborValue[]) schemaFails(() => asUint(v, 'x'))
  assert.equal(asUint(0, 'x'), 0)
  assert.equal(asUint(Number.MAX_SAFE_INTEGER, 'x'), Number.MAX_SAFE_INTEGER)
})

test('getBool, getArray and getMap check types', () => {
  const m = sample()
  assert.equal(getBool(m, 'f', 's'), true)
  schemaFails(() => getBool(m, 'n', 's'), 's.n: expected a boolean')
  schemaFails(() => asBool(null, 'x'))
  assert.deepStrictEqual(getArray(m, 'a', 's', 2), [1, 2])
  schemaFails(() => getArray(m, 'a', 's', 1), 's.a: more than 1 items')
  schemaFails(() => getArray(m, 'm', 's', 10), 's.m: expected an array')
  schemaFails(() => asArray(Uint8Array.of(1), 'x', 10))
  assert.deepStrictEqual(getMap(m, 'm', 's'), { x: 1 })
  schemaFails(() => getMap(m, 'a', 's'), 's.a: expected a map')
})

test('optional: absent is undefined, present is read, null is not absent', () => {
  const m = sample()
  assert.equal(optional(m, 'nope', (mm, k) => getUint(mm, k, 's')), undefined)
  assert.equal(optional(m, 'n', (mm, k) => getUint(mm, k, 's')), 7)
  schemaFails(() => optional(m, 'z', (mm, k) => getUint(mm, k, 's')), 's.z: expected an unsigned integer')
  // inherited properties are never fields
  assert.equal(optional(m, 'toString', (mm, k) => getUint(mm, k, 's')), undefined)
  assert.equal(optional(m, '__proto__', (mm, k) => getMap(mm, k, 's')), undefined)
})
