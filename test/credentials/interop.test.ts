/**
 * Interoperability with the reference JavaScript VC-JWT stack, both ways:
 * did-jwt-vc / did-jwt verify what Parley issues (did:key and did:parley
 * issuers), jose verifies the JWS independently, and Parley verifies what
 * did-jwt-vc issues (classical only: accepted when requirePq is false,
 * refused with VC_PQ_SIGNATURE_MISSING when it is true).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Resolver } from 'did-resolver'
import { getResolver } from 'key-did-resolver'
import { EdDSASigner } from 'did-jwt'
import { createVerifiableCredentialJwt, verifyCredential as djvVerifyCredential, verifyPresentation as djvVerifyPresentation } from 'did-jwt-vc'
import { importJWK, jwtVerify } from 'jose'
import { issueCredential, verifyCredential, createPresentation, VC_CONTEXT_V2 } from '../../src/credentials/index.js'
import { ed25519Jwk } from '../../src/identity/did-key.js'
import { createDidResolver } from '../../src/identity/resolver.js'
import { encodeKel } from '../../src/identity/log.js'
import { suite, T0, at, identity, keyIssuer, keyIssuerDid, policy } from './fixtures.js'

const alice = identity('alice')
const issuer = identity('issuer')
const T0s = Math.floor(T0.getTime() / 1000)

test('interop: a Parley credential from a did:key issuer verifies in did-jwt-vc', async () => {
  const c = await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0, validUntil: at(86400) })
  const verified = await djvVerifyCredential(c.jwt, new Resolver(getResolver()), { policies: { now: T0s + 10 } })
  assert.equal(verified.issuer, keyIssuerDid)
  assert.equal(verified.verifiableCredential.credentialSubject.id, alice.state.did)
  assert.deepEqual(verified.verifiableCredential.type, ['VerifiableCredential', 'VerifiedHumanCredential'])
  assert.equal(verified.verifiableCredential['@context'][0], VC_CONTEXT_V2)
})

test('interop: a Parley credential from a did:parley issuer verifies in did-jwt-vc through createDidResolver', async () => {
  const c = await issueCredential({ suite, issuer, subject: alice.state.did, now: T0 })
  const kel = encodeKel(issuer.kel)
  const resolver = createDidResolver({ suite, kels: async (did) => (did === issuer.state.did ? kel : undefined) })
  const verified = await djvVerifyCredential(c.jwt, resolver, { policies: { now: T0s + 10 } })
  assert.equal(verified.issuer, issuer.state.did)
  assert.equal(verified.signer.id, `${issuer.state.did}#sig-0`)
})

test('interop: jose verifies the EdDSA JWS of a Parley credential', async () => {
  const c = await issueCredential({ suite, issuer, subject: alice.state.did, now: T0 })
  const ed = suite.splitSigningPublicKey(issuer.state.signingKey).ed25519
  const key = await importJWK(ed25519Jwk(ed), 'EdDSA')
  const { payload, protectedHeader } = await jwtVerify(c.jwt, key, { currentDate: at(10) })
  assert.equal(protectedHeader.alg, 'EdDSA')
  assert.equal(payload.iss, issuer.state.did)
  assert.equal(payload.sub, alice.state.did)
})

async function didJwtVcCredential(): Promise<string> {
  return createVerifiableCredentialJwt(
    {
      sub: alice.state.did,
      nbf: T0s,
      vc: {
        '@context': ['https://www.w3.org/2018/credentials/v1'],
        type: ['VerifiableCredential', 'VerifiedHumanCredential'],
        credentialSubject: { verifiedHuman: true },
      },
    },
    { did: keyIssuerDid, signer: EdDSASigner(keyIssuer.ed25519Seed), alg: 'EdDSA' },
  )
}

test('interop: a did-jwt-vc credential verifies in Parley under a classical-only policy', async () => {
  const jwt = await didJwtVcCredential()
  const vc = await verifyCredential(jwt, { suite, policy: policy([keyIssuerDid], { requirePq: false }), now: at(10) })
  assert.equal(vc.issuer, keyIssuerDid)
  assert.equal(vc.subject, alice.state.did)
  assert.equal(vc.pq, false)
  assert.deepEqual(vc.claims, { verifiedHuman: true })
  assert.equal(vc.issuedAt.getTime(), T0.getTime())
})

test('interop: a did-jwt-vc credential is refused with VC_PQ_SIGNATURE_MISSING under requirePq', async () => {
  const jwt = await didJwtVcCredential()
  await assert.rejects(verifyCredential(jwt, { suite, policy: policy([keyIssuerDid]), now: at(10) }), { code: 'VC_PQ_SIGNATURE_MISSING' })
})

test('interop: a Parley presentation verifies in did-jwt-vc (audience and challenge)', async () => {
  const bob = identity('bob')
  const c = await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0 })
  const vp = await createPresentation({ suite, holder: alice, credentials: [c], audience: bob.state.did, nonce: 'challenge-1', now: at(5) })
  const kel = encodeKel(alice.kel)
  const resolver = createDidResolver({ suite, kels: async (did) => (did === alice.state.did ? kel : undefined) })
  const verified = await djvVerifyPresentation(vp.jwt, resolver, {
    audience: bob.state.did,
    challenge: 'challenge-1',
    policies: { now: T0s + 10 },
  })
  assert.equal(verified.issuer, alice.state.did)
  assert.equal(verified.verifiablePresentation.verifiableCredential?.length, 1)
})
