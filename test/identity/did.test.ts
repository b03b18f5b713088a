import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { LABELS } from '../../src/constants.js'
import {
  DID_PARLEY_LENGTH,
  assertParleyDid,
  base32Decode,
  base32Encode,
  formatDid,
  isParleyDid,
  parseDid,
} from '../../src/identity/did.js'
import { suite, throwsCode } from './fixtures.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

// RFC 4648 §10, lowercase, without padding
const VECTORS: [string, string][] = [
  ['', ''],
  ['f', 'my'],
  ['fo', 'mzxq'],
  ['foo', 'mzxw6'],
  ['foob', 'mzxw6yq'],
  ['fooba', 'mzxw6ytb'],
  ['foobar', 'mzxw6ytboi'],
]

test('base32: RFC 4648 vectors (lowercase, unpadded)', () => {
  for (const [plain, b32] of VECTORS) {
    assert.equal(base32Encode(utf8(plain)), b32)
    assert.deepStrictEqual(base32Decode(b32), utf8(plain))
  }
})

test('base32: round trip and one spelling per value', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const s = base32Encode(b)
      assert.match(s, /^[a-z2-7]*$/)
      assert.deepStrictEqual(base32Decode(s), b)
    }),
  )
})

test('base32: refuses uppercase, padding, foreign characters, bad lengths, non-zero trailing bits', () => {
  for (const bad of ['MY', 'my======', 'm1', 'm', 'mzx', 'mzxw6y', 'mz', 'mzxr']) {
    throwsCode(() => base32Decode(bad), 'DID_INVALID')
  }
})

test('did: format and parse round trip a 32-byte inception digest', () => {
  const digest = suite.digest(LABELS.didInception, utf8('an inception event'))
  const did = formatDid(digest)
  assert.equal(did.length, DID_PARLEY_LENGTH)
  assert.match(did, /^did:parley:[a-z2-7]{52}$/)
  const parsed = parseDid(did)
  assert.deepStrictEqual(parsed.digest, digest)
  assert.equal(parsed.did, did)
  assert.equal(isParleyDid(did), true)
  assert.equal(assertParleyDid(did), did)
})

test('did: property: every digest gives a DID that parses back to it', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest) => {
      assert.deepStrictEqual(parseDid(formatDid(digest)).digest, digest)
    }),
  )
})

test('did: refuses anything but one canonical did:parley spelling (DID_INVALID)', () => {
  const did = formatDid(new Uint8Array(32).fill(7))
  const id = did.slice('did:parley:'.length)
  const lastBitsSet = did.slice(0, -1) + (did.endsWith('a') ? 'b' : 'r')
  const cases = [
    '',
    'did:parley:',
    did.toUpperCase(),
    `did:PARLEY:${id}`,
    `did:key:${id}`,
    `${did}#frag`,
    `${did}?q`,
    `${did}/path`,
    did.slice(0, -1),
    `${did}a`,
    did.slice(0, -2) + '1a',
    lastBitsSet,
    ` ${did}`.slice(0, DID_PARLEY_LENGTH),
  ]
  for (const bad of cases) {
    throwsCode(() => parseDid(bad), 'DID_INVALID')
    assert.equal(isParleyDid(bad), false, bad)
  }
  assert.equal(isParleyDid(42), false)
  throwsCode(() => assertParleyDid('did:parley:x'), 'DID_INVALID')
  throwsCode(() => formatDid(new Uint8Array(31)), 'INVALID_ARGUMENT')
})
