/**
 * Prekeys: records (round trip, corrupt records), upkeep (rotation on age
 * and on identity rotation, grace and pruning, replenishing one-time
 * prekeys below the low-water mark), the X25519 canonical-encoding check.
 * Prekeys are signed as part of a bundle (bundle.test.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ONE_TIME_PREKEY_LOW_WATER,
  ONE_TIME_PREKEY_TARGET,
  SIGNED_PREKEY_GRACE_SECONDS,
  SIGNED_PREKEY_ROTATION_SECONDS,
} from '../../src/constants.js'
import { encodeVersioned } from '../../src/codec/index.js'
import { rotateIdentity } from '../../src/identity/index.js'
import {
  PREKEY_RECORD_KIND,
  assertOwnIdentity,
  decodePrekeyRecord,
  encodePrekeyRecord,
  generatePrekey,
  maintainPrekeys,
  replenishOneTimePrekeys,
} from '../../src/session/prekeys.js'
import { MemoryPrekeyStore } from '../../src/session/stores/memory.js'
import { isCanonicalX25519 } from '../../src/session/x25519.js'
import { DAY, at, cloneSecrets, newIdentity, own, rejectsCode, suite, throwsCode } from './fixtures.js'

const bob = newIdentity('bob')

test('maintainPrekeys: first run creates the signed pair and fills one-time prekeys; a second run does nothing', async () => {
  const prekeys = new MemoryPrekeyStore()
  const first = await maintainPrekeys(suite, { ours: own(bob), prekeys, now: at(0) })
  assert.deepEqual(first, { rotated: ['x25519', 'ml-kem'], pruned: 0, added: { 'x25519': ONE_TIME_PREKEY_TARGET, 'ml-kem': ONE_TIME_PREKEY_TARGET } })
  assert.deepEqual(await maintainPrekeys(suite, { ours: own(bob), prekeys, now: at(60) }), { rotated: [], pruned: 0, added: { 'x25519': 0, 'ml-kem': 0 } })
  for (const kind of ['x25519', 'ml-kem'] as const) {
    const current = await prekeys.currentSigned(kind)
    assert.ok(current !== undefined)
    const r = decodePrekeyRecord(current.record, 'signed', kind, current.id)
    assert.equal(r.keySequence, bob.state.keySequence)
    const expected = kind === 'x25519' ? suite.backend.x25519PublicKey(r.secret) : suite.backend.mlKem768PublicKey(r.secret)
    assert.deepEqual(r.publicKey, expected, 'the record holds a matching key pair')
  }
})

test('maintainPrekeys: weekly rotation; the old signed prekeys stay for the grace period, then are pruned', async () => {
  const prekeys = new MemoryPrekeyStore()
  await maintainPrekeys(suite, { ours: own(bob), prekeys, now: at(0) })
  const old = await prekeys.currentSigned('x25519')
  assert.ok(old !== undefined)
  const week = SIGNED_PREKEY_ROTATION_SECONDS
  assert.deepEqual((await maintainPrekeys(suite, { ours: own(bob), prekeys, now: at(week - 1) })).rotated, [])
  assert.deepEqual((await maintainPrekeys(suite, { ours: own(bob), prekeys, now: at(week) })).rotated, ['x25519', 'ml-kem'])
  assert.notEqual((await prekeys.currentSigned('x25519'))?.id, old.id)
  assert.ok((await prekeys.loadSigned('x25519', old.id, at(week + SIGNED_PREKEY_GRACE_SECONDS - 1))) !== undefined)
  const later = await maintainPrekeys(suite, { ours: own(bob), prekeys, now: at(week + SIGNED_PREKEY_GRACE_SECONDS) })
  assert.deepEqual(later.rotated, ['x25519', 'ml-kem'])
  assert.equal(later.pruned, 2)
  assert.equal(await prekeys.loadSigned('x25519', old.id, at(week + SIGNED_PREKEY_GRACE_SECONDS)), undefined)
})

test('maintainPrekeys: after an identity rotation the signed pair is re-made under the new key', async () => {
  const carol = newIdentity('carol')
  const prekeys = new MemoryPrekeyStore()
  await maintainPrekeys(suite, { ours: own(carol), prekeys, now: at(0) })
  const rotated = rotateIdentity(suite, carol.kel, cloneSecrets(carol.secrets), { now: at(10) })
  const report = await maintainPrekeys(suite, { ours: own(rotated), prekeys, now: at(20) })
  assert.deepEqual(report.rotated, ['x25519', 'ml-kem'])
  const current = await prekeys.currentSigned('ml-kem')
  assert.ok(current !== undefined)
  assert.equal(decodePrekeyRecord(current.record, 'signed', 'ml-kem', current.id).keySequence, rotated.state.keySequence)
  // Stale secrets (the pre-rotation ones) are refused before anything is signed.
  await rejectsCode(maintainPrekeys(suite, { ours: { state: rotated.state, secrets: cloneSecrets(carol.secrets) }, prekeys, now: at(30) }), 'INVALID_ARGUMENT')
})

test('replenishOneTimePrekeys: only below the low-water mark, then up to the target', async () => {
  const prekeys = new MemoryPrekeyStore()
  assert.deepEqual(await replenishOneTimePrekeys(suite, prekeys, at(0)), { 'x25519': ONE_TIME_PREKEY_TARGET, 'ml-kem': ONE_TIME_PREKEY_TARGET })
  const spend = ONE_TIME_PREKEY_TARGET - ONE_TIME_PREKEY_LOW_WATER
  for (let i = 0; i < spend; i++) await prekeys.publishOneTime('x25519')
  assert.deepEqual(await replenishOneTimePrekeys(suite, prekeys, at(1)), { 'x25519': 0, 'ml-kem': 0 }, 'exactly at the low-water mark')
  await prekeys.publishOneTime('x25519')
  assert.deepEqual(await replenishOneTimePrekeys(suite, prekeys, at(2)), { 'x25519': spend + 1, 'ml-kem': 0 })
  assert.equal(await prekeys.countUnpublished('x25519'), ONE_TIME_PREKEY_TARGET)
})

test('prekey records: round trip; a record of another kind, family or id, or garbage, is STORE_CORRUPT', () => {
  for (const [family, kind] of [['signed', 'x25519'], ['signed', 'ml-kem'], ['one-time', 'x25519'], ['one-time', 'ml-kem']] as const) {
    const r = generatePrekey(suite, family, kind, 7, at(DAY))
    if (family === 'signed') r.keySequence = 0
    const bytes = encodePrekeyRecord(r)
    assert.deepEqual(decodePrekeyRecord(bytes, family, kind, 7), r)
    throwsCode(() => decodePrekeyRecord(bytes, family, kind, 8), 'STORE_CORRUPT')
    throwsCode(() => decodePrekeyRecord(bytes, family === 'signed' ? 'one-time' : 'signed', kind, 7), 'STORE_CORRUPT')
    throwsCode(() => decodePrekeyRecord(bytes.subarray(1), family, kind, 7), 'STORE_CORRUPT')
  }
  const unsignedSigned = generatePrekey(suite, 'signed', 'x25519', 1, at(0))
  throwsCode(() => encodePrekeyRecord(unsignedSigned), 'INVALID_ARGUMENT')
  const forged = encodeVersioned(PREKEY_RECORD_KIND, 1, { f: 'one-time', t: 'x25519', i: 1, c: 0, s: new Uint8Array(32), p: new Uint8Array(32), k: 0 })
  throwsCode(() => decodePrekeyRecord(forged, 'one-time', 'x25519', 1), 'STORE_CORRUPT')
  const noGeneration = encodeVersioned(PREKEY_RECORD_KIND, 1, { f: 'signed', t: 'x25519', i: 1, c: 0, s: new Uint8Array(32), p: new Uint8Array(32) })
  throwsCode(() => decodePrekeyRecord(noGeneration, 'signed', 'x25519', 1), 'STORE_CORRUPT')
  const extra = encodeVersioned(PREKEY_RECORD_KIND, 1, { f: 'signed', t: 'x25519', i: 1, c: 0, s: new Uint8Array(32), p: new Uint8Array(32), k: 0, g: new Uint8Array(8) })
  throwsCode(() => decodePrekeyRecord(extra, 'signed', 'x25519', 1), 'STORE_CORRUPT')
})

test('assertOwnIdentity: refuses secrets that are not the state\'s current keys', () => {
  const other = newIdentity('other')
  assertOwnIdentity(suite, own(bob))
  throwsCode(() => assertOwnIdentity(suite, { state: bob.state, secrets: cloneSecrets(other.secrets) }), 'INVALID_ARGUMENT')
  throwsCode(() => assertOwnIdentity(suite, { state: bob.state, secrets: { ...cloneSecrets(bob.secrets), agreement: [] } }), 'INVALID_ARGUMENT')
})

test('X25519 public keys: only the canonical encoding is accepted', () => {
  const p = new Uint8Array(32).fill(0xff)
  p[0] = 0xed
  p[31] = 0x7f
  const pMinus1 = p.slice()
  pMinus1[0] = 0xec
  const top = new Uint8Array(32)
  top[31] = 0x80
  assert.equal(isCanonicalX25519(pMinus1), true)
  assert.equal(isCanonicalX25519(new Uint8Array(32)), true, 'zero is canonical (and low order: refused at use)')
  assert.equal(isCanonicalX25519(p), false, 'u = p')
  assert.equal(isCanonicalX25519(new Uint8Array(32).fill(0xff)), false)
  assert.equal(isCanonicalX25519(top), false, 'top bit set')
  assert.equal(isCanonicalX25519(new Uint8Array(31)), false)
  const fresh = suite.backend.x25519PublicKey(suite.randomBytes(32))
  assert.equal(isCanonicalX25519(fresh), true)
})
