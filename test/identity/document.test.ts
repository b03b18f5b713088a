import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EdDSASigner, createJWT, verifyJWT } from 'did-jwt'
import { Resolver } from 'did-resolver'
import { fromBase64url } from '../../src/codec/index.js'
import { createIdentity, rotateIdentity } from '../../src/identity/author.js'
import { HYBRID_KEM_TYPE, HYBRID_KEY_TYPE, hybridMethodId, signingMethodId, toDidDocument } from '../../src/identity/document.js'
import type { KeyState } from '../../src/identity/state.js'
import { at, cloneSecrets, suite } from './fixtures.js'

const services = [{ id: 'p2p', type: 'libp2p-peer', endpoint: '12D3KooWA' }]

test('toDidDocument: Ed25519 JWK, hybrid key, agreement keys, services', () => {
  const id = createIdentity(suite, { now: at(0), services, agreementKeyCount: 2 })
  const did = id.state.did
  const doc = toDidDocument(id.state)
  assert.equal(doc.id, did)
  const [ed, hybrid] = doc.verificationMethod ?? []
  assert.ok(ed !== undefined && hybrid !== undefined)
  assert.equal(ed.id, `${did}#sig-0`)
  assert.equal(ed.id, signingMethodId(id.state))
  assert.equal(ed.type, 'JsonWebKey2020')
  assert.equal(ed.controller, did)
  const { ed25519 } = suite.splitSigningPublicKey(id.state.signingKey)
  assert.deepStrictEqual(ed.publicKeyJwk, { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(ed25519).toString('base64url') })
  assert.equal(hybrid.id, hybridMethodId(id.state))
  assert.equal(hybrid.type, HYBRID_KEY_TYPE)
  const multibase = hybrid.publicKeyMultibase ?? ''
  assert.ok(multibase.startsWith('u'))
  assert.deepStrictEqual(fromBase64url(multibase.slice(1)), id.state.signingKey)
  assert.deepStrictEqual(doc.authentication, [ed.id, hybrid.id])
  assert.deepStrictEqual(doc.assertionMethod, [ed.id, hybrid.id])
  assert.equal(doc.keyAgreement?.length, 2)
  const kem = doc.keyAgreement?.[1]
  assert.ok(typeof kem === 'object' && kem.type === HYBRID_KEM_TYPE && kem.id === `${did}#kem-1`)
  assert.deepStrictEqual(doc.service, [{ id: `${did}#p2p`, type: 'libp2p-peer', serviceEndpoint: '12D3KooWA' }])
  JSON.stringify(doc) // plain JSON
})

test('toDidDocument: method ids follow the establishment event', () => {
  const a = createIdentity(suite, { now: at(0) })
  const b = rotateIdentity(suite, a.kel, a.secrets, { now: at(1) })
  const doc = toDidDocument(b.state)
  assert.equal(doc.verificationMethod?.[0]?.id, `${b.state.did}#sig-1`)
  assert.equal(doc.verificationMethod?.[1]?.id, `${b.state.did}#hybrid-1`)
})

function resolverFor(state: KeyState): Resolver {
  return new Resolver({
    parley: async () => ({ didDocument: toDidDocument(state), didDocumentMetadata: {}, didResolutionMetadata: {} }),
  })
}

test('toDidDocument: did-jwt verifies an EdDSA JWT against it (interop), and refuses a rotated-out key', async () => {
  const a = createIdentity(suite, { now: at(0) })
  const old = cloneSecrets(a.secrets)
  const seed = suite.splitSigningSecretKey(a.secrets.signing).ed25519
  const jwt = await createJWT({ sub: a.state.did, nonce: 'n1' }, { issuer: a.state.did, signer: EdDSASigner(seed), alg: 'EdDSA' })
  const verified = await verifyJWT(jwt, { resolver: resolverFor(a.state) })
  assert.equal(verified.issuer, a.state.did)
  assert.equal(verified.signer.id, signingMethodId(a.state))
  // after a rotation the old Ed25519 key is gone from the document
  const b = rotateIdentity(suite, a.kel, a.secrets, { now: at(1) })
  const stale = await createJWT({ sub: b.state.did }, { issuer: b.state.did, signer: EdDSASigner(suite.splitSigningSecretKey(old.signing).ed25519), alg: 'EdDSA' })
  await assert.rejects(verifyJWT(stale, { resolver: resolverFor(b.state) }))
})
