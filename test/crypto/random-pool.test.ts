/**
 * The native backend's randomness (src/crypto/random-pool.ts): requests up
 * to RANDOM_POOL_MAX_REQUEST bytes come from a pool refilled
 * RANDOM_POOL_BYTES at a time, longer ones straight from the OS. What a
 * caller can observe, and what must hold: every result is a fresh array of
 * its own (no view into the pool, so a caller that wipes or keeps it
 * touches nothing else), no bytes are ever handed out twice (across refills
 * too), and lengths are exact.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RANDOM_POOL_BYTES, RANDOM_POOL_MAX_REQUEST } from '../../src/constants.js'
import { nativeBackend } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

test('short requests: exact lengths, each a fresh array owning its bytes', () => {
  for (let length = 0; length <= RANDOM_POOL_MAX_REQUEST; length++) {
    const out = nativeBackend.randomBytes(length)
    assert.ok(out instanceof Uint8Array)
    assert.equal(out.length, length)
    assert.equal(out.byteOffset, 0)
    assert.equal(out.buffer.byteLength, length, 'not a view into the pool')
  }
})

test('no bytes are handed out twice, across several refills of the pool', () => {
  const draws = Math.ceil((3 * RANDOM_POOL_BYTES) / RANDOM_POOL_MAX_REQUEST) + 7
  const seen = new Set<string>()
  for (let i = 0; i < draws; i++) {
    const nonce = nativeBackend.randomBytes(RANDOM_POOL_MAX_REQUEST)
    const h = hex(nonce)
    assert.equal(seen.has(h), false, `draw ${i} repeats an earlier one`)
    seen.add(h)
  }
  // a size that does not divide the pool: refills still hand out nothing twice
  const odd = new Set<string>()
  for (let i = 0; i < RANDOM_POOL_BYTES; i++) odd.add(hex(nativeBackend.randomBytes(7)))
  assert.equal(odd.size, RANDOM_POOL_BYTES)
})

test('wiping a result changes nothing the next draws see', () => {
  const a = nativeBackend.randomBytes(RANDOM_POOL_MAX_REQUEST)
  const keep = a.slice()
  a.fill(0)
  const b = nativeBackend.randomBytes(RANDOM_POOL_MAX_REQUEST)
  assert.notDeepEqual(b, new Uint8Array(RANDOM_POOL_MAX_REQUEST))
  assert.notDeepEqual(b, keep)
})

test('long requests bypass the pool: exact lengths, not all zero, distinct', () => {
  for (const length of [RANDOM_POOL_MAX_REQUEST + 1, 32, 64, RANDOM_POOL_BYTES + 1, 100_000]) {
    const x = nativeBackend.randomBytes(length)
    const y = nativeBackend.randomBytes(length)
    assert.equal(x.length, length)
    assert.notDeepEqual(x, y)
    assert.ok(x.some((v) => v !== 0))
  }
})

test('a bad length is still refused (INVALID_ARGUMENT)', () => {
  for (const bad of [-1, 1.5, Number.NaN, '12' as unknown as number]) {
    assert.throws(() => nativeBackend.randomBytes(bad), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
  }
})
