/**
 * The `parley-vc/1` and `parley-vp/1` containers (strict JSON, exact members,
 * canonical base64url, exact co-signature length, size limits) and the trust
 * policy validator.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MLDSA65_SIGNATURE_LENGTH, VC_MAX_CONTAINER_BYTES, VC_MAX_EMBEDDED_KEL_BYTES } from '../../src/constants.js'
import { toBase64url } from '../../src/codec/index.js'
import {
  issueCredential,
  createPresentation,
  parseCredentialContainer,
  encodeCredentialContainer,
  parsePresentationContainer,
  validateCredentialContainer,
  validateTrustPolicy,
  parseTrustPolicy,
  isTrustedIssuer,
  hasAcceptedType,
} from '../../src/credentials/index.js'
import { suite, T0, at, identity, keyIssuerDid } from './fixtures.js'

const alice = identity('alice')
const issuer = identity('issuer')
const vc = await issueCredential({ suite, issuer, subject: alice.state.did, now: T0 })
const vp = await createPresentation({ suite, holder: alice, credentials: [vc], audience: issuer.state.did, nonce: 'n', now: at(1) })

test('container: the credential file is pretty JSON with a fixed member order', () => {
  const text = encodeCredentialContainer(vc)
  assert.ok(text.endsWith('}\n'))
  assert.deepEqual(Object.keys(JSON.parse(text) as object), ['format', 'jwt', 'pq', 'issuerKel'])
  assert.deepEqual(parseCredentialContainer(text), vc)
})

test('container: malformed credential files -> VC_MALFORMED', () => {
  const obj = JSON.parse(encodeCredentialContainer(vc)) as Record<string, unknown>
  const pq = obj.pq as Record<string, unknown>
  const variants: unknown[] = [
    { ...obj, format: 'parley-vc/2' },
    { ...obj, extra: 1 },
    { ...obj, jwt: 42 },
    { ...obj, jwt: '' },
    { ...obj, pq: { ...pq, alg: 'Dilithium3' } },
    { ...obj, pq: { ...pq, sig: toBase64url(new Uint8Array(MLDSA65_SIGNATURE_LENGTH - 1)) } },
    { ...obj, pq: { ...pq, sig: `${pq.sig as string}=` } },
    { ...obj, pq: { ...pq, extra: true } },
    { ...obj, pq: { alg: 'ML-DSA-65', sig: pq.sig } },
    { ...obj, issuerKel: '' },
    { ...obj, issuerKel: 'a+b/' },
    [obj],
    null,
  ]
  for (const v of variants) {
    assert.throws(() => parseCredentialContainer(JSON.stringify(v)), { code: 'VC_MALFORMED' }, JSON.stringify(v).slice(0, 120))
    assert.throws(() => validateCredentialContainer(v), { code: 'VC_MALFORMED' })
  }
  const text = JSON.stringify(obj)
  for (const bad of [text.slice(0, -1), `${text.slice(0, -1)},"jwt":"x"}`, 'x'.repeat(VC_MAX_CONTAINER_BYTES + 1), '']) {
    assert.throws(() => parseCredentialContainer(bad), { code: 'VC_MALFORMED' })
  }
  assert.throws(() => parseCredentialContainer(new Uint8Array([0x7b, 0xff, 0x7d])), { code: 'VC_MALFORMED' })
  assert.throws(() => parseCredentialContainer(new Uint8Array(VC_MAX_CONTAINER_BYTES + 1)), { code: 'VC_MALFORMED' })
  const hugeKel = toBase64url(new Uint8Array(VC_MAX_EMBEDDED_KEL_BYTES + 3))
  assert.throws(() => validateCredentialContainer({ ...obj, issuerKel: hugeKel }), { code: 'VC_MALFORMED' })
})

test('container: malformed presentations -> VP_MALFORMED (a bad credential inside -> VC_MALFORMED)', () => {
  const obj = JSON.parse(JSON.stringify(vp)) as Record<string, unknown>
  for (const v of [
    { ...obj, format: 'parley-vc/1' },
    { ...obj, pq: undefined },
    { ...obj, holderKel: undefined },
    { ...obj, credentials: {} },
    { ...obj, credentials: Array.from({ length: 9 }, () => vc) },
    { ...obj, audience: 'x' },
  ]) {
    assert.throws(() => parsePresentationContainer(JSON.stringify(v)), { code: 'VP_MALFORMED' })
  }
  assert.throws(() => parsePresentationContainer(JSON.stringify({ ...obj, credentials: [{ format: 'x' }] })), { code: 'VC_MALFORMED' })
})

test('policy: a valid policy is returned frozen', () => {
  const p = validateTrustPolicy({ trustedIssuers: [keyIssuerDid, 'did:web:example.com'], acceptedTypes: ['VerifiedHumanCredential'], maxAgeSeconds: 60, requirePq: false })
  assert.ok(Object.isFrozen(p) && Object.isFrozen(p.trustedIssuers))
  assert.equal(isTrustedIssuer(p, keyIssuerDid), true)
  assert.equal(isTrustedIssuer(p, 'did:web:example.co'), false)
  assert.equal(hasAcceptedType(p, ['VerifiableCredential', 'VerifiedHumanCredential']), true)
  assert.equal(hasAcceptedType(p, ['VerifiableCredential']), false)
  assert.deepEqual(parseTrustPolicy(JSON.stringify(p)), p)
})

test('policy: invalid policies -> INVALID_ARGUMENT', () => {
  const good = { trustedIssuers: [keyIssuerDid], acceptedTypes: ['VerifiedHumanCredential'], requirePq: true }
  for (const bad of [
    null,
    [],
    { ...good, requirePq: 'yes' },
    { ...good, requirePq: undefined },
    { ...good, trustedIssuers: ['example.com'] },
    { ...good, trustedIssuers: [`${keyIssuerDid}#key-1`] },
    { ...good, trustedIssuers: [keyIssuerDid, keyIssuerDid] },
    { ...good, trustedIssuers: 'did:key:z6Mk' },
    { ...good, acceptedTypes: ['VerifiableCredential'] },
    { ...good, acceptedTypes: [''] },
    { ...good, acceptedTypes: ['a\nb'] },
    { ...good, maxAgeSeconds: 0 },
    { ...good, maxAgeSeconds: 1.5 },
    { ...good, maxAge: 10 },
  ]) {
    assert.throws(() => validateTrustPolicy(bad), { code: 'INVALID_ARGUMENT' }, JSON.stringify(bad))
  }
  assert.throws(() => parseTrustPolicy('{"requirePq":true,"requirePq":false}'), { code: 'INVALID_ARGUMENT' })
})
