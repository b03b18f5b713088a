/**
 * Prekeys (PQXDH §3.2 "Publishing keys"): the signed X25519 prekey SPK_B,
 * the signed last-resort ML-KEM-768 prekey PQSPK_B, one-time X25519 prekeys
 * OPK_B and one-time ML-KEM-768 prekeys PQOPK_B. This file owns their
 * records (the opaque bytes a PrekeyStore keeps: `parley/prekey` v1) and
 * upkeep: weekly rotation of the signed pair, pruning after the grace
 * period, replenishing one-time prekeys below ONE_TIME_PREKEY_LOW_WATER up
 * to ONE_TIME_PREKEY_TARGET.
 *
 * Prekeys are signed where they are published: one hybrid signature by the
 * identity's current key over each whole bundle (bundle.ts). A signed
 * prekey's record keeps the key generation it was made under (`k`), so the
 * pair is re-made when the identity rotates its signing key.
 */
import {
  KEL_MAX_TIMESTAMP_SECONDS,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  ONE_TIME_PREKEY_LOW_WATER,
  ONE_TIME_PREKEY_TARGET,
  PREKEY_MAX_ID,
  PREKEY_RECORD_MAX_BYTES,
  SIGNED_PREKEY_ROTATION_SECONDS,
  X25519_KEY_LENGTH,
} from '../constants.js'
import { asMap, bytesEqual, decodeVersioned, encodeVersioned, expectKeys, getBytes, getText, getUint, optional } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError } from '../errors.js'
import type { IdentitySecrets, KeyState } from '../identity/index.js'
import type { PrekeyFamily, PrekeyKind, PrekeyStore } from './stores/types.js'
import { generateX25519 } from './x25519.js'

export const PREKEY_RECORD_KIND = 'parley/prekey'
const VERSION = 1

/** Our own identity as the session layer needs it: the verified state and its secrets. */
export interface OwnIdentity {
  state: KeyState
  secrets: IdentitySecrets
}

/** A prekey with its secret. Secret: never log; wipe with `wipePrekey`. */
export interface PrekeyRecord {
  family: PrekeyFamily
  kind: PrekeyKind
  id: number
  /** Creation time, whole seconds. */
  created: Date
  /** X25519 secret (32) or ML-KEM-768 seed d ‖ z (64, FIPS 203 §7.1). */
  secret: Uint8Array
  /** X25519 public key (32) or ML-KEM-768 encapsulation key (1,184). */
  publicKey: Uint8Array
  /** Signed prekeys: the `keySequence` of the identity key current when it was made. */
  keySequence?: number
}

const SECRET_LENGTH: Record<PrekeyKind, number> = { 'x25519': X25519_KEY_LENGTH, 'ml-kem': MLKEM768_SEED_LENGTH }
/** Raw public key length of each kind. */
export const PUBLIC_KEY_LENGTH: Record<PrekeyKind, number> = { 'x25519': X25519_KEY_LENGTH, 'ml-kem': MLKEM768_PUBLIC_KEY_LENGTH }

/** Unix seconds of a Date (floor). */
export function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}

/** Refuses secrets that are not the current keys of `state` (signing with a rotated-out key would only produce refusals). */
export function assertOwnIdentity(suite: Suite, ours: OwnIdentity): void {
  if (!bytesEqual(suite.signingPublicKey(ours.secrets.signing), ours.state.signingKey)) {
    throw new ParleyError('INVALID_ARGUMENT', 'session: our signing secret is not the current key of our key state')
  }
  if (ours.secrets.agreement.length !== ours.state.agreementKeys.length) {
    throw new ParleyError('INVALID_ARGUMENT', 'session: our agreement secrets do not match our key state')
  }
}

/** A fresh prekey (unsigned) with the suite's randomness. */
export function generatePrekey(suite: Suite, family: PrekeyFamily, kind: PrekeyKind, id: number, now: Date): PrekeyRecord {
  const created = new Date(seconds(now) * 1000)
  if (kind === 'x25519') {
    const { secretKey, publicKey } = generateX25519(suite)
    return { family, kind, id, created, secret: secretKey, publicKey }
  }
  const seed = suite.randomBytes(MLKEM768_SEED_LENGTH)
  return { family, kind, id, created, secret: seed, publicKey: suite.backend.mlKem768PublicKey(seed) }
}

/** Overwrites the secret of `record`. */
export function wipePrekey(record: PrekeyRecord | undefined): void {
  record?.secret.fill(0)
}

/** The record's opaque bytes (they hold the secret: hand them to the store, then wipe them). */
export function encodePrekeyRecord(r: PrekeyRecord): Uint8Array {
  const body: CborMap = { f: r.family, t: r.kind, i: r.id, c: seconds(r.created), s: r.secret, p: r.publicKey }
  if (r.family === 'signed') {
    if (r.keySequence === undefined) throw new ParleyError('INVALID_ARGUMENT', 'prekeys: a signed prekey needs its key generation')
    body['k'] = r.keySequence
  }
  return encodeVersioned(PREKEY_RECORD_KIND, VERSION, body)
}

function readRecord(bytes: Uint8Array): PrekeyRecord {
  const what = 'prekey record'
  const m = asMap(decodeVersioned(bytes, PREKEY_RECORD_KIND, [VERSION], { maxBytes: PREKEY_RECORD_MAX_BYTES }), what)
  expectKeys(m, ['f', 't', 'i', 'c', 's', 'p'], ['k'], what)
  const family = getText(m, 'f', what, 16)
  const kind = getText(m, 't', what, 16)
  if (family !== 'signed' && family !== 'one-time') throw new ParleyError('DECODE_SCHEMA', `${what}: unknown family`)
  if (kind !== 'x25519' && kind !== 'ml-kem') throw new ParleyError('DECODE_SCHEMA', `${what}: unknown kind`)
  const r: PrekeyRecord = {
    family,
    kind,
    id: getUint(m, 'i', what, PREKEY_MAX_ID),
    created: new Date(getUint(m, 'c', what, KEL_MAX_TIMESTAMP_SECONDS) * 1000),
    secret: getBytes(m, 's', what, { length: SECRET_LENGTH[kind] }),
    publicKey: getBytes(m, 'p', what, { length: PUBLIC_KEY_LENGTH[kind] }),
  }
  const keySequence = optional(m, 'k', (mm, k) => getUint(mm, k, what))
  if ((family === 'signed') !== (keySequence !== undefined)) {
    throw new ParleyError('DECODE_SCHEMA', `${what}: signed prekeys, and only they, carry k`)
  }
  if (keySequence !== undefined) r.keySequence = keySequence
  return r
}

/**
 * Decodes a record read back from a store, checking it is the
 * `family`/`kind`/`id` asked for. Anything else is STORE_CORRUPT (cause
 * chained): only this code writes these records.
 */
export function decodePrekeyRecord(bytes: Uint8Array, family: PrekeyFamily, kind: PrekeyKind, id: number): PrekeyRecord {
  let r: PrekeyRecord
  try {
    r = readRecord(bytes)
  } catch (err) {
    throw new ParleyError('STORE_CORRUPT', 'prekeys: unreadable prekey record', { cause: err })
  }
  if (r.family !== family || r.kind !== kind || r.id !== id) {
    wipePrekey(r)
    throw new ParleyError('STORE_CORRUPT', `prekeys: the store returned another prekey than ${family} ${kind} #${id}`)
  }
  return r
}

/** Generates and stores a new current signed prekey of `kind` (the previous one enters its grace period). */
export async function rotateSignedPrekey(suite: Suite, ours: OwnIdentity, prekeys: PrekeyStore, kind: PrekeyKind, now: Date): Promise<number> {
  const [id] = await prekeys.allocateIds('signed', kind, 1)
  const record = generatePrekey(suite, 'signed', kind, id as number, now)
  let bytes: Uint8Array | undefined
  try {
    record.keySequence = ours.state.keySequence
    bytes = encodePrekeyRecord(record)
    await prekeys.rotateSigned(kind, { id: record.id, record: bytes }, now)
    return record.id
  } finally {
    wipePrekey(record)
    bytes?.fill(0)
  }
}

/** True when the current signed prekey of `kind` is missing, older than the rotation period, or made under an older identity key. */
async function signedIsStale(prekeys: PrekeyStore, ours: OwnIdentity, kind: PrekeyKind, now: Date): Promise<boolean> {
  const current = await prekeys.currentSigned(kind)
  if (current === undefined) return true
  const r = decodePrekeyRecord(current.record, 'signed', kind, current.id)
  try {
    return r.keySequence !== ours.state.keySequence || seconds(now) - seconds(r.created) >= SIGNED_PREKEY_ROTATION_SECONDS
  } finally {
    wipePrekey(r)
    current.record.fill(0)
  }
}

/**
 * Tops one-time prekeys of both kinds up to ONE_TIME_PREKEY_TARGET
 * unpublished when fewer than ONE_TIME_PREKEY_LOW_WATER are left. Returns
 * how many of each were added.
 */
export async function replenishOneTimePrekeys(suite: Suite, prekeys: PrekeyStore, now: Date): Promise<Record<PrekeyKind, number>> {
  const added: Record<PrekeyKind, number> = { 'x25519': 0, 'ml-kem': 0 }
  for (const kind of ['x25519', 'ml-kem'] as const) {
    const left = await prekeys.countUnpublished(kind)
    if (left >= ONE_TIME_PREKEY_LOW_WATER) continue
    const ids = await prekeys.allocateIds('one-time', kind, ONE_TIME_PREKEY_TARGET - left)
    const records = ids.map((id) => generatePrekey(suite, 'one-time', kind, id, now))
    const encoded = records.map((r) => ({ id: r.id, record: encodePrekeyRecord(r) }))
    try {
      await prekeys.addOneTime(kind, encoded)
      added[kind] = ids.length
    } finally {
      for (const r of records) wipePrekey(r)
      for (const e of encoded) e.record.fill(0)
    }
  }
  return added
}

export interface PrekeyMaintenance {
  /** Kinds whose signed prekey was replaced. */
  rotated: PrekeyKind[]
  /** Retired signed prekeys deleted after their grace period. */
  pruned: number
  /** One-time prekeys added per kind. */
  added: Record<PrekeyKind, number>
}

/**
 * All prekey upkeep in one call, for an agent's timer and before every
 * bundle: rotate stale signed prekeys (missing, older than
 * SIGNED_PREKEY_ROTATION_SECONDS, or made before our last key rotation),
 * prune those past SIGNED_PREKEY_GRACE_SECONDS, replenish one-time prekeys.
 *
 * @example
 * const report = await maintainPrekeys(suite, { ours: me, prekeys, now: new Date() })
 */
export async function maintainPrekeys(suite: Suite, opts: { ours: OwnIdentity; prekeys: PrekeyStore; now: Date }): Promise<PrekeyMaintenance> {
  const { ours, prekeys, now } = opts
  assertOwnIdentity(suite, ours)
  const rotated: PrekeyKind[] = []
  for (const kind of ['x25519', 'ml-kem'] as const) {
    if (await signedIsStale(prekeys, ours, kind, now)) {
      await rotateSignedPrekey(suite, ours, prekeys, kind, now)
      rotated.push(kind)
    }
  }
  const pruned = await prekeys.pruneSigned(now)
  const added = await replenishOneTimePrekeys(suite, prekeys, now)
  return { rotated, pruned, added }
}
