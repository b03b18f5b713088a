/**
 * Typed key encodings: exact lengths, tag checks with the right codes, text
 * form without secrets, and the real keys of the suite carrying their types.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  KEY_TYPES,
  decodeKey,
  defaultSuite,
  describeKey,
  encodeKey,
  encodedLength,
  keyFromDescription,
  keyTypeOf,
} from '../../src/crypto/index.js'
import type { KeyType } from '../../src/crypto/index.js'
import { LABELS } from '../../src/constants.js'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'

const types = Object.keys(KEY_TYPES) as KeyType[]
const code = (c: ErrorCode) => (err: unknown) => isParleyError(err, c)

test('tags and names are unique; lengths match the primitives', () => {
  assert.equal(new Set(types.map((t) => KEY_TYPES[t].tag)).size, types.length)
  assert.equal(new Set(types.map((t) => KEY_TYPES[t].name)).size, types.length)
  assert.equal(encodedLength('signingPublic'), 1 + 32 + 1952)
  assert.equal(encodedLength('signingSecret'), 1 + 64)
  assert.equal(encodedLength('signature'), 1 + 64 + 3309)
  assert.equal(encodedLength('kemPublic'), 1 + 1184 + 32)
  assert.equal(encodedLength('kemSecret'), 1 + 32)
  assert.equal(encodedLength('kemCiphertext'), 1 + 1088 + 32)
  assert.equal(encodedLength('ed25519Public'), 1 + 32)
})

test('encode/decode round-trips every type; keyTypeOf names it', () => {
  for (const type of types) {
    const raw = new Uint8Array(KEY_TYPES[type].length).map((_, i) => i & 0xff)
    const encoded = encodeKey(type, raw)
    assert.equal(encoded[0], KEY_TYPES[type].tag)
    assert.deepEqual(decodeKey(type, encoded), raw)
    assert.equal(keyTypeOf(encoded), type)
  }
})

test('wrong raw length is refused with KEY_INVALID and an operation prefix', () => {
  assert.throws(() => encodeKey('ed25519Public', new Uint8Array(31)), (err: unknown) => {
    return isParleyError(err, 'KEY_INVALID') && err.message.startsWith('encodeKey: parley-1/ed25519-pub must be 32 bytes')
  })
})

test('decoding refuses a wrong type, an unknown tag, a wrong length, no bytes', () => {
  const kemPublic = encodeKey('kemPublic', new Uint8Array(KEY_TYPES.kemPublic.length))
  assert.throws(() => decodeKey('signingPublic', kemPublic), code('KEY_TYPE_MISMATCH'))
  assert.throws(() => decodeKey('kemPublic', Uint8Array.of(0xee, ...kemPublic.subarray(1))), code('KEY_INVALID'))
  assert.throws(() => decodeKey('kemPublic', kemPublic.subarray(0, kemPublic.length - 1)), code('KEY_INVALID'))
  assert.throws(() => decodeKey('kemPublic', Uint8Array.of(...kemPublic, 0)), code('KEY_INVALID'))
  assert.throws(() => decodeKey('kemPublic', new Uint8Array(0)), code('KEY_INVALID'))
  assert.throws(() => keyTypeOf(Uint8Array.of(0xee)), code('KEY_INVALID'))
  assert.throws(() => keyTypeOf(kemPublic.subarray(0, 10)), code('KEY_INVALID'))
})

test('suite keys carry their types', () => {
  const sig = defaultSuite.generateSigningKey()
  const kem = defaultSuite.generateKemKey()
  assert.equal(keyTypeOf(sig.publicKey), 'signingPublic')
  assert.equal(keyTypeOf(sig.secretKey), 'signingSecret')
  assert.equal(keyTypeOf(kem.publicKey), 'kemPublic')
  assert.equal(keyTypeOf(kem.secretKey), 'kemSecret')
  assert.equal(keyTypeOf(defaultSuite.encapsulate(kem.publicKey).ciphertext), 'kemCiphertext')
  assert.equal(keyTypeOf(defaultSuite.sign(sig.secretKey, LABELS.kelEvent, new Uint8Array(1))), 'signature')
})

test('describeKey: public value as base64url, never a secret', () => {
  const { publicKey, secretKey } = defaultSuite.generateSigningKey()
  const d = describeKey(publicKey)
  assert.equal(d.type, 'parley-1/sig-pub')
  assert.match(d.publicKey ?? '', /^[A-Za-z0-9_-]+$/)
  assert.deepEqual(keyFromDescription(d), publicKey)
  const s = describeKey(secretKey)
  assert.deepEqual(s, { type: 'parley-1/sig-secret' })
  assert.equal(JSON.stringify(s).includes(Buffer.from(secretKey).toString('base64url').slice(2, 20)), false)
})

test('keyFromDescription refuses unknown types, type/tag disagreement, secrets, bad base64url', () => {
  const { publicKey } = defaultSuite.generateSigningKey()
  const d = describeKey(publicKey)
  assert.throws(() => keyFromDescription({ type: 'parley-1/kem-pub', publicKey: d.publicKey ?? '' }), code('KEY_TYPE_MISMATCH'))
  assert.throws(() => keyFromDescription({ type: 'nope' as 'parley-1/sig', publicKey: d.publicKey ?? '' }), code('KEY_INVALID'))
  assert.throws(() => keyFromDescription({ type: 'parley-1/kem-secret', publicKey: 'AA' }), code('KEY_INVALID'))
  assert.throws(() => keyFromDescription({ type: 'parley-1/sig-pub', publicKey: `${d.publicKey ?? ''}=` }), code('KEY_INVALID'))
  assert.throws(() => keyFromDescription({ type: 'parley-1/sig-pub' }), code('KEY_INVALID'))
})
