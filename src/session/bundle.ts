/**
 * Prekey bundles (PQXDH §3.2 "Publishing keys"): what an initiator needs to
 * open a session with an offline responder. Identity keys are not in the
 * bundle: they are the DID's current keys, taken from its verified KEL
 * (`KeyState`); the bundle names the key generation it was signed under
 * (`keySequence`). Wire form `parley/prekey-bundle` v1 (docs/pqxdh.md):
 *
 *   { s: suite, d: DID, k: keySequence,
 *     spk: { i, p: X25519 (32), c: created, g: sig },    signed prekey
 *     pq:  { i, p: ML-KEM-768 ek (1184), c, g },         last-resort PQ prekey
 *     otk?: { i, p: X25519 (32) },                       one-time prekey
 *     opq?: { i, p: ML-KEM-768 ek, c, g } }              one-time PQ prekey
 *
 * `createBundle` runs prekey upkeep, then publishes one one-time prekey of
 * each kind (each goes into at most one bundle). `verifyBundle` is what an
 * initiator runs before using one; its refusals are listed on it.
 */
import { DID_MAX_LENGTH, KEL_MAX_TIMESTAMP_SECONDS, PREKEY_BUNDLE_MAX_BYTES, PREKEY_MAX_ID, SESSION_CLOCK_SKEW_SECONDS, SIGNED_PREKEY_MAX_AGE_SECONDS, SUITE_ID } from '../constants.js'
import { encodeVersioned, expectKeys, getBytes, getMap, getText, getUint, optional } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { encodedLength } from '../crypto/index.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError } from '../errors.js'
import { assertParleyDid, verifySignedBy } from '../identity/index.js'
import type { KeyState } from '../identity/index.js'
import { decodeSessionEnvelope, SESSION_WIRE_VERSION } from './envelope.js'
import { PUBLIC_KEY_LENGTH, decodePrekeyRecord, maintainPrekeys, prekeyLabel, prekeySignedMessage, seconds, signPrekey, wipePrekey } from './prekeys.js'
import type { OwnIdentity } from './prekeys.js'
import type { PrekeyFamily, PrekeyKind, PrekeyStore, StoredPrekey } from './stores/types.js'
import { assertX25519Public } from './x25519.js'

export const PREKEY_BUNDLE_KIND = 'parley/prekey-bundle'

/** A signed prekey as published. */
export interface SignedPrekeyPublic {
  id: number
  /** X25519 public key (32) or ML-KEM-768 encapsulation key (1,184), raw. */
  publicKey: Uint8Array
  /** Creation time (whole seconds). */
  created: Date
  /** Hybrid signature by the DID's key of `keySequence` (prekeys.ts `prekeySignedMessage`). */
  signature: Uint8Array
}

/** A one-time X25519 prekey as published (unsigned, as in PQXDH). */
export interface OneTimePrekeyPublic {
  id: number
  publicKey: Uint8Array
}

export interface PrekeyBundle {
  version: typeof SESSION_WIRE_VERSION
  suite: typeof SUITE_ID
  did: string
  /** Sequence of the KEL event that set the signing key the prekeys are signed with. */
  keySequence: number
  signedPrekey: SignedPrekeyPublic
  lastResortPqPrekey: SignedPrekeyPublic
  oneTimePrekey?: OneTimePrekeyPublic
  oneTimePqPrekey?: SignedPrekeyPublic
}

function signedBody(p: SignedPrekeyPublic): CborMap {
  return { i: p.id, p: p.publicKey, c: seconds(p.created), g: p.signature }
}

/**
 * The bundle's wire bytes.
 *
 * @example
 * const bytes = encodeBundle(await createBundle(suite, { ours: me, prekeys, now: new Date() }))
 */
export function encodeBundle(b: PrekeyBundle): Uint8Array {
  const body: CborMap = { s: b.suite, d: b.did, k: b.keySequence, spk: signedBody(b.signedPrekey), pq: signedBody(b.lastResortPqPrekey) }
  if (b.oneTimePrekey !== undefined) body['otk'] = { i: b.oneTimePrekey.id, p: b.oneTimePrekey.publicKey }
  if (b.oneTimePqPrekey !== undefined) body['opq'] = signedBody(b.oneTimePqPrekey)
  return encodeVersioned(PREKEY_BUNDLE_KIND, SESSION_WIRE_VERSION, body)
}

function readSigned(m: CborMap, key: string, kind: PrekeyKind, what: string): SignedPrekeyPublic {
  const e = getMap(m, key, what)
  const w = `${what}.${key}`
  expectKeys(e, ['i', 'p', 'c', 'g'], [], w)
  const out: SignedPrekeyPublic = {
    id: getUint(e, 'i', w, PREKEY_MAX_ID),
    publicKey: getBytes(e, 'p', w, { length: PUBLIC_KEY_LENGTH[kind] }),
    created: new Date(getUint(e, 'c', w, KEL_MAX_TIMESTAMP_SECONDS) * 1000),
    signature: getBytes(e, 'g', w, { length: encodedLength('signature') }),
  }
  if (kind === 'x25519') assertX25519Public(out.publicKey, w)
  return out
}

/**
 * Strict inverse of `encodeBundle`. DECODE_* for malformed bytes,
 * SESSION_VERSION_UNSUPPORTED for another version or suite,
 * SESSION_DOWNGRADE when the last-resort PQ prekey is missing, KEY_INVALID
 * for a non-canonical X25519 key, DID_INVALID for a malformed DID. Decoding
 * checks no signature: use `verifyBundle`.
 */
export function decodeBundle(bytes: Uint8Array): PrekeyBundle {
  const what = 'prekey bundle'
  const m = decodeSessionEnvelope(bytes, PREKEY_BUNDLE_KIND, PREKEY_BUNDLE_MAX_BYTES, what)
  expectKeys(m, ['s', 'd', 'k', 'spk'], ['pq', 'otk', 'opq'], what)
  if (!Object.hasOwn(m, 'pq')) throw new ParleyError('SESSION_DOWNGRADE', `${what}: no post-quantum prekey`)
  const b: PrekeyBundle = {
    version: SESSION_WIRE_VERSION,
    suite: SUITE_ID,
    did: assertParleyDid(getText(m, 'd', what, DID_MAX_LENGTH), `${what}.d`),
    keySequence: getUint(m, 'k', what),
    signedPrekey: readSigned(m, 'spk', 'x25519', what),
    lastResortPqPrekey: readSigned(m, 'pq', 'ml-kem', what),
  }
  const otk = optional(m, 'otk', (mm, k) => getMap(mm, k, what))
  if (otk !== undefined) {
    expectKeys(otk, ['i', 'p'], [], `${what}.otk`)
    b.oneTimePrekey = { id: getUint(otk, 'i', `${what}.otk`, PREKEY_MAX_ID), publicKey: getBytes(otk, 'p', `${what}.otk`, { length: PUBLIC_KEY_LENGTH['x25519'] }) }
    assertX25519Public(b.oneTimePrekey.publicKey, `${what}.otk`)
  }
  if (Object.hasOwn(m, 'opq')) b.oneTimePqPrekey = readSigned(m, 'opq', 'ml-kem', what)
  return b
}

function checkSignature(suite: Suite, theirs: KeyState, family: PrekeyFamily, kind: PrekeyKind, p: SignedPrekeyPublic): void {
  verifySignedBy(suite, theirs, prekeyLabel(family, kind), prekeySignedMessage(theirs.did, kind, p.id, p.publicKey, p.created), p.signature)
}

function checkTime(p: SignedPrekeyPublic, now: Date, maxAge: number | undefined, what: string): void {
  const age = seconds(now) - seconds(p.created)
  if (age < -SESSION_CLOCK_SKEW_SECONDS) throw new ParleyError('BUNDLE_INVALID', `prekey bundle: ${what} is dated in the future`)
  if (maxAge !== undefined && age > maxAge) throw new ParleyError('BUNDLE_INVALID', `prekey bundle: ${what} is older than its owner keeps it`)
}

/**
 * Verifies a bundle (object or bytes) against the owner's verified key
 * state, as PQXDH §3.3 asks of Alice before she uses it. Refusals:
 * BUNDLE_INVALID when the bundle names another DID, claims another key
 * generation than `theirs`, or a signed prekey is dated in the future or
 * older than SIGNED_PREKEY_MAX_AGE_SECONDS; KEL_ROTATED_KEY when a prekey
 * signature verifies only under a rotated-out key; KEL_SIGNATURE_INVALID for
 * any other bad signature (the identity layer's code, so "signed by the
 * wrong key" reads the same everywhere); the decoding errors of
 * `decodeBundle`.
 *
 * @example
 * const bundle = verifyBundle(suite, bundleBytes, bobState, new Date())
 */
export function verifyBundle(suite: Suite, bundle: PrekeyBundle | Uint8Array, theirs: KeyState, now: Date): PrekeyBundle {
  const b = bundle instanceof Uint8Array ? decodeBundle(bundle) : bundle
  if (b.did !== theirs.did) throw new ParleyError('BUNDLE_INVALID', 'prekey bundle: published by another DID')
  checkSignature(suite, theirs, 'signed', 'x25519', b.signedPrekey)
  checkSignature(suite, theirs, 'signed', 'ml-kem', b.lastResortPqPrekey)
  if (b.oneTimePqPrekey !== undefined) checkSignature(suite, theirs, 'one-time', 'ml-kem', b.oneTimePqPrekey)
  if (b.keySequence !== theirs.keySequence) throw new ParleyError('BUNDLE_INVALID', 'prekey bundle: claims another key generation than the KEL')
  checkTime(b.signedPrekey, now, SIGNED_PREKEY_MAX_AGE_SECONDS, 'the signed prekey')
  checkTime(b.lastResortPqPrekey, now, SIGNED_PREKEY_MAX_AGE_SECONDS, 'the last-resort PQ prekey')
  if (b.oneTimePqPrekey !== undefined) checkTime(b.oneTimePqPrekey, now, undefined, 'the one-time PQ prekey')
  return b
}

async function currentPublic(prekeys: PrekeyStore, kind: PrekeyKind): Promise<SignedPrekeyPublic> {
  const current = await prekeys.currentSigned(kind)
  if (current === undefined) throw new ParleyError('PREKEY_UNKNOWN', `prekey bundle: no current signed ${kind} prekey`)
  const r = decodePrekeyRecord(current.record, 'signed', kind, current.id)
  wipePrekey(r)
  current.record.fill(0)
  return { id: r.id, publicKey: r.publicKey, created: r.created, signature: r.signature as Uint8Array }
}

/** Decodes a published one-time record and wipes its secret (the bundle needs the public key only). */
function publicOf(stored: StoredPrekey, kind: PrekeyKind): { id: number; publicKey: Uint8Array; created: Date } {
  const r = decodePrekeyRecord(stored.record, 'one-time', kind, stored.id)
  wipePrekey(r)
  stored.record.fill(0)
  return { id: r.id, publicKey: r.publicKey, created: r.created }
}

/**
 * Our bundle: prekey upkeep first (`maintainPrekeys`), then the current
 * signed pair and, unless `oneTime` is false, one freshly published
 * one-time prekey of each kind (when any is left: a bundle without them is
 * still valid, the last-resort PQ prekey stands in). The one-time ML-KEM
 * prekey is signed now, by our current key.
 *
 * @example
 * const bundle = await createBundle(suite, { ours: me, prekeys, now: new Date() })
 */
export async function createBundle(suite: Suite, opts: { ours: OwnIdentity; prekeys: PrekeyStore; now: Date; oneTime?: boolean }): Promise<PrekeyBundle> {
  const { ours, prekeys, now } = opts
  await maintainPrekeys(suite, { ours, prekeys, now })
  const bundle: PrekeyBundle = {
    version: SESSION_WIRE_VERSION,
    suite: SUITE_ID,
    did: ours.state.did,
    keySequence: ours.state.keySequence,
    signedPrekey: await currentPublic(prekeys, 'x25519'),
    lastResortPqPrekey: await currentPublic(prekeys, 'ml-kem'),
  }
  if (opts.oneTime === false) return bundle
  const otk = await prekeys.publishOneTime('x25519')
  if (otk !== undefined) {
    const { id, publicKey } = publicOf(otk, 'x25519')
    bundle.oneTimePrekey = { id, publicKey }
  }
  const opq = await prekeys.publishOneTime('ml-kem')
  if (opq !== undefined) {
    const { id, publicKey, created } = publicOf(opq, 'ml-kem')
    bundle.oneTimePqPrekey = { id, publicKey, created, signature: signPrekey(suite, ours, 'one-time', 'ml-kem', id, publicKey, created) }
  }
  return bundle
}
