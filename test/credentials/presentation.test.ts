/**
 * Presentations: the happy path (bytes and string challenges, with and
 * without credentials, as text), and each refusal by code: wrong audience,
 * wrong nonce, replay on another connection, expired, not yet valid, holder
 * is not the subject, tampered JWS / co-signature, a credential list that is
 * not the signed one, a VC-JWT passed off as a VP-JWT, a rotated-out holder
 * key, and a credential the policy refuses.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VC_CLOCK_SKEW_SECONDS, VP_DEFAULT_LIFETIME_SECONDS } from '../../src/constants.js'
import { toBase64url } from '../../src/codec/index.js'
import {
  createPresentation,
  verifyPresentation,
  encodePresentationContainer,
  issueCredential,
  parsePresentationContainer,
} from '../../src/credentials/index.js'
import type { PresentationContainer } from '../../src/credentials/index.js'
import { rotateIdentity } from '../../src/identity/author.js'
import { encodeKel } from '../../src/identity/log.js'
import { suite, T0, at, identity, copySecrets, keyIssuer, keyIssuerDid, policy, segmentJson, withSegment, flipSignature } from './fixtures.js'

const alice = identity('alice')
const bob = identity('bob')
const issuer = identity('issuer')
const trusted = policy([issuer.state.did])
const challenge = suite.randomBytes(32)

const credential = await issueCredential({ suite, issuer, subject: alice.state.did, now: T0, validUntil: at(365 * 86400) })
const vp = await createPresentation({ suite, holder: alice, credentials: [credential], audience: bob.state.did, nonce: challenge, now: at(100) })

function verify(p: PresentationContainer | string, opts: { audience?: string; nonce?: Uint8Array | string; now?: Date } = {}) {
  return verifyPresentation(p, {
    suite,
    policy: trusted,
    audience: opts.audience ?? bob.state.did,
    nonce: opts.nonce ?? challenge,
    now: opts.now ?? at(110),
  })
}

test('vp: happy path — holder, credentials, key state', async () => {
  const v = await verify(vp)
  assert.equal(v.holder, alice.state.did)
  assert.equal(v.holderState.did, alice.state.did)
  assert.equal(v.credentials.length, 1)
  assert.equal(v.credentials[0]?.subject, alice.state.did)
  assert.equal(v.credentials[0]?.pq, true)
  assert.equal(v.expiresAt.getTime(), at(100 + VP_DEFAULT_LIFETIME_SECONDS).getTime())
  const payload = segmentJson(vp.jwt, 1)
  assert.equal(payload.aud, bob.state.did)
  assert.equal(payload.nonce, toBase64url(challenge))
  assert.equal(payload.iss, alice.state.did)
})

test('vp: travels as text; string challenges; no credentials', async () => {
  const text = encodePresentationContainer(vp)
  assert.deepEqual(parsePresentationContainer(text), vp)
  assert.equal((await verify(text)).holder, alice.state.did)
  const empty = await createPresentation({ suite, holder: alice, credentials: [], audience: bob.state.did, nonce: 'abc', now: at(100) })
  assert.deepEqual((await verify(empty, { nonce: 'abc' })).credentials, [])
})

test('vp: wrong audience -> VP_AUDIENCE_MISMATCH', async () => {
  await assert.rejects(verify(vp, { audience: issuer.state.did }), { code: 'VP_AUDIENCE_MISMATCH' })
})

test('vp: wrong nonce -> VP_NONCE_MISMATCH', async () => {
  await assert.rejects(verify(vp, { nonce: suite.randomBytes(32) }), { code: 'VP_NONCE_MISMATCH' })
  await assert.rejects(verify(vp, { nonce: toBase64url(challenge).slice(1) }), { code: 'VP_NONCE_MISMATCH' })
})

test('vp: replayed on another connection (another challenge) -> VP_NONCE_MISMATCH', async () => {
  assert.equal((await verify(vp)).holder, alice.state.did) // first connection
  const secondChallenge = suite.randomBytes(32)
  await assert.rejects(verify(vp, { nonce: secondChallenge, now: at(120) }), { code: 'VP_NONCE_MISMATCH' })
})

test('vp: expired -> VP_EXPIRED; from the future -> VP_NOT_YET_VALID', async () => {
  const end = 100 + VP_DEFAULT_LIFETIME_SECONDS + VC_CLOCK_SKEW_SECONDS
  assert.equal((await verify(vp, { now: at(end) })).holder, alice.state.did)
  await assert.rejects(verify(vp, { now: at(end + 1) }), { code: 'VP_EXPIRED' })
  await assert.rejects(verify(vp, { now: at(100 - VC_CLOCK_SKEW_SECONDS - 1) }), { code: 'VP_NOT_YET_VALID' })
})

test('vp: holder is not the credential subject -> VC_SUBJECT_MISMATCH', async () => {
  const bobs = await issueCredential({ suite, issuer, subject: bob.state.did, now: T0 })
  const stolen = await createPresentation({ suite, holder: alice, credentials: [bobs], audience: bob.state.did, nonce: challenge, now: at(100) })
  await assert.rejects(verify(stolen), { code: 'VC_SUBJECT_MISMATCH' })
})

test('vp: a credential the policy refuses refuses the presentation', async () => {
  const classicalOnly = await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0 })
  const p = await createPresentation({ suite, holder: alice, credentials: [classicalOnly], audience: bob.state.did, nonce: challenge, now: at(100) })
  await assert.rejects(verify(p), { code: 'VC_UNTRUSTED_ISSUER' })
  await assert.rejects(
    verifyPresentation(p, { suite, policy: policy([keyIssuerDid]), audience: bob.state.did, nonce: challenge, now: at(110) }),
    { code: 'VC_PQ_SIGNATURE_MISSING' },
  )
})

test('vp: tampered JWS or co-signature -> VP_SIGNATURE_INVALID', async () => {
  await assert.rejects(verify({ ...vp, jwt: flipSignature(vp.jwt) }), { code: 'VP_SIGNATURE_INVALID' })
  const payload = segmentJson(vp.jwt, 1)
  payload.aud = issuer.state.did
  await assert.rejects(verify({ ...vp, jwt: withSegment(vp.jwt, 1, JSON.stringify(payload)) }, { audience: issuer.state.did }), {
    code: 'VP_SIGNATURE_INVALID',
  })
  const sig = Buffer.from(vp.pq.sig, 'base64url')
  sig[7] = (sig[7] as number) ^ 0x80
  await assert.rejects(verify({ ...vp, pq: { ...vp.pq, sig: toBase64url(sig) } }), { code: 'VP_SIGNATURE_INVALID' })
  // a credential's co-signature (another FIPS 204 context) is not a presentation's
  await assert.rejects(verify({ ...vp, pq: { ...vp.pq, sig: credential.pq?.sig ?? '' } }), { code: 'VP_SIGNATURE_INVALID' })
})

test('vp: credentials that are not the signed list -> VP_MALFORMED', async () => {
  const other = await issueCredential({ suite, issuer, subject: alice.state.did, now: T0 })
  await assert.rejects(verify({ ...vp, credentials: [other] }), { code: 'VP_MALFORMED' })
  await assert.rejects(verify({ ...vp, credentials: [] }), { code: 'VP_MALFORMED' })
  await assert.rejects(verify({ ...vp, credentials: [credential, credential] }), { code: 'VP_MALFORMED' })
})

test('vp: a VC-JWT passed off as a VP-JWT -> VP_MALFORMED; a holder KEL of someone else -> KEL_ID_MISMATCH', async () => {
  await assert.rejects(verify({ ...vp, jwt: credential.jwt }), { code: 'VP_MALFORMED' })
  await assert.rejects(verify({ ...vp, holderKel: toBase64url(encodeKel(bob.kel)) }), { code: 'KEL_ID_MISMATCH' })
})

test('vp: a rotated-out holder key -> KEL_ROTATED_KEY (creating and verifying)', async () => {
  const carol = identity('carol')
  const old = copySecrets(carol)
  const before = await createPresentation({ suite, holder: { kel: carol.kel, secrets: old }, credentials: [], audience: bob.state.did, nonce: challenge, now: at(100) })
  const rotated = rotateIdentity(suite, carol.kel, copySecrets(carol), { now: at(105) })
  await assert.rejects(verify({ ...before, holderKel: toBase64url(encodeKel(rotated.kel)) }), { code: 'KEL_ROTATED_KEY' })
  await assert.rejects(
    createPresentation({ suite, holder: { kel: rotated.kel, secrets: old }, credentials: [], audience: bob.state.did, nonce: challenge, now: at(110) }),
    { code: 'KEL_ROTATED_KEY' },
  )
  const after = await createPresentation({ suite, holder: rotated, credentials: [], audience: bob.state.did, nonce: challenge, now: at(110) })
  assert.equal((await verify(after, { now: at(115) })).holderState.sequence, 1)
})

test('vp: createPresentation refuses bad arguments with INVALID_ARGUMENT', async () => {
  const base = { suite, holder: alice, credentials: [], audience: bob.state.did, nonce: challenge, now: at(100) }
  for (const bad of [{ audience: 'bob' }, { nonce: '' }, { nonce: 'x'.repeat(513) }, { lifetimeSeconds: 0 }, { lifetimeSeconds: 3601 }]) {
    await assert.rejects(createPresentation({ ...base, ...bad }), { code: 'INVALID_ARGUMENT' })
  }
  await assert.rejects(createPresentation({ ...base, credentials: Array.from({ length: 9 }, () => credential) }), { code: 'INVALID_ARGUMENT' })
})

test('vp: lifetimes beyond the limit are refused by the verifier -> VP_MALFORMED', async () => {
  const payload = segmentJson(vp.jwt, 1)
  payload.exp = (payload.iat as number) + 7200
  await assert.rejects(verify({ ...vp, jwt: withSegment(vp.jwt, 1, JSON.stringify(payload)) }), { code: 'VP_MALFORMED' })
})

test('vp: seen records apply per DID — a holder record leaves issuers alone, a lookup catches an issuer rollback', async () => {
  const holderSeen = { did: alice.state.did, sequence: alice.state.sequence, digest: alice.state.digest }
  const base = { suite, policy: trusted, audience: bob.state.did, nonce: challenge, now: at(110) }
  assert.equal((await verifyPresentation(vp, { ...base, seen: holderSeen })).holder, alice.state.did)
  // the issuer rotated and the verifier saw it: the credential's embedded (older) issuer KEL is a rollback
  const rotated = rotateIdentity(suite, issuer.kel, copySecrets(issuer), { now: at(105) })
  const records = new Map([[issuer.state.did, { did: issuer.state.did, sequence: rotated.state.sequence, digest: rotated.state.digest }]])
  await assert.rejects(verifyPresentation(vp, { ...base, seen: (did) => records.get(did) }), { code: 'KEL_ROLLBACK' })
})
