/**
 * Prekey bundles (PQXDH §3.2 "Publishing keys"): what an initiator needs to
 * open a session with an offline responder. Identity keys are not in the
 * bundle: they are the DID's current keys, taken from its verified KEL
 * (`KeyState`); the bundle names the key generation it was signed under
 * (`keySequence`). Wire form `parley/prekey-bundle` v1 (docs/pqxdh.md):
 *
 *   { s: suite, d: DID, k: keySequence,
 *     spk: { i, p: X25519 (32), c: created },           signed prekey
 *     pq:  { i, p: ML-KEM-768 ek (1184), c: created },  last-resort PQ prekey
 *     otk?: { i, p: X25519 (32) },                      one-time prekey
 *     opq?: { i, p: ML-KEM-768 ek (1184) },             one-time PQ prekey
 *     g: signature }
 *
 * One hybrid signature by the DID's current key covers the whole bundle
 * (`parley/prekey-bundle-tbs` v1, the same map without `g`, label
 * LABELS.prekeyBundle), made when the bundle is published: PQXDH's
 * Sig(IK_B, Encode(SPK_B)) and Sig(IK_B, Encode(PQPK_B)) at the cost of one
 * signature to verify instead of three, and the one-time X25519 prekey is
 * covered too. The map keys give each prekey its role, so a key published
 * in one role is never accepted in another, and no part of a bundle can be
 * moved into another.
 *
 * `createBundle` runs prekey upkeep, then publishes one one-time prekey of
 * each kind (each goes into at most one bundle) and signs. `verifyBundle` is
 * what an initiator runs before using one; its refusals are listed on it.
 */
import { DID_MAX_LENGTH, KEL_MAX_TIMESTAMP_SECONDS, LABELS, PREKEY_BUNDLE_MAX_BYTES, PREKEY_MAX_ID, SESSION_CLOCK_SKEW_SECONDS, SIGNED_PREKEY_MAX_AGE_SECONDS, SUITE_ID } from '../constants.js'
import { encodeVersioned, expectKeys, getBytes, getMap, getText, getUint, optional } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { encodedLength } from '../crypto/index.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError } from '../errors.js'
import { assertParleyDid, verifySignedBy } from '../identity/index.js'
import type { KeyState } from '../identity/index.js'
import { decodeSessionEnvelope, SESSION_WIRE_VERSION } from './envelope.js'
import { PUBLIC_KEY_LENGTH, decodePrekeyRecord, maintainPrekeys, seconds, wipePrekey } from './prekeys.js'
import type { OwnIdentity } from './prekeys.js'
import type { PrekeyKind, PrekeyStore, StoredPrekey } from './stores/types.js'
import { assertX25519Public } from './x25519.js'

export const PREKEY_BUNDLE_KIND = 'parley/prekey-bundle'
export const PREKEY_BUNDLE_TBS_KIND = 'parley/prekey-bundle-tbs'

/** A signed (medium-term) prekey as published: SPK_B or the last-resort PQSPK_B. */
export interface SignedPrekeyPublic {
  id: number
  /** X25519 public key (32) or ML-KEM-768 encapsulation key (1,184), raw. */
  publicKey: Uint8Array
  /** Creation time (whole seconds): an initiator refuses it past SIGNED_PREKEY_MAX_AGE_SECONDS. */
  created: Date
}

/** A one-time prekey as published: OPK_B (X25519) or PQOPK_B (ML-KEM-768). */
export interface OneTimePrekeyPublic {
  id: number
  publicKey: Uint8Array
}

/** A bundle's content, what its signature covers. */
export interface PrekeyBundleFields {
  version: typeof SESSION_WIRE_VERSION
  suite: typeof SUITE_ID
  did: string
  /** Sequence of the KEL event that set the signing key the bundle is signed with. */
  keySequence: number
  signedPrekey: SignedPrekeyPublic
  lastResortPqPrekey: SignedPrekeyPublic
  oneTimePrekey?: OneTimePrekeyPublic
  oneTimePqPrekey?: OneTimePrekeyPublic
}

export interface PrekeyBundle extends PrekeyBundleFields {
  /** Hybrid signature by the DID's key of `keySequence` over `encodeBundleTbs(fields)`, label LABELS.prekeyBundle. */
  signature: Uint8Array
}

function body(b: PrekeyBundleFields): CborMap {
  const m: CborMap = {
    s: b.suite,
    d: b.did,
    k: b.keySequence,
    spk: { i: b.signedPrekey.id, p: b.signedPrekey.publicKey, c: seconds(b.signedPrekey.created) },
    pq: { i: b.lastResortPqPrekey.id, p: b.lastResortPqPrekey.publicKey, c: seconds(b.lastResortPqPrekey.created) },
  }
  if (b.oneTimePrekey !== undefined) m['otk'] = { i: b.oneTimePrekey.id, p: b.oneTimePrekey.publicKey }
  if (b.oneTimePqPrekey !== undefined) m['opq'] = { i: b.oneTimePqPrekey.id, p: b.oneTimePqPrekey.publicKey }
  return m
}

/** The bytes the owner signs: the bundle without its signature, as `parley/prekey-bundle-tbs` v1. */
export function encodeBundleTbs(b: PrekeyBundleFields): Uint8Array {
  return encodeVersioned(PREKEY_BUNDLE_TBS_KIND, SESSION_WIRE_VERSION, body(b))
}

/**
 * The bundle's wire bytes.
 *
 * @example
 * const bytes = encodeBundle(await createBundle(suite, { ours: me, prekeys, now: new Date() }))
 */
export function encodeBundle(b: PrekeyBundle): Uint8Array {
  return encodeVersioned(PREKEY_BUNDLE_KIND, SESSION_WIRE_VERSION, { ...body(b), g: b.signature })
}

function readSigned(m: CborMap, key: string, kind: PrekeyKind, what: string): SignedPrekeyPublic {
  const e = getMap(m, key, what)
  const w = `${what}.${key}`
  expectKeys(e, ['i', 'p', 'c'], [], w)
  const out: SignedPrekeyPublic = {
    id: getUint(e, 'i', w, PREKEY_MAX_ID),
    publicKey: getBytes(e, 'p', w, { length: PUBLIC_KEY_LENGTH[kind] }),
    created: new Date(getUint(e, 'c', w, KEL_MAX_TIMESTAMP_SECONDS) * 1000),
  }
  if (kind === 'x25519') assertX25519Public(out.publicKey, w)
  return out
}

function readOneTime(m: CborMap, key: string, kind: PrekeyKind, what: string): OneTimePrekeyPublic | undefined {
  return optional(m, key, (mm, k) => {
    const e = getMap(mm, k, what)
    const w = `${what}.${k}`
    expectKeys(e, ['i', 'p'], [], w)
    const out: OneTimePrekeyPublic = { id: getUint(e, 'i', w, PREKEY_MAX_ID), publicKey: getBytes(e, 'p', w, { length: PUBLIC_KEY_LENGTH[kind] }) }
    if (kind === 'x25519') assertX25519Public(out.publicKey, w)
    return out
  })
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
  expectKeys(m, ['s', 'd', 'k', 'spk', 'g'], ['pq', 'otk', 'opq'], what)
  if (!Object.hasOwn(m, 'pq')) throw new ParleyError('SESSION_DOWNGRADE', `${what}: no post-quantum prekey`)
  const b: PrekeyBundle = {
    version: SESSION_WIRE_VERSION,
    suite: SUITE_ID,
    did: assertParleyDid(getText(m, 'd', what, DID_MAX_LENGTH), `${what}.d`),
    keySequence: getUint(m, 'k', what),
    signedPrekey: readSigned(m, 'spk', 'x25519', what),
    lastResortPqPrekey: readSigned(m, 'pq', 'ml-kem', what),
    signature: getBytes(m, 'g', what, { length: encodedLength('signature') }),
  }
  const otk = readOneTime(m, 'otk', 'x25519', what)
  if (otk !== undefined) b.oneTimePrekey = otk
  const opq = readOneTime(m, 'opq', 'ml-kem', what)
  if (opq !== undefined) b.oneTimePqPrekey = opq
  return b
}

/**
 * Signs `fields` with our current key: the bundle to publish. INVALID_ARGUMENT
 * for fields of another DID or key generation, or a signing secret that is
 * not our state's current key. `createBundle` calls it; exported for tests
 * that need a validly signed bundle with chosen contents.
 */
export function signBundle(suite: Suite, ours: OwnIdentity, fields: PrekeyBundleFields): PrekeyBundle {
  if (fields.did !== ours.state.did || fields.keySequence !== ours.state.keySequence) {
    throw new ParleyError('INVALID_ARGUMENT', 'prekey bundle: signs for our DID and current key generation only')
  }
  const signature = suite.signAs(ours.secrets.signing, ours.state.signingKey, LABELS.prekeyBundle, encodeBundleTbs(fields))
  return { ...fields, signature }
}

function checkTime(p: SignedPrekeyPublic, now: Date, what: string): void {
  const age = seconds(now) - seconds(p.created)
  if (age < -SESSION_CLOCK_SKEW_SECONDS) throw new ParleyError('BUNDLE_INVALID', `prekey bundle: ${what} is dated in the future`)
  if (age > SIGNED_PREKEY_MAX_AGE_SECONDS) throw new ParleyError('BUNDLE_INVALID', `prekey bundle: ${what} is older than its owner keeps it`)
}

/**
 * Verifies a bundle (object or bytes) against the owner's verified key
 * state, as PQXDH §3.3 asks of Alice before she uses it: one signature
 * check. Refusals: BUNDLE_INVALID when the bundle names another DID, claims
 * another key generation than `theirs`, or a signed prekey is dated in the
 * future or older than SIGNED_PREKEY_MAX_AGE_SECONDS; KEL_ROTATED_KEY when
 * the signature verifies only under a rotated-out key; KEL_SIGNATURE_INVALID
 * for any other bad signature, i.e. any change to a signed bundle (the
 * identity layer's code, so "signed by the wrong key" reads the same
 * everywhere); the decoding errors of `decodeBundle`.
 *
 * @example
 * const bundle = verifyBundle(suite, bundleBytes, bobState, new Date())
 */
export function verifyBundle(suite: Suite, bundle: PrekeyBundle | Uint8Array, theirs: KeyState, now: Date): PrekeyBundle {
  const b = bundle instanceof Uint8Array ? decodeBundle(bundle) : bundle
  if (b.did !== theirs.did) throw new ParleyError('BUNDLE_INVALID', 'prekey bundle: published by another DID')
  verifySignedBy(suite, theirs, LABELS.prekeyBundle, encodeBundleTbs(b), b.signature)
  if (b.keySequence !== theirs.keySequence) throw new ParleyError('BUNDLE_INVALID', 'prekey bundle: claims another key generation than the KEL')
  checkTime(b.signedPrekey, now, 'the signed prekey')
  checkTime(b.lastResortPqPrekey, now, 'the last-resort PQ prekey')
  return b
}

async function currentPublic(prekeys: PrekeyStore, kind: PrekeyKind): Promise<SignedPrekeyPublic> {
  const current = await prekeys.currentSigned(kind)
  if (current === undefined) throw new ParleyError('PREKEY_UNKNOWN', `prekey bundle: no current signed ${kind} prekey`)
  const r = decodePrekeyRecord(current.record, 'signed', kind, current.id)
  wipePrekey(r)
  current.record.fill(0)
  return { id: r.id, publicKey: r.publicKey, created: r.created }
}

/** Decodes a published one-time record and wipes its secret (the bundle needs the public key only). */
function publicOf(stored: StoredPrekey, kind: PrekeyKind): OneTimePrekeyPublic {
  const r = decodePrekeyRecord(stored.record, 'one-time', kind, stored.id)
  wipePrekey(r)
  stored.record.fill(0)
  return { id: r.id, publicKey: r.publicKey }
}

/**
 * Our bundle: prekey upkeep first (`maintainPrekeys`), then the current
 * signed pair and, unless `oneTime` is false, one freshly published
 * one-time prekey of each kind (when any is left: a bundle without them is
 * still valid, the last-resort PQ prekey stands in), signed now by our
 * current key.
 *
 * @example
 * const bundle = await createBundle(suite, { ours: me, prekeys, now: new Date() })
 */
export async function createBundle(suite: Suite, opts: { ours: OwnIdentity; prekeys: PrekeyStore; now: Date; oneTime?: boolean }): Promise<PrekeyBundle> {
  const { ours, prekeys, now } = opts
  await maintainPrekeys(suite, { ours, prekeys, now })
  const fields: PrekeyBundleFields = {
    version: SESSION_WIRE_VERSION,
    suite: SUITE_ID,
    did: ours.state.did,
    keySequence: ours.state.keySequence,
    signedPrekey: await currentPublic(prekeys, 'x25519'),
    lastResortPqPrekey: await currentPublic(prekeys, 'ml-kem'),
  }
  if (opts.oneTime !== false) {
    const otk = await prekeys.publishOneTime('x25519')
    if (otk !== undefined) fields.oneTimePrekey = publicOf(otk, 'x25519')
    const opq = await prekeys.publishOneTime('ml-kem')
    if (opq !== undefined) fields.oneTimePqPrekey = publicOf(opq, 'ml-kem')
  }
  return signBundle(suite, ours, fields)
}
