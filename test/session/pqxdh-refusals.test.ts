/**
 * PQXDH refusals, each with its own code, on both sides; misbinding
 * (relayed to a third party, re-addressed, reflected); and that no refused
 * first message consumes anything: after every refusal below, the
 * responder's one-time prekeys are still there and the genuine message is
 * still answered. Headers that must pass the signature check to reach a
 * later one are re-signed with the initiator's key (`resign`).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LABELS, SESSION_CLOCK_SKEW_SECONDS, SIGNED_PREKEY_GRACE_SECONDS, SIGNED_PREKEY_ROTATION_SECONDS } from '../../src/constants.js'
import { decode, encodeVersioned } from '../../src/codec/index.js'
import type { CborMap } from '../../src/codec/index.js'
import { encodeKey } from '../../src/crypto/index.js'
import { rotateIdentity } from '../../src/identity/index.js'
import type { KeyState } from '../../src/identity/index.js'
import { signBundle } from '../../src/session/bundle.js'
import type { PrekeyBundle, PrekeyBundleFields } from '../../src/session/bundle.js'
import { PQXDH_HEADER_KIND, decodeHeader, encodeHeader, encodeHeaderTbs } from '../../src/session/header.js'
import type { PqxdhHeader } from '../../src/session/header.js'
import { initiate, respond } from '../../src/session/pqxdh.js'
import { maintainPrekeys } from '../../src/session/prekeys.js'
import { agreementKeyId } from '../../src/session/transcript.js'
import { DAY, at, cloneSecrets, makeResponder, newIdentity, own, rejectsCode, resolverOf, suite, throwsCode } from './fixtures.js'
import type { Responder } from './fixtures.js'

const alice = newIdentity('alice')
const bob = newIdentity('bob')
const carol = newIdentity('carol')
const resolveIdentity = resolverOf(alice.state, bob.state, carol.state)

/** Low-order X25519 points with a canonical encoding (RFC 7748 §6.1; all give an all-zero output). */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((h) => new Uint8Array(Buffer.from(h, 'hex')))
/** u = p: not canonical. */
const NON_CANONICAL = new Uint8Array(Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex'))

function answer(r: Responder, message: Uint8Array, opts: { now?: Date; resolve?: (did: string, ks: number) => Promise<KeyState>; ours?: Responder['ours'] } = {}) {
  return respond(suite, {
    ours: opts.ours ?? r.ours, prekeys: r.prekeys, replay: r.replay, resolveIdentity: opts.resolve ?? resolveIdentity, message, now: opts.now ?? at(20),
  })
}

/** A tampered header, re-signed by `signing` (default: Alice's current key). */
function resign(message: Uint8Array, mutate: (h: PqxdhHeader) => void, signing = alice.secrets.signing): Uint8Array {
  const { header } = decodeHeader(message)
  mutate(header)
  return encodeHeader({ ...header, signature: suite.sign(signing, LABELS.pqxdhInitiator, encodeHeaderTbs(header)) })
}

/** A header body rewritten without re-signing (decode-level refusals). */
function rewrite(message: Uint8Array, edit: (body: CborMap) => CborMap, version = 1): Uint8Array {
  return encodeVersioned(PQXDH_HEADER_KIND, version, edit((decode(message) as { b: CborMap }).b))
}

/** A bundle with chosen contents, validly signed by its owner (reaching the checks after the signature). */
const signedBy = (r: Responder, fields: PrekeyBundleFields): PrekeyBundle => signBundle(suite, r.ours, fields)

/** Bob with fresh stores, and Alice's genuine first message to him. */
async function setup(bundleEdit?: (b: PrekeyBundle) => PrekeyBundle) {
  const r = await makeResponder(bob)
  const bundle = bundleEdit === undefined ? r.bundle : bundleEdit(r.bundle)
  const { firstMessage } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle, now: at(10) })
  return { r, firstMessage }
}

/** Nothing was consumed: both one-time prekeys are there, and the genuine message is still answered (which consumes them). */
async function untouched(r: Responder, genuine: Uint8Array): Promise<void> {
  assert.equal((await r.prekeys.peekOneTime('x25519', r.bundle.oneTimePrekey?.id ?? -1)).status, 'available')
  assert.equal((await r.prekeys.peekOneTime('ml-kem', r.bundle.oneTimePqPrekey?.id ?? -1)).status, 'available')
  await answer(r, genuine)
}

test('misbinding: a first message relayed to a third party is SESSION_WRONG_RECIPIENT', async () => {
  const { r, firstMessage } = await setup()
  const c = await makeResponder(carol)
  await rejectsCode(answer(c, firstMessage), 'SESSION_WRONG_RECIPIENT')
  await untouched(r, firstMessage)
})

test('misbinding: re-addressed to the third party, Alice\'s signature no longer verifies (KEL_SIGNATURE_INVALID)', async () => {
  const { r, firstMessage } = await setup()
  const c = await makeResponder(carol)
  const readdressed = rewrite(firstMessage, (b) => ({ ...b, t: carol.state.did, tk: carol.state.keySequence, ta: agreementKeyId(suite, carol.state.agreementKeys[0] as Uint8Array) }))
  await rejectsCode(answer(c, readdressed), 'KEL_SIGNATURE_INVALID')
  await untouched(r, firstMessage)
})

test('misbinding: a first message reflected to its sender is SESSION_WRONG_RECIPIENT, also when re-addressed to her', async () => {
  const { r, firstMessage } = await setup()
  const a = await makeResponder(alice)
  await rejectsCode(answer(a, firstMessage), 'SESSION_WRONG_RECIPIENT')
  const toAlice = rewrite(firstMessage, (b) => ({ ...b, t: alice.state.did, ta: agreementKeyId(suite, alice.state.agreementKeys[0] as Uint8Array) }))
  await rejectsCode(answer(a, toAlice), 'SESSION_WRONG_RECIPIENT')
  await untouched(r, firstMessage)
})

test('SESSION_WRONG_RECIPIENT: another key generation or another agreement key of ours', async () => {
  const { r, firstMessage } = await setup()
  const rotated = rotateIdentity(suite, bob.kel, cloneSecrets(bob.secrets), { now: at(15) })
  await rejectsCode(answer(r, firstMessage, { ours: own(rotated) }), 'SESSION_WRONG_RECIPIENT')
  await rejectsCode(answer(r, resign(firstMessage, (h) => { h.to.agreementKeyId = new Uint8Array(32) })), 'SESSION_WRONG_RECIPIENT')
  await untouched(r, firstMessage)
})

test('initiator signature by a rotated-out key: KEL_ROTATED_KEY; invalid or by another key: KEL_SIGNATURE_INVALID', async () => {
  const { r, firstMessage } = await setup()
  const aliceNow = rotateIdentity(suite, alice.kel, cloneSecrets(alice.secrets), { now: at(5) })
  await rejectsCode(answer(r, firstMessage, { resolve: resolverOf(aliceNow.state) }), 'KEL_ROTATED_KEY')
  const flipped = rewrite(firstMessage, (b) => {
    const g = (b['g'] as Uint8Array).slice()
    g[100] = (g[100] as number) ^ 0x40
    return { ...b, g }
  })
  await rejectsCode(answer(r, flipped), 'KEL_SIGNATURE_INVALID')
  await rejectsCode(answer(r, resign(firstMessage, () => {}, carol.secrets.signing)), 'KEL_SIGNATURE_INVALID')
  await rejectsCode(answer(r, resign(firstMessage, (h) => { h.from.keySequence = 3 })), 'KEL_SIGNATURE_INVALID')
  await untouched(r, firstMessage)
})

test('responder secrets that are not its key state\'s: INVALID_ARGUMENT, nothing consumed', async () => {
  const { r, firstMessage } = await setup()
  const foreign = { state: bob.state, secrets: { ...cloneSecrets(bob.secrets), agreement: cloneSecrets(carol.secrets).agreement } }
  await rejectsCode(answer(r, firstMessage, { ours: foreign }), 'INVALID_ARGUMENT')
  await rejectsCode(answer(r, firstMessage, { ours: { state: bob.state, secrets: { ...cloneSecrets(bob.secrets), agreement: [] } } }), 'INVALID_ARGUMENT')
  await untouched(r, firstMessage)
})

test('the resolver: another DID is KEL_ID_MISMATCH; its own errors propagate; nothing is consumed', async () => {
  const { r, firstMessage } = await setup()
  await rejectsCode(answer(r, firstMessage, { resolve: async () => carol.state }), 'KEL_ID_MISMATCH')
  await assert.rejects(answer(r, firstMessage, { resolve: async () => { throw new Error('offline') } }), /offline/)
  await untouched(r, firstMessage)
})

test('one-time prekeys: unknown is PREKEY_UNKNOWN; a second use is PREKEY_USED (another message, or the same replayed)', async () => {
  const { r, firstMessage } = await setup()
  const unknownOtk = initiate(suite, {
    ours: own(alice), theirs: bob.state, now: at(10),
    bundle: signedBy(r, { ...r.bundle, oneTimePrekey: { id: 9999, publicKey: (r.bundle.oneTimePrekey as { publicKey: Uint8Array }).publicKey } }),
  })
  await rejectsCode(answer(r, unknownOtk.firstMessage), 'PREKEY_UNKNOWN')
  const second = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  await untouched(r, firstMessage)
  await rejectsCode(answer(r, firstMessage), 'PREKEY_USED')
  await rejectsCode(answer(r, second.firstMessage), 'PREKEY_USED')
  // the same one-time PQ prekey with no one-time X25519 prekey: still PREKEY_USED
  const { oneTimePrekey: _, ...noOtk } = r.bundle
  await rejectsCode(answer(r, initiate(suite, { ours: own(alice), theirs: bob.state, bundle: signedBy(r, noOtk), now: at(10) }).firstMessage), 'PREKEY_USED')
})

test('a replayed first message without one-time prekeys is SESSION_REPLAY', async () => {
  const r = await makeResponder(bob, { oneTime: false })
  const { firstMessage } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  await answer(r, firstMessage)
  await rejectsCode(answer(r, firstMessage, { now: at(30) }), 'SESSION_REPLAY')
})

test('signed prekeys: an unknown id, or one past its grace period, is PREKEY_UNKNOWN', async () => {
  const { r, firstMessage } = await setup()
  await rejectsCode(answer(r, resign(firstMessage, (h) => { h.signedPrekeyId = 9999 })), 'PREKEY_UNKNOWN')
  const week = SIGNED_PREKEY_ROTATION_SECONDS
  await maintainPrekeys(suite, { ours: r.ours, prekeys: r.prekeys, now: at(week) })
  const late = week + SIGNED_PREKEY_GRACE_SECONDS
  const stale = resign(firstMessage, (h) => { h.created = at(late) })
  await answer(r, resign(firstMessage, (h) => { h.created = at(late - 1) }), { now: at(late - 1) })
  await rejectsCode(answer(r, stale, { now: at(late) }), 'PREKEY_UNKNOWN')
})

test('downgrade: a missing KEM part, or a PQ prekey that is not ours, is SESSION_DOWNGRADE', async () => {
  const { r, firstMessage } = await setup()
  for (const key of ['c1', 'c2', 'opq']) {
    await rejectsCode(answer(r, rewrite(firstMessage, (b) => { const { [key]: _, ...rest } = b; return rest })), 'SESSION_DOWNGRADE')
  }
  await rejectsCode(answer(r, resign(firstMessage, (h) => { h.pqPrekey = { id: 9999, oneTime: false } })), 'SESSION_DOWNGRADE')
  await rejectsCode(answer(r, resign(firstMessage, (h) => { h.pqPrekey = { id: 9999, oneTime: true } })), 'SESSION_DOWNGRADE')
  await untouched(r, firstMessage)
})

test('invalid points: a low-order EK_A is X25519_ZERO_SHARED, a non-canonical one KEY_INVALID, a bad KEM2 ciphertext KEM_FAILED', async () => {
  const { r, firstMessage } = await setup()
  for (const point of LOW_ORDER) await rejectsCode(answer(r, resign(firstMessage, (h) => { h.ephemeralKey = point })), 'X25519_ZERO_SHARED')
  await rejectsCode(answer(r, rewrite(firstMessage, (b) => ({ ...b, e: NON_CANONICAL }))), 'KEY_INVALID')
  const c2 = decodeHeader(firstMessage).header.identityCiphertext.slice()
  c2.fill(0, c2.length - 32)
  await rejectsCode(answer(r, resign(firstMessage, (h) => { h.identityCiphertext = c2 })), 'KEM_FAILED')
  const wrongTag = decodeHeader(firstMessage).header.identityCiphertext.slice()
  wrongTag[0] = 0x20
  await rejectsCode(answer(r, rewrite(firstMessage, (b) => ({ ...b, c2: wrongTag }))), 'KEY_TYPE_MISMATCH')
  await untouched(r, firstMessage)
})

test('an unsupported version or suite is SESSION_VERSION_UNSUPPORTED; malformed bytes keep their DECODE_* code', async () => {
  const { r, firstMessage } = await setup()
  await rejectsCode(answer(r, rewrite(firstMessage, (b) => b, 2)), 'SESSION_VERSION_UNSUPPORTED')
  await rejectsCode(answer(r, rewrite(firstMessage, (b) => ({ ...b, s: 'parley-2' }))), 'SESSION_VERSION_UNSUPPORTED')
  await rejectsCode(answer(r, rewrite(firstMessage, (b) => ({ ...b, z: 0 }))), 'DECODE_SCHEMA')
  await rejectsCode(answer(r, rewrite(firstMessage, (b) => ({ ...b, pq: 1 }))), 'DECODE_SCHEMA')
  await rejectsCode(answer(r, firstMessage.subarray(0, 100)), 'DECODE_FAILED')
  await untouched(r, firstMessage)
})

test('a first message dated outside the replay window is SESSION_REPLAY', async () => {
  const { r, firstMessage } = await setup()
  await rejectsCode(answer(r, firstMessage, { now: at(10 - SESSION_CLOCK_SKEW_SECONDS - 1) }), 'SESSION_REPLAY')
  await rejectsCode(answer(r, firstMessage, { now: at(10 + 60 * DAY) }), 'SESSION_REPLAY')
  await untouched(r, firstMessage)
})

test('initiator: a bundle signed by a rotated-out key is KEL_ROTATED_KEY; another DID\'s is BUNDLE_INVALID; ourselves INVALID_ARGUMENT', async () => {
  const r = await makeResponder(bob)
  const bobNow = rotateIdentity(suite, bob.kel, cloneSecrets(bob.secrets), { now: at(5) })
  throwsCode(() => initiate(suite, { ours: own(alice), theirs: bobNow.state, bundle: r.bundle, now: at(10) }), 'KEL_ROTATED_KEY')
  throwsCode(() => initiate(suite, { ours: own(alice), theirs: carol.state, bundle: r.bundle, now: at(10) }), 'BUNDLE_INVALID')
  const a = await makeResponder(alice)
  throwsCode(() => initiate(suite, { ours: own(alice), theirs: alice.state, bundle: a.bundle, now: at(10) }), 'INVALID_ARGUMENT')
  throwsCode(() => initiate(suite, { ours: { state: alice.state, secrets: cloneSecrets(carol.secrets) }, theirs: bob.state, bundle: r.bundle, now: at(10) }), 'INVALID_ARGUMENT')
})

test('initiator: low-order prekeys are X25519_ZERO_SHARED, non-canonical ones KEY_INVALID, a bad ML-KEM key KEY_INVALID', async () => {
  const r = await makeResponder(bob)
  const b = r.bundle
  const run = (fields: PrekeyBundleFields) => () => initiate(suite, { ours: own(alice), theirs: bob.state, bundle: signedBy(r, fields), now: at(10) })
  throwsCode(run({ ...b, signedPrekey: { ...b.signedPrekey, publicKey: LOW_ORDER[2] as Uint8Array } }), 'X25519_ZERO_SHARED')
  throwsCode(run({ ...b, oneTimePrekey: { id: 1, publicKey: LOW_ORDER[0] as Uint8Array } }), 'X25519_ZERO_SHARED')
  throwsCode(run({ ...b, oneTimePrekey: { id: 1, publicKey: NON_CANONICAL } }), 'KEY_INVALID')
  throwsCode(run({ ...b, signedPrekey: { ...b.signedPrekey, publicKey: NON_CANONICAL } }), 'KEY_INVALID')
  const badEk = new Uint8Array(b.lastResortPqPrekey.publicKey.length).fill(0xff)
  const { oneTimePqPrekey: _, ...lastResortOnly } = b
  throwsCode(run({ ...lastResortOnly, lastResortPqPrekey: { ...b.lastResortPqPrekey, publicKey: badEk } }), 'KEY_INVALID')
  throwsCode(run({ ...b, oneTimePqPrekey: { id: 1, publicKey: badEk } }), 'KEY_INVALID')
  // Without the owner's signature over the change, any of these is KEL_SIGNATURE_INVALID first.
  throwsCode(() => initiate(suite, { ours: own(alice), theirs: bob.state, bundle: { ...b, oneTimePrekey: { id: 1, publicKey: LOW_ORDER[0] as Uint8Array } }, now: at(10) }), 'KEL_SIGNATURE_INVALID')
  const badAgreement = { ...bob.state, agreementKeys: [encodeKey('kemPublic', new Uint8Array(1216).fill(0xff))] }
  throwsCode(() => initiate(suite, { ours: own(alice), theirs: badAgreement, bundle: b, now: at(10) }), 'KEY_INVALID')
})
