/**
 * PQXDH, the paths that succeed: both sides derive the same secret, session
 * id and associated data with every prekey combination and across
 * backends; the one-time prekeys are consumed exactly when a response
 * commits; `confirm` runs before anything is consumed and a failing one
 * consumes nothing; concurrent responses to one first message: exactly one
 * wins. The refusals are in pqxdh-refusals.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FIRST_MESSAGE_MAX_AGE_SECONDS, PQXDH_HEADER_MAX_BYTES, SESSION_CLOCK_SKEW_SECONDS, SESSION_ID_LENGTH } from '../../src/constants.js'
import { portableSuite } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'
import { signBundle } from '../../src/session/bundle.js'
import { decodeHeader } from '../../src/session/header.js'
import { initiate, respond, wipeInitiatorSecret, wipeResponderSecret } from '../../src/session/pqxdh.js'
import type { InitiatorSecret, ResponderSecret } from '../../src/session/pqxdh.js'
import { at, hex, makeResponder, newIdentity, own, rejectsCode, resolverOf, suite } from './fixtures.js'
import type { Responder } from './fixtures.js'

const alice = newIdentity('alice')
const bob = newIdentity('bob')
const resolveIdentity = resolverOf(alice.state, bob.state)

function agree(i: InitiatorSecret, r: ResponderSecret): void {
  assert.equal(i.sharedSecret.length, 32)
  assert.equal(i.sessionId.length, SESSION_ID_LENGTH)
  assert.equal(hex(i.sharedSecret), hex(r.sharedSecret))
  assert.equal(hex(i.sessionId), hex(r.sessionId))
  assert.equal(hex(i.associatedData), hex(r.associatedData))
  assert.equal(hex(i.theirRatchetKey), hex(r.ourRatchetKey.publicKey))
  assert.equal(hex(suite.backend.x25519PublicKey(r.ourRatchetKey.secretKey)), hex(r.ourRatchetKey.publicKey))
}

async function answer(r: Responder, message: Uint8Array, now = at(20)) {
  return respond(suite, { ours: r.ours, prekeys: r.prekeys, replay: r.replay, resolveIdentity, message, now })
}

test('PQXDH with both one-time prekeys: same secret; only SK, the ids and SPK_B go on to the ratchet; both consumed', async () => {
  const r = await makeResponder(bob)
  const { firstMessage, secret } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  assert.ok(firstMessage.length < PQXDH_HEADER_MAX_BYTES, `${firstMessage.length} bytes`)
  const got = await answer(r, firstMessage)
  agree(secret, got.secret)
  assert.equal(got.theirs.did, alice.state.did)
  // The one-time PQ prekey is not handed on: the ratchet makes its own KEM steps (docs/ratchet.md).
  assert.deepEqual(Object.keys(secret).sort(), ['associatedData', 'sessionId', 'sharedSecret', 'theirRatchetKey'])
  assert.deepEqual(Object.keys(got.secret).sort(), ['associatedData', 'ourRatchetKey', 'sessionId', 'sharedSecret'])
  assert.deepEqual(await r.prekeys.peekOneTime('x25519', r.bundle.oneTimePrekey?.id ?? -1), { status: 'used' })
  assert.deepEqual(await r.prekeys.peekOneTime('ml-kem', r.bundle.oneTimePqPrekey?.id ?? -1), { status: 'used' })
})

test('PQXDH without one-time prekeys (last resort): same secret, nothing consumed', async () => {
  const r = await makeResponder(bob, { oneTime: false })
  const before = await r.prekeys.countUnpublished('x25519')
  const { firstMessage, secret } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  const { header } = decodeHeader(firstMessage)
  assert.equal(header.oneTimePrekeyId, undefined)
  assert.deepEqual(header.pqPrekey, { id: r.bundle.lastResortPqPrekey.id, oneTime: false })
  const got = await answer(r, firstMessage)
  agree(secret, got.secret)
  assert.equal(await r.prekeys.countUnpublished('x25519'), before)
})

test('PQXDH with a one-time X25519 prekey but the last-resort PQ prekey (one-time PQ prekeys ran out)', async () => {
  const r = await makeResponder(bob)
  const { oneTimePqPrekey: _, ...fields } = r.bundle
  const bundle = signBundle(suite, r.ours, fields)
  const { firstMessage, secret } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle, now: at(10) })
  assert.deepEqual(decodeHeader(firstMessage).header.pqPrekey, { id: r.bundle.lastResortPqPrekey.id, oneTime: false })
  agree(secret, (await answer(r, firstMessage)).secret)
})

test('PQXDH across backends: a portable initiator and a native responder agree', async () => {
  const r = await makeResponder(bob)
  const { firstMessage, secret } = initiate(portableSuite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  agree(secret, (await answer(r, firstMessage)).secret)
})

test('two sessions from two bundles: independent secrets and session ids', async () => {
  const r = await makeResponder(bob)
  const one = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  const two = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  assert.notEqual(hex(one.secret.sharedSecret), hex(two.secret.sharedSecret))
  assert.notEqual(hex(one.secret.sessionId), hex(two.secret.sessionId))
  assert.notEqual(hex(one.secret.associatedData), hex(two.secret.associatedData))
})

test('respond: confirm runs after every check and before the commit; a throwing confirm consumes nothing', async () => {
  const r = await makeResponder(bob)
  const { firstMessage, secret } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  let seen: ResponderSecret | undefined
  await assert.rejects(
    respond(suite, {
      ours: r.ours, prekeys: r.prekeys, replay: r.replay, resolveIdentity, message: firstMessage, now: at(20),
      confirm: async (s, theirs) => {
        assert.equal(theirs.did, alice.state.did)
        assert.equal(hex(s.sharedSecret), hex(secret.sharedSecret))
        assert.equal((await r.prekeys.peekOneTime('x25519', r.bundle.oneTimePrekey?.id ?? -1)).status, 'available', 'not consumed yet')
        seen = s
        throw new Error('the first ratchet message did not decrypt')
      },
    }),
    /did not decrypt/,
  )
  assert.ok(seen !== undefined)
  assert.ok(seen.sharedSecret.every((b) => b === 0), 'the refused secret is wiped')
  assert.ok(seen.ourRatchetKey.secretKey.every((b) => b === 0))
  assert.equal((await r.prekeys.peekOneTime('x25519', r.bundle.oneTimePrekey?.id ?? -1)).status, 'available')
  assert.equal((await r.prekeys.peekOneTime('ml-kem', r.bundle.oneTimePqPrekey?.id ?? -1)).status, 'available')
  // the replay id was not recorded either: the same message is answered now
  agree(secret, (await answer(r, firstMessage, at(30))).secret)
})

test('respond: 20 concurrent answers to one first message with one-time prekeys: one wins, the rest PREKEY_USED', async () => {
  const r = await makeResponder(bob)
  const { firstMessage } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => answer(r, firstMessage)))
  assert.equal(results.filter((x) => x.status === 'fulfilled').length, 1)
  for (const x of results) if (x.status === 'rejected') assert.ok(isParleyError(x.reason, 'PREKEY_USED'), String(x.reason))
})

test('respond: 20 concurrent answers to one last-resort first message: one wins, the rest SESSION_REPLAY', async () => {
  const r = await makeResponder(bob, { oneTime: false })
  const { firstMessage } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => answer(r, firstMessage)))
  assert.equal(results.filter((x) => x.status === 'fulfilled').length, 1)
  for (const x of results) if (x.status === 'rejected') assert.ok(isParleyError(x.reason, 'SESSION_REPLAY'), String(x.reason))
})

test('respond: a first message is answered up to the end of the replay window, and not after', async () => {
  const r = await makeResponder(bob, { oneTime: false })
  const one = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  const two = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  const end = 10 + FIRST_MESSAGE_MAX_AGE_SECONDS + SESSION_CLOCK_SKEW_SECONDS
  await answer(r, one.firstMessage, at(end - 1))
  await rejectsCode(answer(r, two.firstMessage, at(end)), 'SESSION_REPLAY')
})

test('wipe helpers overwrite every secret', async () => {
  const r = await makeResponder(bob)
  const { firstMessage, secret } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle: r.bundle, now: at(10) })
  const got = (await answer(r, firstMessage)).secret
  wipeInitiatorSecret(secret)
  wipeResponderSecret(got)
  for (const s of [secret.sharedSecret, got.sharedSecret, got.ourRatchetKey.secretKey]) {
    assert.ok(s.every((b) => b === 0))
  }
})
