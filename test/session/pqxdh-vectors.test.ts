/**
 * Frozen known-answer vectors of the PQXDH key schedule (docs/pqxdh.md "Key
 * schedule"). Three layers:
 *
 * 1. The KDF alone (transcript.ts `deriveSessionKeys`), fixed inputs, on
 *    both suites, and recomputed here with node:crypto straight from the
 *    documented formula.
 * 2. The transcript hash, fixed inputs, on both suites.
 * 3. A whole handshake on the portable suite with every random byte fixed
 *    (fixtures.ts `deterministicSuite`: key generation, EK_A, ML-KEM `m`,
 *    the hybrid KEM's randomness, ML-DSA `rnd`; only the portable backend
 *    honours fixed ML-KEM randomness, see docs/crypto.md). The responder
 *    runs on the native suite and must derive the same frozen SK.
 *
 * A change to any of these values is a wire-breaking change: bump the
 * header or transcript version, never the vector. (The handshake vector was
 * regenerated once, when the bundle went from three prekey signatures to
 * one over the whole bundle: the bundle bytes changed, and with them the
 * deterministic stream every later random draw comes from. The KDF and
 * transcript vectors did not change.)
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, hkdfSync } from 'node:crypto'
import { LABELS } from '../../src/constants.js'
import { defaultSuite, portableSuite } from '../../src/crypto/index.js'
import { createIdentity } from '../../src/identity/index.js'
import { createBundle, encodeBundle } from '../../src/session/bundle.js'
import { initiate, respond } from '../../src/session/pqxdh.js'
import { MemoryPrekeyStore, MemoryReplayCache } from '../../src/session/stores/memory.js'
import { deriveSessionKeys, transcriptHash } from '../../src/session/transcript.js'
import { at, deterministicSuite, hex, own, resolverOf } from './fixtures.js'

const fill = (n: number, length = 32): Uint8Array => new Uint8Array(length).fill(n)
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

const KDF_VECTOR = {
  withDh2: { sharedSecret: 'ec92ee8138ad6f93201dddc1c3b8ca3eaa8af84f1987ebd463f284f5fde8ac54', sessionId: '022f3c00530df81f9e612a8c2c7c4987' },
  withoutDh2: { sharedSecret: '48b4508b9e6e7668d061e1d23b2fd333c698b849c834f6cdc08ab6edf1bc63bc', sessionId: '022f3c00530df81f9e612a8c2c7c4987' },
}
const TRANSCRIPT_VECTOR = 'f86eb65fe0a4c8c9f74ac1f239c52d1e21e4dbdfcc2ab03e9405e633e05ee222'
const HANDSHAKE_VECTOR = {
  alice: 'did:parley:bmaryujimvlr3z6hh764zdbfesl6mkea3apyzb55qa3g6mchwj7q',
  bob: 'did:parley:vkfwbr7vvbqfcuqi5c3seyhjdytqs6wylwk65qif5fscycfipsga',
  bundleSha256: 'bd7ad75d767c367af5cfb4135ea12e7a056d574d1010de6a74b8b57eae905573',
  headerSha256: '8754b7b21b38b54e50d745fa4728fa454a9ec463b5b4a8991c216ded71765270',
  sharedSecret: 'fc62ffee1cd562de562c9bca10de1cd820c61488c6d4a947b4f5338b50985fbc',
  sessionId: '2813dc7b0b6481732dae1bed8e4cd349',
  associatedData: 'd3ac12744e508018e94e65eb17d63f8894f17d0cdb00270699e08bf1f0f45888',
}

test('KDF vector: F ‖ DH1 ‖ DH2? ‖ SS_KEM1 ‖ SS_KEM2 → SK, on both suites and from the documented formula', () => {
  const th = fill(0x55)
  for (const suite of [defaultSuite, portableSuite]) {
    const a = deriveSessionKeys(suite, { dh1: fill(0x11), dh2: fill(0x22), kem1: fill(0x33), kem2: fill(0x44), transcriptHash: th })
    assert.equal(hex(a.sharedSecret), KDF_VECTOR.withDh2.sharedSecret)
    assert.equal(hex(a.sessionId), KDF_VECTOR.withDh2.sessionId)
    assert.equal(hex(a.associatedData), hex(th))
    const b = deriveSessionKeys(suite, { dh1: fill(0x11), kem1: fill(0x33), kem2: fill(0x44), transcriptHash: th })
    assert.equal(hex(b.sharedSecret), KDF_VECTOR.withoutDh2.sharedSecret)
    assert.equal(hex(b.sessionId), KDF_VECTOR.withoutDh2.sessionId, 'the session id depends on the transcript only')
  }
  // independently: HKDF-SHA-256(ikm, salt = 0^32, info = "parley/v1/pqxdh-secret" ‖ TH, 32)
  const ikm = Buffer.concat([fill(0xff), fill(0x11), fill(0x22), fill(0x33), fill(0x44)])
  const info = Buffer.concat([Buffer.from(LABELS.pqxdhSecret, 'utf8'), th])
  assert.equal(Buffer.from(hkdfSync('sha256', ikm, new Uint8Array(32), info, 32)).toString('hex'), KDF_VECTOR.withDh2.sharedSecret)
  // session id = digest(LABELS.pqxdhSessionId, TH)[0..16], digest = SHA-256(len16(label) ‖ label ‖ len32(TH) ‖ TH)
  const label = Buffer.from(LABELS.pqxdhSessionId, 'utf8')
  const digestInput = Buffer.concat([Buffer.from([0, label.length]), label, Buffer.from([0, 0, 0, 32]), th])
  assert.equal(sha256(digestInput).slice(0, 32), KDF_VECTOR.withDh2.sessionId)
})

test('KDF: inputs of the wrong length are INVALID_ARGUMENT', () => {
  assert.throws(() => deriveSessionKeys(defaultSuite, { dh1: fill(1, 31), kem1: fill(3), kem2: fill(4), transcriptHash: fill(5) }), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => deriveSessionKeys(defaultSuite, { dh1: fill(1), dh2: fill(2, 33), kem1: fill(3), kem2: fill(4), transcriptHash: fill(5) }), { code: 'INVALID_ARGUMENT' })
})

test('transcript vector: fixed inputs → TH, on both suites; every input moves it', () => {
  const input = {
    tbs: fill(1, 10), initiatorSigningKey: fill(2, 5), responderSigningKey: fill(3, 5), responderAgreementKey: fill(4, 5),
    signedPrekey: fill(5), oneTimePrekey: fill(6), pqPrekey: fill(7, 1184),
  }
  for (const suite of [defaultSuite, portableSuite]) assert.equal(hex(transcriptHash(suite, input)), TRANSCRIPT_VECTOR)
  const seen = new Set([TRANSCRIPT_VECTOR])
  for (const key of Object.keys(input) as Array<keyof typeof input>) {
    const changed = { ...input, [key]: fill(9, input[key].length) }
    seen.add(hex(transcriptHash(defaultSuite, changed)))
  }
  const { oneTimePrekey: _, ...noOtk } = input
  seen.add(hex(transcriptHash(defaultSuite, noOtk)))
  assert.equal(seen.size, 9)
})

test('handshake vector: fixed randomness on the portable suite → frozen header and SK; a native responder agrees', async () => {
  const det = deterministicSuite('parley/test/pqxdh-kat')
  const alice = createIdentity(det, { name: 'alice', now: at(0) })
  const bob = createIdentity(det, { name: 'bob', now: at(0) })
  assert.equal(alice.state.did, HANDSHAKE_VECTOR.alice)
  assert.equal(bob.state.did, HANDSHAKE_VECTOR.bob)
  const prekeys = new MemoryPrekeyStore()
  const ours = own(bob)
  const bundle = await createBundle(det, { ours, prekeys, now: at(0) })
  assert.equal(sha256(encodeBundle(bundle)), HANDSHAKE_VECTOR.bundleSha256)
  const { firstMessage, secret } = initiate(det, { ours: own(alice), theirs: bob.state, bundle, now: at(10) })
  assert.equal(sha256(firstMessage), HANDSHAKE_VECTOR.headerSha256)
  assert.equal(hex(secret.sharedSecret), HANDSHAKE_VECTOR.sharedSecret)
  assert.equal(hex(secret.sessionId), HANDSHAKE_VECTOR.sessionId)
  assert.equal(hex(secret.associatedData), HANDSHAKE_VECTOR.associatedData)
  const got = await respond(defaultSuite, {
    ours, prekeys, replay: new MemoryReplayCache(), resolveIdentity: resolverOf(alice.state), message: firstMessage, now: at(20),
  })
  assert.equal(hex(got.secret.sharedSecret), HANDSHAKE_VECTOR.sharedSecret)
  assert.equal(hex(got.secret.sessionId), HANDSHAKE_VECTOR.sessionId)
})
