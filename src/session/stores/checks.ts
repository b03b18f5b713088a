/**
 * Argument checks every store implementation runs first, so that all of
 * them accept and refuse exactly the same calls (the compliance suites test
 * the refusals): misuse is INVALID_ARGUMENT, never a silently odd row.
 */
import {
  DID_MAX_LENGTH,
  PREKEY_MAX_BATCH,
  PREKEY_MAX_ID,
  PREKEY_RECORD_MAX_BYTES,
  REPLAY_ID_MAX_LENGTH,
  REPLAY_ID_MIN_LENGTH,
  SESSION_ID_LENGTH,
  SESSION_RECORD_MAX_BYTES,
} from '../../constants.js'
import { toHex } from '../../codec/index.js'
import { ParleyError } from '../../errors.js'
import type { PrekeyFamily, PrekeyKind, StoredPrekey } from './types.js'

function invalid(op: string, message: string): never {
  throw new ParleyError('INVALID_ARGUMENT', `${op}: ${message}`)
}

export function checkKind(op: string, kind: PrekeyKind): void {
  if (kind !== 'x25519' && kind !== 'ml-kem') invalid(op, 'kind must be x25519 or ml-kem')
}

export function checkFamily(op: string, family: PrekeyFamily): void {
  if (family !== 'signed' && family !== 'one-time') invalid(op, 'family must be signed or one-time')
}

export function checkId(op: string, id: number): void {
  if (!Number.isSafeInteger(id) || id < 0 || id > PREKEY_MAX_ID) invalid(op, `id must be an integer in [0, ${PREKEY_MAX_ID}]`)
}

export function checkCount(op: string, count: number): void {
  if (!Number.isSafeInteger(count) || count < 1 || count > PREKEY_MAX_BATCH) invalid(op, `count must be 1..${PREKEY_MAX_BATCH}`)
}

export function checkRecord(op: string, record: Uint8Array, max: number): void {
  if (!(record instanceof Uint8Array) || record.length === 0 || record.length > max) invalid(op, `record must be 1..${max} bytes`)
}

export function checkPrekey(op: string, prekey: StoredPrekey): void {
  if (prekey === null || typeof prekey !== 'object') invalid(op, 'prekey must be { id, record }')
  checkId(op, prekey.id)
  checkRecord(op, prekey.record, PREKEY_RECORD_MAX_BYTES)
}

export function checkTime(op: string, now: Date, name = 'now'): number {
  if (!(now instanceof Date) || !Number.isSafeInteger(now.getTime())) invalid(op, `${name} must be a valid Date`)
  return now.getTime()
}

export function checkPeer(op: string, peerDid: string): void {
  if (typeof peerDid !== 'string' || peerDid.length === 0 || peerDid.length > DID_MAX_LENGTH) invalid(op, `peer DID must be 1..${DID_MAX_LENGTH} characters`)
}

export function checkSessionId(op: string, sessionId: Uint8Array): void {
  if (!(sessionId instanceof Uint8Array) || sessionId.length !== SESSION_ID_LENGTH) invalid(op, `session id must be ${SESSION_ID_LENGTH} bytes`)
}

export function checkSessionRecord(op: string, record: Uint8Array): void {
  checkRecord(op, record, SESSION_RECORD_MAX_BYTES)
}

export function checkReplayId(op: string, id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length < REPLAY_ID_MIN_LENGTH || id.length > REPLAY_ID_MAX_LENGTH) {
    invalid(op, `id must be ${REPLAY_ID_MIN_LENGTH}..${REPLAY_ID_MAX_LENGTH} bytes`)
  }
}

/** Lowercase hex of `bytes`: the map key of in-memory stores (public ids only). */
export function keyOf(bytes: Uint8Array): string {
  return toHex(bytes)
}
