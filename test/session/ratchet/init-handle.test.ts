/**
 * `initResponder` taking over the caller's handle of its signed prekey
 * (PQXDH's responder imports SPK_B once, for DH1 and for the ratchet): the
 * same session as without it; a handle of another backend or algorithm is
 * ignored (the key is imported); a handle of another key than the pair's is
 * refused like any mismatched pair.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultSuite as suite, portableBackend } from '../../../src/crypto/index.js'
import { isParleyError } from '../../../src/errors.js'
import { encodeRatchetState, initInitiator, initResponder, ratchetDecrypt, ratchetEncrypt } from '../../../src/session/ratchet/index.js'
import { testRandom, text, utf8 } from './helpers.js'

function setup(): { common: { sharedSecret: Uint8Array; sessionId: Uint8Array; associatedData: Uint8Array }; spk: { secretKey: Uint8Array; publicKey: Uint8Array }; first: Uint8Array } {
  const random = testRandom('parley/test/init-handle')
  const common = { sharedSecret: random(32), sessionId: random(16), associatedData: utf8('ad') }
  const secretKey = random(32)
  const spk = { secretKey, publicKey: suite.backend.x25519PublicKey(secretKey) }
  const alice = initInitiator(suite, { ...common, theirRatchetKey: spk.publicKey })
  return { common, spk, first: ratchetEncrypt(suite, alice, utf8('hello')).message }
}

test('a handle of the signed prekey: the same state and plaintext as an import', () => {
  const { common, spk, first } = setup()
  const handle = suite.backend.importSecretKey('x25519', spk.secretKey)
  const withHandle = ratchetDecrypt(suite, initResponder(suite, { ...common, ourRatchetKey: { ...spk, handle } }), first)
  const without = ratchetDecrypt(suite, initResponder(suite, { ...common, ourRatchetKey: spk }), first)
  assert.equal(text(withHandle.plaintext), 'hello')
  assert.deepEqual(encodeRatchetState(withHandle.state), encodeRatchetState(without.state))
})

test('a handle of another backend or algorithm is ignored', () => {
  const { common, spk, first } = setup()
  for (const handle of [portableBackend.importSecretKey('x25519', spk.secretKey), suite.backend.importSecretKey('aes-256-gcm', spk.secretKey)]) {
    const got = ratchetDecrypt(suite, initResponder(suite, { ...common, ourRatchetKey: { ...spk, handle } }), first)
    assert.equal(text(got.plaintext), 'hello')
  }
})

test('a handle of another key than the pair is INVALID_ARGUMENT', () => {
  const { common, spk } = setup()
  const handle = suite.backend.importSecretKey('x25519', new Uint8Array(32).fill(9))
  assert.throws(() => initResponder(suite, { ...common, ourRatchetKey: { ...spk, handle } }), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
})
