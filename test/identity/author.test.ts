import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LABELS, MAX_NAME_LENGTH } from '../../src/constants.js'
import { encodeVersioned } from '../../src/codec/index.js'
import { createIdentity, rotateIdentity, updateIdentity } from '../../src/identity/author.js'
import type { UpdateIdentityOptions } from '../../src/identity/author.js'
import { verifyKel } from '../../src/identity/kel.js'
import { encodeKel } from '../../src/identity/log.js'
import { IDENTITY_SECRETS_KIND, decodeSecrets, encodeSecrets } from '../../src/identity/secrets.js'
import type { IdentitySecrets } from '../../src/identity/secrets.js'
import { at, cloneSecrets, suite, throwsCode } from './fixtures.js'

const zeroed = (s: IdentitySecrets): boolean => [s.signing, s.next, ...s.agreement].every((k) => k.every((b) => b === 0))

test('createIdentity: a verified inception whose DID is the inception digest', () => {
  const id = createIdentity(suite, {
    name: 'alice', now: at(0), agreementKeyCount: 2,
    services: [{ id: 'p2p', type: 'libp2p-peer', endpoint: '12D3KooWA' }, { id: 'mbox', type: 'mailbox', endpoint: '/dns4/m.example/tcp/443/wss' }],
  })
  assert.equal(id.kel.length, 1)
  assert.deepStrictEqual(verifyKel(suite, id.kel), id.state)
  assert.equal(id.state.kind, 'individual')
  assert.equal(id.state.agreementKeys.length, 2)
  assert.equal(id.secrets.agreement.length, 2)
  assert.deepStrictEqual(suite.signingPublicKey(id.secrets.signing), id.state.signingKey)
  assert.deepStrictEqual(suite.digest(LABELS.nextKeyCommitment, suite.signingPublicKey(id.secrets.next)), id.state.nextCommitment)
  // two identities never share a DID
  assert.notEqual(createIdentity(suite, { name: 'alice', now: at(0) }).state.did, id.state.did)
})

test('createIdentity: refuses bad options with INVALID_ARGUMENT', () => {
  throwsCode(() => createIdentity(suite, { now: new Date(Number.NaN) }), 'INVALID_ARGUMENT')
  throwsCode(() => createIdentity(suite, { now: at(0), agreementKeyCount: 0 }), 'INVALID_ARGUMENT')
  throwsCode(() => createIdentity(suite, { now: at(0), agreementKeyCount: 9 }), 'INVALID_ARGUMENT')
  throwsCode(() => createIdentity(suite, { now: at(0), name: 'x'.repeat(MAX_NAME_LENGTH + 1) }), 'INVALID_ARGUMENT')
  throwsCode(() => createIdentity(suite, { now: at(0), services: [{ id: 'has space', type: 'relay', endpoint: 'x' }] }), 'INVALID_ARGUMENT')
  throwsCode(() => createIdentity(suite, { now: at(0), members: [] }), 'INVALID_ARGUMENT')
})

test('rotateIdentity: reveals the committed key, commits a new one, wipes the secrets passed in', () => {
  const a = createIdentity(suite, { now: at(0) })
  const before = cloneSecrets(a.secrets)
  const input = a.secrets
  const b = rotateIdentity(suite, a.kel, input, { now: at(1), newAgreementKeys: 2 })
  assert.ok(zeroed(input), 'input secrets wiped')
  assert.deepStrictEqual(b.secrets.signing, before.next, 'the next key became the signing key')
  assert.deepStrictEqual(b.state.signingKey, suite.signingPublicKey(before.next))
  assert.deepStrictEqual(b.state.rotatedKeys, [a.state.signingKey])
  assert.equal(b.state.keySequence, 1)
  assert.equal(b.state.agreementKeys.length, 2)
  assert.notDeepStrictEqual(b.state.agreementKeys[0], a.state.agreementKeys[0])
  assert.deepStrictEqual(verifyKel(suite, encodeKel(b.kel)), b.state)
  // the KEL may be given as bytes too
  const c = rotateIdentity(suite, encodeKel(b.kel), b.secrets, { now: at(2) })
  assert.equal(c.state.sequence, 2)
  assert.equal(c.kel.length, 3)
})

test('updateIdentity: services, name set and cleared, agreement keys; signing key unchanged', () => {
  const a = createIdentity(suite, { name: 'alice', now: at(0) })
  const signing = a.state.signingKey
  const b = updateIdentity(suite, a.kel, a.secrets, { now: at(1), services: [{ id: 'r', type: 'relay', endpoint: '/ip4/127.0.0.1/tcp/4001' }] })
  assert.equal(b.state.services.length, 1)
  assert.equal(b.state.name, 'alice')
  const c = updateIdentity(suite, b.kel, b.secrets, { now: at(2), name: null })
  assert.equal(c.state.name, undefined)
  assert.equal(Object.hasOwn(c.state, 'name'), false)
  const old = cloneSecrets(c.secrets)
  const d = updateIdentity(suite, c.kel, c.secrets, { now: at(3), newAgreementKeys: 1 })
  assert.notDeepStrictEqual(d.secrets.agreement[0], old.agreement[0])
  assert.deepStrictEqual(d.secrets.signing, old.signing)
  assert.deepStrictEqual(d.state.signingKey, signing)
  assert.deepStrictEqual(verifyKel(suite, d.kel), d.state)
})

test('authoring: a clock behind the log does not produce an invalid event', () => {
  const a = createIdentity(suite, { now: at(10) })
  const b = updateIdentity(suite, a.kel, a.secrets, { now: at(5), name: 'late clock' })
  assert.deepStrictEqual(b.state.updatedAt, at(10))
})

test('authoring: refusals (wrong secrets, no change, empty name, group operations on an individual)', () => {
  const a = createIdentity(suite, { now: at(0) })
  const stranger = createIdentity(suite, { now: at(0) })
  throwsCode(() => updateIdentity(suite, a.kel, stranger.secrets, { now: at(1), name: 'x' }), 'INVALID_ARGUMENT')
  throwsCode(() => rotateIdentity(suite, a.kel, { ...a.secrets, next: stranger.secrets.next }, { now: at(1) }), 'INVALID_ARGUMENT')
  throwsCode(() => rotateIdentity(suite, a.kel, { ...a.secrets, agreement: [] }, { now: at(1) }), 'INVALID_ARGUMENT')
  throwsCode(() => updateIdentity(suite, a.kel, a.secrets, { now: at(1) }), 'INVALID_ARGUMENT')
  throwsCode(() => updateIdentity(suite, a.kel, a.secrets, { now: at(1), name: '' }), 'INVALID_ARGUMENT')
  throwsCode(() => updateIdentity(suite, a.kel, a.secrets, { now: at(1), addMembers: [stranger.state] }), 'INVALID_ARGUMENT')
  throwsCode(() => rotateIdentity(suite, a.kel, a.secrets, { now: at(1), removeMembers: [stranger.state.did] }), 'INVALID_ARGUMENT')
  const sneaky = { now: at(1), name: 'x', removeMembers: [stranger.state.did] } as UpdateIdentityOptions
  throwsCode(() => updateIdentity(suite, a.kel, a.secrets, sneaky), 'KEL_EVENT_INVALID')
  // nothing was wiped by the failures
  assert.equal(zeroed(a.secrets), false)
  assert.equal(updateIdentity(suite, a.kel, a.secrets, { now: at(1), name: 'fine' }).state.sequence, 1)
})

test('secrets: encode/decode round trip; strict decoding', () => {
  const { secrets } = createIdentity(suite, { now: at(0), agreementKeyCount: 3 })
  const bytes = encodeSecrets(secrets)
  assert.deepStrictEqual(decodeSecrets(bytes), secrets)
  throwsCode(() => decodeSecrets(bytes.subarray(0, bytes.length - 2)), 'DECODE_FAILED')
  throwsCode(() => decodeSecrets(encodeVersioned(IDENTITY_SECRETS_KIND, 1, { sig: secrets.signing, next: secrets.next, agree: [] })), 'DECODE_SCHEMA')
  throwsCode(() => decodeSecrets(encodeVersioned(IDENTITY_SECRETS_KIND, 1, { sig: secrets.next, next: secrets.next, agree: [secrets.signing] })), 'DECODE_SCHEMA')
  throwsCode(() => decodeSecrets(encodeVersioned(IDENTITY_SECRETS_KIND, 2, { sig: secrets.signing, next: secrets.next, agree: [] })), 'DECODE_SCHEMA')
  throwsCode(() => encodeSecrets({ ...secrets, signing: new Uint8Array(33) }), 'INVALID_ARGUMENT')
})
