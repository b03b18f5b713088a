/**
 * Issuing and verifying credentials: the happy paths (did:parley hybrid,
 * did:key classical, container file round trip, bare JWT with a KEL lookup,
 * resolver-only did:parley) and every refusal, each asserted by code:
 * VC_MALFORMED, VC_SIGNATURE_INVALID, KEL_ROTATED_KEY, KEL_ROLLBACK,
 * KEL_ID_MISMATCH, VC_PQ_SIGNATURE_MISSING, VC_PQ_SIGNATURE_INVALID,
 * VC_EXPIRED, VC_NOT_YET_VALID, VC_TOO_OLD, VC_UNTRUSTED_ISSUER,
 * VC_TYPE_NOT_ACCEPTED, VC_SUBJECT_MISMATCH.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  issueCredential,
  verifyCredential,
  encodeCredentialContainer,
  parseCredentialContainer,
  VC_CONTEXT_V1,
  VC_CONTEXT_V2,
} from '../../src/credentials/index.js'
import type { CredentialInput } from '../../src/credentials/index.js'
import { LABELS, VC_CLOCK_SKEW_SECONDS } from '../../src/constants.js'
import { toBase64url } from '../../src/codec/index.js'
import { rotateIdentity } from '../../src/identity/author.js'
import { encodeKel } from '../../src/identity/log.js'
import { createDidResolver } from '../../src/identity/resolver.js'
import { hybridSignJws, loadParleySigner } from '../../src/credentials/signer.js'
import { suite, T0, at, identity, copySecrets, keyIssuer, keyIssuerDid, policy, segmentJson, withSegment, flipSignature } from './fixtures.js'

const alice = identity('alice')
const bob = identity('bob')
const issuer = identity('issuer')
const trusted = policy([issuer.state.did, keyIssuerDid])
const classical = policy([issuer.state.did, keyIssuerDid], { requirePq: false })

const hybrid = await issueCredential({ suite, issuer, subject: alice.state.did, now: T0, validUntil: at(86400), claims: { level: 'in-person' } })

function verify(c: CredentialInput, opts: { now?: Date; requirePq?: boolean } = {}) {
  return verifyCredential(c, { suite, policy: opts.requirePq === false ? classical : trusted, now: opts.now ?? at(10) })
}

test('vc: a did:parley credential verifies with its ML-DSA-65 co-signature', async () => {
  const vc = await verify(hybrid)
  assert.equal(vc.issuer, issuer.state.did)
  assert.equal(vc.subject, alice.state.did)
  assert.deepEqual(vc.types, ['VerifiableCredential', 'VerifiedHumanCredential'])
  assert.equal(vc.pq, true)
  assert.equal(vc.issuedAt.getTime(), T0.getTime())
  assert.equal(vc.expiresAt?.getTime(), at(86400).getTime())
  assert.deepEqual(vc.claims, { level: 'in-person' })
  assert.match(vc.id ?? '', /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})

test('vc: the JWT payload has the registered claims and a VC 2.0 credential', () => {
  const header = segmentJson(hybrid.jwt, 0)
  const payload = segmentJson(hybrid.jwt, 1)
  assert.deepEqual(header, { alg: 'EdDSA', typ: 'JWT', kid: `${issuer.state.did}#sig-0` })
  assert.equal(hybrid.pq?.kid, `${issuer.state.did}#hybrid-0`)
  assert.equal(payload.iss, issuer.state.did)
  assert.equal(payload.sub, alice.state.did)
  assert.equal(payload.nbf, T0.getTime() / 1000)
  assert.equal(payload.iat, T0.getTime() / 1000)
  assert.equal(payload.exp, at(86400).getTime() / 1000)
  const vc = payload.vc as Record<string, unknown>
  assert.deepEqual(vc['@context'], [VC_CONTEXT_V2, VC_CONTEXT_V1])
  assert.equal(vc.validFrom, '2030-01-01T00:00:00Z')
  assert.equal(vc.validUntil, '2030-01-02T00:00:00Z')
  assert.deepEqual(vc.credentialSubject, { id: alice.state.did, level: 'in-person' })
  assert.equal(vc.id, payload.jti)
})

test('vc: the container survives a file round trip', async () => {
  const text = encodeCredentialContainer(hybrid)
  assert.deepEqual(parseCredentialContainer(text), hybrid)
  assert.equal((await verify(text)).pq, true)
  assert.equal((await verify(new TextEncoder().encode(text))).pq, true)
})

test('vc: a did:key credential is classical only', async () => {
  const c = await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0 })
  assert.equal(c.pq, undefined)
  assert.equal((await verify(c, { requirePq: false })).pq, false)
  await assert.rejects(verify(c), { code: 'VC_PQ_SIGNATURE_MISSING' })
})

test('vc: a bare did:parley JWT verifies with a KEL lookup, and through a resolver', async () => {
  const kel = encodeKel(issuer.kel)
  const kels = async (did: string) => (did === issuer.state.did ? kel : undefined)
  const viaLookup = await verifyCredential(hybrid.jwt, { suite, policy: classical, now: at(10), kels })
  assert.equal(viaLookup.pq, false)
  const viaResolver = await verifyCredential(
    { format: 'parley-vc/1', jwt: hybrid.jwt, ...(hybrid.pq ? { pq: hybrid.pq } : {}) },
    { suite, policy: trusted, now: at(10), resolver: createDidResolver({ suite, kels }) },
  )
  assert.equal(viaResolver.pq, true)
  await assert.rejects(verifyCredential(hybrid.jwt, { suite, policy: classical, now: at(10) }), { code: 'DID_NOT_FOUND' })
})

test('vc: tampered payload -> VC_SIGNATURE_INVALID', async () => {
  const payload = segmentJson(hybrid.jwt, 1)
  payload.sub = bob.state.did
  ;(payload.vc as { credentialSubject: { id: string } }).credentialSubject.id = bob.state.did
  await assert.rejects(verify({ ...hybrid, jwt: withSegment(hybrid.jwt, 1, JSON.stringify(payload)) }), { code: 'VC_SIGNATURE_INVALID' })
})

test('vc: tampered signature -> VC_SIGNATURE_INVALID', async () => {
  await assert.rejects(verify({ ...hybrid, jwt: flipSignature(hybrid.jwt) }), { code: 'VC_SIGNATURE_INVALID' })
})

test('vc: a credential signed by another key of the right shape -> VC_SIGNATURE_INVALID', async () => {
  const forged = await issueCredential({ suite, issuer: { kel: issuer.kel, secrets: issuer.secrets }, subject: bob.state.did, now: T0 })
  const other = await issueCredential({ suite, issuer: bob, subject: bob.state.did, now: T0 })
  // bob's signature on a payload claiming to be from the issuer
  const spliced = `${forged.jwt.split('.').slice(0, 2).join('.')}.${other.jwt.split('.')[2]}`
  await assert.rejects(verify({ ...forged, jwt: spliced }), { code: 'VC_SIGNATURE_INVALID' })
})

test('vc: tampered PQ co-signature -> VC_PQ_SIGNATURE_INVALID, whatever the policy', async () => {
  const sig = Buffer.from(hybrid.pq?.sig ?? '', 'base64url')
  sig[100] = (sig[100] as number) ^ 1
  const tampered = { ...hybrid, pq: { alg: 'ML-DSA-65' as const, kid: hybrid.pq?.kid ?? '', sig: toBase64url(sig) } }
  await assert.rejects(verify(tampered), { code: 'VC_PQ_SIGNATURE_INVALID' })
  await assert.rejects(verify(tampered, { requirePq: false }), { code: 'VC_PQ_SIGNATURE_INVALID' })
})

test('vc: a co-signature made for a presentation does not verify for a credential', async () => {
  const signer = await loadParleySigner(suite, issuer)
  const payload = segmentJson(hybrid.jwt, 1) as Parameters<typeof hybridSignJws>[3]
  const { token, pq } = hybridSignJws(suite, issuer.secrets.signing, signer, payload, LABELS.vpSignature)
  assert.equal(token, hybrid.jwt) // Ed25519 is deterministic: same JWS
  await assert.rejects(verify({ ...hybrid, pq }), { code: 'VC_PQ_SIGNATURE_INVALID' })
})

test('vc: a stripped co-signature -> VC_PQ_SIGNATURE_MISSING under requirePq, pq false otherwise', async () => {
  const { pq: _pq, ...stripped } = hybrid
  await assert.rejects(verify(stripped), { code: 'VC_PQ_SIGNATURE_MISSING' })
  assert.equal((await verify(stripped, { requirePq: false })).pq, false)
})

test('vc: a co-signature on a did:key credential -> VC_PQ_SIGNATURE_INVALID', async () => {
  const c = await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0 })
  const pq = { alg: 'ML-DSA-65' as const, kid: `${keyIssuerDid}#x`, sig: hybrid.pq?.sig ?? '' }
  await assert.rejects(verify({ ...c, pq }), { code: 'VC_PQ_SIGNATURE_INVALID' })
})

test('vc: expired -> VC_EXPIRED (clock skew allowed)', async () => {
  assert.equal((await verify(hybrid, { now: at(86400 + VC_CLOCK_SKEW_SECONDS) })).pq, true)
  await assert.rejects(verify(hybrid, { now: at(86400 + VC_CLOCK_SKEW_SECONDS + 1) }), { code: 'VC_EXPIRED' })
})

test('vc: not yet valid -> VC_NOT_YET_VALID (clock skew allowed)', async () => {
  assert.equal((await verify(hybrid, { now: at(-VC_CLOCK_SKEW_SECONDS) })).pq, true)
  await assert.rejects(verify(hybrid, { now: at(-VC_CLOCK_SKEW_SECONDS - 1) }), { code: 'VC_NOT_YET_VALID' })
})

test('vc: older than maxAgeSeconds -> VC_TOO_OLD', async () => {
  const p = policy([issuer.state.did], { maxAgeSeconds: 3600 })
  const forever = await issueCredential({ suite, issuer, subject: alice.state.did, now: T0 })
  assert.equal((await verifyCredential(forever, { suite, policy: p, now: at(3600) })).pq, true)
  await assert.rejects(verifyCredential(forever, { suite, policy: p, now: at(3601) }), { code: 'VC_TOO_OLD' })
})

test('vc: untrusted issuer -> VC_UNTRUSTED_ISSUER (before any resolution)', async () => {
  const p = policy([keyIssuerDid])
  await assert.rejects(verifyCredential(hybrid, { suite, policy: p, now: at(10) }), { code: 'VC_UNTRUSTED_ISSUER' })
  // a did:web issuer that is not trusted is never fetched
  let fetched = false
  const resolver = createDidResolver({ suite, fetch: async () => ((fetched = true), new Response('{}')) })
  const web = await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0 })
  const payload = segmentJson(web.jwt, 1)
  payload.iss = 'did:web:example.com'
  await assert.rejects(
    verifyCredential(withSegment(withSegment(web.jwt, 0, '{"alg":"EdDSA","typ":"JWT"}'), 1, JSON.stringify({ ...payload, vc: { ...(payload.vc as object), issuer: 'did:web:example.com' } })), {
      suite,
      policy: p,
      now: at(10),
      resolver,
    }),
    { code: 'VC_UNTRUSTED_ISSUER' },
  )
  assert.equal(fetched, false)
})

test('vc: no accepted type -> VC_TYPE_NOT_ACCEPTED', async () => {
  const p = policy([issuer.state.did], { acceptedTypes: ['OtherCredential'] })
  await assert.rejects(verifyCredential(hybrid, { suite, policy: p, now: at(10) }), { code: 'VC_TYPE_NOT_ACCEPTED' })
  const other = await issueCredential({ suite, issuer, subject: alice.state.did, now: T0, types: ['OtherCredential'] })
  assert.deepEqual((await verifyCredential(other, { suite, policy: p, now: at(10) })).types, ['VerifiableCredential', 'OtherCredential'])
  await assert.rejects(verify(other), { code: 'VC_TYPE_NOT_ACCEPTED' })
})

test('vc: expected subject differs -> VC_SUBJECT_MISMATCH', async () => {
  await assert.rejects(verifyCredential(hybrid, { suite, policy: trusted, now: at(10), subject: bob.state.did }), { code: 'VC_SUBJECT_MISMATCH' })
})

test('vc: issuer rotated its key -> KEL_ROTATED_KEY; an old embedded KEL is a rollback once the new one was seen', async () => {
  const rotating = identity('rotating issuer')
  const before = await issueCredential({ suite, issuer: { kel: rotating.kel, secrets: copySecrets(rotating) }, subject: alice.state.did, now: T0 })
  const rotated = rotateIdentity(suite, rotating.kel, copySecrets(rotating), { now: at(100) })
  const p = policy([rotating.state.did])
  // the credential carrying the newer KEL
  await assert.rejects(verifyCredential({ ...before, issuerKel: toBase64url(encodeKel(rotated.kel)) }, { suite, policy: p, now: at(200) }), {
    code: 'KEL_ROTATED_KEY',
  })
  // the verifier knows the newer KEL: it wins over the embedded one
  const kels = async () => encodeKel(rotated.kel)
  await assert.rejects(verifyCredential(before, { suite, policy: p, now: at(200), kels }), { code: 'KEL_ROTATED_KEY' })
  // the verifier remembers the newer KEL: the embedded old one is a rollback
  const seen = { did: rotated.state.did, sequence: rotated.state.sequence, digest: rotated.state.digest }
  await assert.rejects(verifyCredential(before, { suite, policy: p, now: at(200), seen }), { code: 'KEL_ROLLBACK' })
  // credentials issued after the rotation verify
  const after = await issueCredential({ suite, issuer: rotated, subject: alice.state.did, now: at(150) })
  assert.equal(after.pq?.kid, `${rotated.state.did}#hybrid-1`)
  assert.equal((await verifyCredential(after, { suite, policy: p, now: at(200), seen })).pq, true)
  // issuing with a rotated-out secret is refused
  await assert.rejects(issueCredential({ suite, issuer: { kel: rotated.kel, secrets: copySecrets(rotating) }, subject: alice.state.did, now: T0 }), {
    code: 'KEL_ROTATED_KEY',
  })
})

test('vc: an embedded KEL of another identity -> KEL_ID_MISMATCH; on a did:key credential -> VC_MALFORMED', async () => {
  await assert.rejects(verify({ ...hybrid, issuerKel: toBase64url(encodeKel(bob.kel)) }), { code: 'KEL_ID_MISMATCH' })
  await assert.rejects(verify({ ...hybrid, issuerKel: toBase64url(new Uint8Array([1, 2, 3])) }), { code: 'VC_MALFORMED' })
  const c = await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0 })
  await assert.rejects(verify({ ...c, issuerKel: hybrid.issuerKel ?? '' }, { requirePq: false }), { code: 'VC_MALFORMED' })
})

test('vc: claims that disagree or are missing -> VC_MALFORMED', async () => {
  const c = await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0 })
  const base = segmentJson(c.jwt, 1)
  const vcOf = (p: Record<string, unknown>) => p.vc as Record<string, unknown>
  const cases: ((p: Record<string, unknown>) => void)[] = [
    (p) => (p.sub = bob.state.did),
    (p) => (vcOf(p).issuer = bob.state.did),
    (p) => (vcOf(p).validFrom = '2031-01-01T00:00:00Z'),
    (p) => (vcOf(p).validFrom = 'yesterday'),
    (p) => (p.nbf = 1.5),
    (p) => (p.exp = (p.iat as number) - 1),
    (p) => delete p.iss,
    (p) => (p.iss = 'not-a-did'),
    (p) => delete p.vc,
    (p) => (vcOf(p)['@context'] = [VC_CONTEXT_V2.replace('v2', 'v3')]),
    (p) => (vcOf(p).type = ['VerifiedHumanCredential']),
    (p) => (vcOf(p).credentialSubject = [{ id: alice.state.did }]),
    (p) => (p.vp = {}),
    (p) => {
      delete p.iat
      delete p.nbf
      delete vcOf(p).validFrom
    },
  ]
  for (const mutate of cases) {
    const p = structuredClone(base)
    mutate(p)
    await assert.rejects(verify(withSegment(c.jwt, 1, JSON.stringify(p)), { requirePq: false }), { code: 'VC_MALFORMED' }, String(mutate))
  }
})

test('vc: issuing refuses bad arguments with INVALID_ARGUMENT', async () => {
  const cases = [
    { subject: 'alice' },
    { subject: alice.state.did, validUntil: T0 },
    { subject: alice.state.did, types: ['VerifiableCredential'] },
    { subject: alice.state.did, claims: { id: 'x' } },
  ]
  for (const c of cases) {
    await assert.rejects(issueCredential({ suite, issuer: keyIssuer, now: T0, ...c }), { code: 'INVALID_ARGUMENT' })
  }
})

test('vc: issued with one backend, verified with the other (native <-> portable)', async () => {
  const { portableSuite } = await import('../../src/crypto/index.js')
  assert.equal((await verifyCredential(hybrid, { suite: portableSuite, policy: trusted, now: at(10) })).pq, true)
  const portable = await issueCredential({ suite: portableSuite, issuer, subject: alice.state.did, now: T0 })
  assert.equal((await verify(portable)).pq, true)
})
