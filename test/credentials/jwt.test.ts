/**
 * The strict compact-JWS profile and strict JSON: alg must be exactly EdDSA
 * (none, HS256, Ed25519, lowercase refused), typ exactly JWT, no other header
 * parameters (crit, jwk, b64), three canonical base64url segments, UTF-8,
 * no duplicate members, bounded size and depth, 64-byte signatures.
 * Each refusal is VC_MALFORMED (and VP_MALFORMED through the VP parser).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VC_MAX_JWT_LENGTH, VC_MAX_JSON_DEPTH } from '../../src/constants.js'
import { toBase64url } from '../../src/codec/index.js'
import { parseJws, signJws, verifyJwsSignature } from '../../src/credentials/jwt.js'
import { parseStrictJson } from '../../src/codec/json.js'
import { issueCredential, verifyCredential } from '../../src/credentials/index.js'
import { suite, T0, at, identity, keyIssuer, keyIssuerDid, policy, withSegment } from './fixtures.js'

const alice = identity('alice')
const classical = policy([keyIssuerDid], { requirePq: false })
const good = (await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0 })).jwt
const utf8 = new TextEncoder()

function malformed(token: string): void {
  assert.throws(() => parseJws(token, 'VC_MALFORMED', 'VC-JWT'), { code: 'VC_MALFORMED' }, token.slice(0, 80))
}

test('jwt: a good token parses and its signature verifies', () => {
  const jws = parseJws(good, 'VC_MALFORMED', 'VC-JWT')
  assert.equal(jws.header.alg, 'EdDSA')
  assert.equal(jws.signature.length, 64)
  const pk = suite.backend.ed25519PublicKey(keyIssuer.ed25519Seed)
  assert.equal(verifyJwsSignature(suite, jws, pk), true)
  assert.equal(verifyJwsSignature(suite, jws, new Uint8Array(31)), false)
})

test('jwt: alg none, HS256, RS256, Ed25519, eddsa are refused before any key lookup', async () => {
  for (const alg of ['none', 'HS256', 'RS256', 'ES256K', 'Ed25519', 'eddsa', '']) {
    const token = withSegment(good, 0, JSON.stringify({ alg, typ: 'JWT' }))
    malformed(token)
    await assert.rejects(verifyCredential(token, { suite, policy: classical, now: at(10) }), { code: 'VC_MALFORMED' })
  }
  // alg none with an empty signature segment
  const parts = good.split('.')
  malformed(`${toBase64url(utf8.encode('{"alg":"none","typ":"JWT"}'))}.${parts[1]}.`)
  malformed(`${toBase64url(utf8.encode('{"alg":"none"}'))}.${parts[1]}`)
})

test('jwt: typ must be JWT; crit, jwk, b64 and other header parameters are refused', () => {
  for (const header of [
    { alg: 'EdDSA' },
    { alg: 'EdDSA', typ: 'jwt' },
    { alg: 'EdDSA', typ: 'vc+jwt' },
    { alg: 'EdDSA', typ: 'JWT', crit: ['exp'] },
    { alg: 'EdDSA', typ: 'JWT', jwk: { kty: 'OKP' } },
    { alg: 'EdDSA', typ: 'JWT', b64: false },
    { alg: 'EdDSA', typ: 'JWT', kid: 42 },
    { alg: 'EdDSA', typ: 'JWT', kid: '' },
  ]) {
    malformed(withSegment(good, 0, JSON.stringify(header)))
  }
  malformed(withSegment(good, 0, '{"alg":"EdDSA","typ":"JWT","alg":"none"}'))
  malformed(withSegment(good, 0, '["EdDSA"]'))
})

test('jwt: segments must be three, non-empty, canonical base64url of UTF-8 JSON objects', () => {
  const [h, p, s] = good.split('.') as [string, string, string]
  const cases = [
    `${h}.${p}`,
    `${h}.${p}.${s}.${s}`,
    `.${p}.${s}`,
    `${h}..${s}`,
    `${h}.${p}.`,
    `${h}=.${p}.${s}`,
    `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}x`,
    `${h}.${p} .${s}`,
    `${h}.${p}.${s.slice(0, -1)}B`, // non-zero trailing bits: another spelling of the same signature
    `${h}.${toBase64url(new Uint8Array([0xff, 0xfe]))}.${s}`, // not UTF-8
    `${h}.${toBase64url(utf8.encode('[1,2]'))}.${s}`,
    `${h}.${toBase64url(utf8.encode('{"a":1'))}.${s}`,
    `${h}.${p}.${toBase64url(new Uint8Array(63))}`,
    `${h}.${p}.${toBase64url(new Uint8Array(65))}`,
  ]
  for (const token of cases) malformed(token)
})

test('jwt: duplicate payload members are refused (no parser differential)', () => {
  malformed(withSegment(good, 1, '{"iss":"did:key:a","iss":"did:key:b"}'))
  malformed(withSegment(good, 1, '{"vc":{"type":1,"\\u0074ype":2}}'))
  malformed(withSegment(good, 1, '{"__proto__":{"iss":"x"}}'))
})

test('jwt: oversized tokens and deep nesting are refused', () => {
  malformed('a'.repeat(VC_MAX_JWT_LENGTH + 1))
  const deep = `{"a":${'['.repeat(VC_MAX_JSON_DEPTH)}${']'.repeat(VC_MAX_JSON_DEPTH)}}`
  malformed(withSegment(good, 1, deep))
  assert.throws(() => parseJws(42, 'VP_MALFORMED', 'VP-JWT'), { code: 'VP_MALFORMED' })
})

test('jwt: signJws refuses a token over the size limit', () => {
  const big = { x: 'y'.repeat(VC_MAX_JWT_LENGTH) }
  assert.throws(() => signJws(suite, {}, big, keyIssuer.ed25519Seed), { code: 'INVALID_ARGUMENT' })
})

test('json: strict parsing', () => {
  const opts = { maxLength: 100, maxDepth: 3, code: 'VC_MALFORMED' as const, what: 'test' }
  assert.deepEqual(parseStrictJson('{ "a" : [1, {"b": "\\"a\\":"}], "c": {"a": 1} }', opts), { a: [1, { b: '"a":' }], c: { a: 1 } })
  for (const text of ['{"a":1,"a":1}', '{"a":{"b":1,"b":2}}', '[1]', '"s"', 'null', '{', '{"a":[[[1]]]}', `{"a":"${'x'.repeat(100)}"}`, '{"a":1}x']) {
    assert.throws(() => parseStrictJson(text, opts), { code: 'VC_MALFORMED' }, text)
  }
  // the same name in two different objects is fine
  assert.deepEqual(parseStrictJson('{"a":{"a":1},"b":{"a":2}}', opts), { a: { a: 1 }, b: { a: 2 } })
})
