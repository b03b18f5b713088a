/**
 * The database keys (src/db/keys.ts) by themselves: a row's associated data
 * is exactly the deterministic CBOR of [label, table, key, version]; a row
 * is nonce ‖ XChaCha20-Poly1305 under the seal key and opens under the same
 * data key and nowhere else (another table, key, version or data key; any
 * changed byte); lookups are the same HMACs with or without the cache, and
 * each caller gets its own copy.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { AEAD_TAG_LENGTH, LABELS } from '../../src/constants.js'
import { encode } from '../../src/codec/index.js'
import { DbKeys, rowAd } from '../../src/db/keys.js'
import { isParleyError } from '../../src/errors.js'
import { suite } from './helpers.js'

function corrupt(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => isParleyError(err) && err.code === 'STORE_CORRUPT')
}

test('rowAd is the deterministic CBOR of [label, table, key, version]', () => {
  const keyValue = fc.oneof(fc.constant(null), fc.string(), fc.uint8Array({ maxLength: 300 }), fc.maxSafeInteger(), fc.maxSafeNat(), fc.integer({ min: -70_000, max: 70_000 }))
  fc.assert(
    fc.property(fc.string(), fc.array(keyValue, { maxLength: 30 }), fc.maxSafeNat(), (table, key, version) => {
      assert.deepEqual(rowAd(table, key, version), encode([LABELS.dbRow, table, [...key], version]))
    }),
    { numRuns: 500 },
  )
})

test('a row: nonce ‖ XChaCha20-Poly1305 under the seal key; it opens only where it was sealed', () => {
  const data = suite.randomBytes(32)
  const keys = DbKeys.derive(suite, data)
  const plain = suite.randomBytes(50)
  const key = [Uint8Array.of(1)]
  for (const version of [1, 2]) {
    const sealed = keys.seal('contacts', key, version, plain)
    assert.equal(sealed.length, 24 + plain.length + AEAD_TAG_LENGTH)
    assert.deepEqual(DbKeys.derive(suite, data).open('contacts', key, version, sealed), plain)
    corrupt(() => keys.open('contacts', key, version + 1, sealed))
    corrupt(() => keys.open('sessions', key, version, sealed))
    corrupt(() => keys.open('contacts', [Uint8Array.of(2)], version, sealed))
    corrupt(() => DbKeys.derive(suite, suite.randomBytes(32)).open('contacts', key, version, sealed))
    fc.assert(
      fc.property(fc.nat({ max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const changed = Uint8Array.from(sealed)
        changed[at]! ^= flip
        corrupt(() => keys.open('contacts', key, version, changed))
      }),
      { numRuns: 100 },
    )
  }
  keys.wipe()
})

test('lookups: the same HMAC from the cache, a copy for each caller; a part the cache cannot key is computed', () => {
  const data = suite.randomBytes(32)
  const keys = DbKeys.derive(suite, data)
  const fresh = (): DbKeys => DbKeys.derive(suite, data)
  const first = keys.lookup('sessions.sid', 'did:parley:x', Uint8Array.of(1, 2))
  assert.deepEqual(first, fresh().lookup('sessions.sid', 'did:parley:x', Uint8Array.of(1, 2)))
  first.fill(0)
  assert.deepEqual(keys.lookup('sessions.sid', 'did:parley:x', Uint8Array.of(1, 2)), fresh().lookup('sessions.sid', 'did:parley:x', Uint8Array.of(1, 2)))
  // Inputs that would collide if the cache key were a plain join do not.
  assert.notDeepEqual(keys.lookup('a', 'b|c'), keys.lookup('a', 'b', 'c'))
  assert.notDeepEqual(keys.lookup('a', '1'), keys.lookup('a', 1))
  assert.deepEqual(keys.lookup('a', 'b|c'), fresh().lookup('a', 'b|c'))
  assert.deepEqual(keys.lookup('a', [1, 2]), fresh().lookup('a', [1, 2]))
})
