/**
 * Prekey bundles: creation (one-time prekeys published once), the strict
 * wire form (round trip, versions, downgrade, canonical keys, limits) and
 * verification against the owner's key state (wrong DID, rotated-out key,
 * one signature over the whole bundle: any change, role swap or stripped
 * one-time prekey refused; key generation, age).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LABELS, PREKEY_BUNDLE_MAX_BYTES, SESSION_CLOCK_SKEW_SECONDS, SIGNED_PREKEY_MAX_AGE_SECONDS } from '../../src/constants.js'
import { decode, encode, encodeVersioned } from '../../src/codec/index.js'
import type { CborMap } from '../../src/codec/index.js'
import { rotateIdentity } from '../../src/identity/index.js'
import { PREKEY_BUNDLE_KIND, createBundle, decodeBundle, encodeBundle, encodeBundleTbs, signBundle, verifyBundle } from '../../src/session/bundle.js'
import type { PrekeyBundle } from '../../src/session/bundle.js'
import { MemoryPrekeyStore } from '../../src/session/stores/memory.js'
import { at, cloneSecrets, makeResponder, newIdentity, own, suite, throwsCode } from './fixtures.js'

const bob = newIdentity('bob')
const carol = newIdentity('carol')
const r = await makeResponder(bob)
const bytes = encodeBundle(r.bundle)

/** The bundle's envelope body, for hand-made variants. */
function body(): CborMap {
  return (decode(bytes) as { b: CborMap }).b
}
const wire = (b: CborMap, version = 1, kind = PREKEY_BUNDLE_KIND): Uint8Array => encodeVersioned(kind, version, b)

test('createBundle: current signed pair plus one freshly published one-time prekey of each kind', async () => {
  const b = r.bundle
  assert.equal(b.did, bob.state.did)
  assert.equal(b.keySequence, bob.state.keySequence)
  assert.ok(b.oneTimePrekey !== undefined && b.oneTimePqPrekey !== undefined)
  const second = await createBundle(suite, { ours: r.ours, prekeys: r.prekeys, now: at(1) })
  assert.equal(second.signedPrekey.id, b.signedPrekey.id, 'the signed pair is shared by bundles')
  assert.notEqual(second.oneTimePrekey?.id, b.oneTimePrekey.id, 'a one-time prekey goes into one bundle only')
  assert.notEqual(second.oneTimePqPrekey?.id, b.oneTimePqPrekey.id)
  const bare = await createBundle(suite, { ours: r.ours, prekeys: r.prekeys, now: at(2), oneTime: false })
  assert.equal(bare.oneTimePrekey, undefined)
  assert.equal(bare.oneTimePqPrekey, undefined)
  verifyBundle(suite, bare, bob.state, at(3))
  assert.ok(bytes.length < PREKEY_BUNDLE_MAX_BYTES, `${bytes.length} bytes`)
})

test('encodeBundle/decodeBundle: exact round trip, also without one-time prekeys', async () => {
  assert.deepEqual(decodeBundle(bytes), r.bundle)
  assert.deepEqual(encodeBundle(decodeBundle(bytes)), bytes)
  const bare = await createBundle(suite, { ours: r.ours, prekeys: new MemoryPrekeyStore(), now: at(0), oneTime: false })
  assert.deepEqual(decodeBundle(encodeBundle(bare)), bare)
})

test('decodeBundle: strict form; another version or suite is SESSION_VERSION_UNSUPPORTED; no PQ prekey is SESSION_DOWNGRADE', () => {
  throwsCode(() => decodeBundle(wire(body(), 2)), 'SESSION_VERSION_UNSUPPORTED')
  throwsCode(() => decodeBundle(wire({ ...body(), s: 'parley-2' })), 'SESSION_VERSION_UNSUPPORTED')
  const { pq: _pq, ...noPq } = body()
  throwsCode(() => decodeBundle(wire(noPq)), 'SESSION_DOWNGRADE')
  throwsCode(() => decodeBundle(wire({ ...body(), x: 1 })), 'DECODE_SCHEMA')
  throwsCode(() => decodeBundle(wire(body(), 1, 'parley/other')), 'DECODE_SCHEMA')
  throwsCode(() => decodeBundle(wire({ ...body(), d: 'did:parley:nope' })), 'DID_INVALID')
  throwsCode(() => decodeBundle(Uint8Array.of(...bytes, 0)), 'DECODE_FAILED')
  throwsCode(() => decodeBundle(new Uint8Array(PREKEY_BUNDLE_MAX_BYTES + 1)), 'DECODE_TOO_LARGE')
  const spk = body()['spk'] as CborMap
  throwsCode(() => decodeBundle(wire({ ...body(), spk: { ...spk, p: new Uint8Array(31) } })), 'DECODE_SCHEMA')
  throwsCode(() => decodeBundle(wire({ ...body(), spk: { ...spk, x: 0 } })), 'DECODE_SCHEMA')
})

test('decodeBundle: a non-canonical X25519 prekey is KEY_INVALID', () => {
  const high = new Uint8Array(32).fill(0xff)
  const spk = body()['spk'] as CborMap
  throwsCode(() => decodeBundle(wire({ ...body(), spk: { ...spk, p: high } })), 'KEY_INVALID')
  throwsCode(() => decodeBundle(wire({ ...body(), otk: { i: 1, p: high } })), 'KEY_INVALID')
})

test('verifyBundle: accepts the owner\'s bundle (object or bytes)', () => {
  assert.deepEqual(verifyBundle(suite, bytes, bob.state, at(10)), r.bundle)
  assert.deepEqual(verifyBundle(suite, r.bundle, bob.state, at(10)), r.bundle)
})

test('verifyBundle: another DID\'s bundle is BUNDLE_INVALID', () => {
  throwsCode(() => verifyBundle(suite, bytes, carol.state, at(10)), 'BUNDLE_INVALID')
  throwsCode(() => verifyBundle(suite, { ...r.bundle, did: carol.state.did }, carol.state, at(10)), 'KEL_SIGNATURE_INVALID')
})

test('verifyBundle: a bundle signed by a rotated-out key is KEL_ROTATED_KEY', () => {
  const rotated = rotateIdentity(suite, bob.kel, cloneSecrets(bob.secrets), { now: at(5) })
  throwsCode(() => verifyBundle(suite, bytes, rotated.state, at(10)), 'KEL_ROTATED_KEY')
})

test('verifyBundle: one signature covers the whole bundle; any change, swap or stripped part is KEL_SIGNATURE_INVALID', async () => {
  const b = r.bundle
  const flipped = b.signature.slice()
  flipped[40] = (flipped[40] as number) ^ 1
  const { oneTimePrekey: _otk, ...noOtk } = b
  const { oneTimePqPrekey: _opq, ...noOpq } = b
  const other = await createBundle(suite, { ours: r.ours, prekeys: r.prekeys, now: at(1) })
  const opq = b.oneTimePqPrekey as NonNullable<PrekeyBundle['oneTimePqPrekey']>
  const cases: PrekeyBundle[] = [
    { ...b, signature: flipped },
    { ...b, signature: other.signature },
    { ...b, signedPrekey: { ...b.signedPrekey, id: b.signedPrekey.id + 1 } },
    { ...b, signedPrekey: { ...b.signedPrekey, created: at(100) } },
    { ...b, oneTimePrekey: other.oneTimePrekey as NonNullable<PrekeyBundle['oneTimePrekey']> },
    // a one-time PQ prekey presented as the last-resort one, and the other way round
    { ...b, lastResortPqPrekey: { ...opq, created: b.lastResortPqPrekey.created } },
    { ...b, oneTimePqPrekey: { id: b.lastResortPqPrekey.id, publicKey: b.lastResortPqPrekey.publicKey } },
    // stripping a one-time prekey (to push Alice onto the last-resort PQ prekey) breaks the signature too
    noOtk,
    noOpq,
  ]
  for (const c of cases) throwsCode(() => verifyBundle(suite, c, bob.state, at(10)), 'KEL_SIGNATURE_INVALID')
  // signBundle makes bundles for our own DID and current key generation only
  throwsCode(() => signBundle(suite, r.ours, { ...b, keySequence: 1 }), 'INVALID_ARGUMENT')
  throwsCode(() => signBundle(suite, r.ours, { ...b, did: carol.state.did }), 'INVALID_ARGUMENT')
  throwsCode(() => signBundle(suite, { state: bob.state, secrets: cloneSecrets(carol.secrets) }, b), 'INVALID_ARGUMENT')
})

test('verifyBundle: another key generation than the KEL (valid signature) is BUNDLE_INVALID', () => {
  const fields = { ...r.bundle, keySequence: 1 }
  const signed = { ...fields, signature: suite.sign(bob.secrets.signing, LABELS.prekeyBundle, encodeBundleTbs(fields)) }
  throwsCode(() => verifyBundle(suite, signed, bob.state, at(10)), 'BUNDLE_INVALID')
})

test('verifyBundle: signed prekeys dated in the future or older than their owner keeps them are BUNDLE_INVALID', () => {
  const created = r.bundle.signedPrekey.created.getTime() / 1000 - at(0).getTime() / 1000
  verifyBundle(suite, bytes, bob.state, at(created + SIGNED_PREKEY_MAX_AGE_SECONDS))
  throwsCode(() => verifyBundle(suite, bytes, bob.state, at(created + SIGNED_PREKEY_MAX_AGE_SECONDS + 1)), 'BUNDLE_INVALID')
  verifyBundle(suite, bytes, bob.state, at(created - SESSION_CLOCK_SKEW_SECONDS))
  throwsCode(() => verifyBundle(suite, bytes, bob.state, at(created - SESSION_CLOCK_SKEW_SECONDS - 1)), 'BUNDLE_INVALID')
})

test('decodeBundle: every entry is canonical CBOR (a re-encoding with a non-minimal integer is refused)', () => {
  const raw = encode({ b: body(), k: PREKEY_BUNDLE_KIND, v: 1 })
  assert.deepEqual(raw, bytes)
  // the last byte is the version 1 ("v" sorts last); as a two-byte head 0x18 0x01 it is not the shortest form
  assert.equal(raw[raw.length - 1], 0x01)
  throwsCode(() => decodeBundle(Uint8Array.of(...raw.subarray(0, raw.length - 1), 0x18, 0x01)), 'DECODE_NOT_CANONICAL')
})
