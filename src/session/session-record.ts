/**
 * The session record: what a SessionStore keeps for one session, as opaque
 * versioned CBOR (`parley/session-record` v1; docs/sessions.md "Records").
 * It holds the ratchet state's bytes, so it is secret: wipe copies after use.
 *
 *   { d: peer DID, i: session id, r: role, o: origin, s: ratchet state bytes,
 *     p?: { h: PQXDH header, k?: invite token }   pending (initiator, unacknowledged)
 *     mv: my reset rendezvous, tv?: theirs,
 *     c: created (Unix s), q: peer key sequence,
 *     y?: { c, x? } reset reason that made it, rp?: session it replaces,
 *     or?: { k: token, c: created }               my own reset of it, in flight
 *     in?: [DID]   introductions I asked this peer for, awaiting its offer
 *     by?: DID     who introduced us }
 *
 * Only this code writes records, so anything unreadable or not the record
 * asked for is STORE_CORRUPT (cause chained).
 */
import { DID_MAX_LENGTH, INTRODUCTION_MAX_PENDING, INVITE_TOKEN_LENGTH, KEL_MAX_TIMESTAMP_SECONDS, PQXDH_HEADER_MAX_BYTES, RATCHET_MAX_STATE_BYTES, RENDEZVOUS_ID_LENGTH, SESSION_ID_LENGTH, SESSION_RECORD_MAX_BYTES } from '../constants.js'
import { asMap, asText, bytesEqual, decodeVersioned, encodeVersioned, expectKeys, getArray, getBytes, getMap, getText, getUint, optional } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import { decodeResetReason, encodeResetReason } from './reset-reason.js'
import type { ResetReason } from './reset-reason.js'

export const SESSION_RECORD_KIND = 'parley/session-record'
export const SESSION_RECORD_VERSION = 1

export type SessionRole = 'initiator' | 'responder'
/** How a session came to be: a bundle given directly, an invite, an introduction, or a reset. */
export type SessionOrigin = 'direct' | 'contact' | 'introduction' | 'reset'
const ROLES: readonly SessionRole[] = ['initiator', 'responder']
const ORIGINS: readonly SessionOrigin[] = ['direct', 'contact', 'introduction', 'reset']

export interface SessionRecord {
  peer: string
  sessionId: Uint8Array
  role: SessionRole
  origin: SessionOrigin
  /** `encodeRatchetState` bytes. Secret. */
  ratchet: Uint8Array
  /** Initiator only, until the first inbound message decrypts: attached to every outgoing message. */
  pending?: { header: Uint8Array; token?: Uint8Array }
  /** Reset rendezvous ids: `mine` where I listen, `theirs` where I deposit resets for the peer (once known). */
  rendezvous: { mine: Uint8Array; theirs?: Uint8Array }
  created: Date
  peerKeySequence: number
  /** Why this session exists, when a reset made it. */
  reason?: ResetReason
  /** The session this one replaces (a reset): deleted once this one is established. */
  replaces?: Uint8Array
  /** My own reset of this session, deposited and not yet answered. */
  outgoingReset?: { token: Uint8Array; created: Date }
  /** Introductions I asked this peer for (the other party's DIDs), awaiting its offer. */
  introductions?: string[]
  /** Origin 'introduction': the contact who introduced us. */
  introducer?: string
}

const secondsOf = (d: Date): number => Math.floor(d.getTime() / 1000)

/** The record's bytes (they hold the ratchet state: store them, then wipe them). */
export function encodeSessionRecord(r: SessionRecord): Uint8Array {
  const m: CborMap = {
    d: r.peer, i: r.sessionId, r: r.role, o: r.origin, s: r.ratchet,
    mv: r.rendezvous.mine, c: secondsOf(r.created), q: r.peerKeySequence,
  }
  if (r.pending !== undefined) m['p'] = r.pending.token === undefined ? { h: r.pending.header } : { h: r.pending.header, k: r.pending.token }
  if (r.rendezvous.theirs !== undefined) m['tv'] = r.rendezvous.theirs
  if (r.reason !== undefined) m['y'] = encodeResetReason(r.reason)
  if (r.replaces !== undefined) m['rp'] = r.replaces
  if (r.outgoingReset !== undefined) m['or'] = { k: r.outgoingReset.token, c: secondsOf(r.outgoingReset.created) }
  if (r.introductions !== undefined && r.introductions.length > 0) m['in'] = [...r.introductions]
  if (r.introducer !== undefined) m['by'] = r.introducer
  return encodeVersioned(SESSION_RECORD_KIND, SESSION_RECORD_VERSION, m, { maxBytes: SESSION_RECORD_MAX_BYTES })
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ParleyError('DECODE_SCHEMA', `${what}: unknown value`)
  return value as T
}

function read(bytes: Uint8Array): SessionRecord {
  const w = 'session record'
  const m = asMap(decodeVersioned(bytes, SESSION_RECORD_KIND, [SESSION_RECORD_VERSION], { maxBytes: SESSION_RECORD_MAX_BYTES }), w)
  expectKeys(m, ['d', 'i', 'r', 'o', 's', 'mv', 'c', 'q'], ['p', 'tv', 'y', 'rp', 'or', 'in', 'by'], w)
  const rv = { length: RENDEZVOUS_ID_LENGTH }
  const r: SessionRecord = {
    peer: getText(m, 'd', w, DID_MAX_LENGTH),
    sessionId: getBytes(m, 'i', w, { length: SESSION_ID_LENGTH }),
    role: oneOf(getText(m, 'r', w, 16), ROLES, `${w}.r`),
    origin: oneOf(getText(m, 'o', w, 16), ORIGINS, `${w}.o`),
    ratchet: getBytes(m, 's', w, { min: 1, max: RATCHET_MAX_STATE_BYTES }),
    rendezvous: { mine: getBytes(m, 'mv', w, rv) },
    created: new Date(getUint(m, 'c', w, KEL_MAX_TIMESTAMP_SECONDS) * 1000),
    peerKeySequence: getUint(m, 'q', w),
  }
  const pending = optional(m, 'p', (mm, k) => getMap(mm, k, w))
  if (pending !== undefined) {
    expectKeys(pending, ['h'], ['k'], `${w}.p`)
    r.pending = { header: getBytes(pending, 'h', `${w}.p`, { min: 1, max: PQXDH_HEADER_MAX_BYTES }) }
    const token = optional(pending, 'k', (mm, k) => getBytes(mm, k, `${w}.p`, { length: INVITE_TOKEN_LENGTH }))
    if (token !== undefined) r.pending.token = token
  }
  const theirs = optional(m, 'tv', (mm, k) => getBytes(mm, k, w, rv))
  if (theirs !== undefined) r.rendezvous.theirs = theirs
  const reason = optional(m, 'y', (mm, k) => decodeResetReason(getMap(mm, k, w), `${w}.y`))
  if (reason !== undefined) r.reason = reason
  const replaces = optional(m, 'rp', (mm, k) => getBytes(mm, k, w, { length: SESSION_ID_LENGTH }))
  if (replaces !== undefined) r.replaces = replaces
  const reset = optional(m, 'or', (mm, k) => getMap(mm, k, w))
  if (reset !== undefined) {
    expectKeys(reset, ['k', 'c'], [], `${w}.or`)
    r.outgoingReset = { token: getBytes(reset, 'k', `${w}.or`, { length: INVITE_TOKEN_LENGTH }), created: new Date(getUint(reset, 'c', `${w}.or`, KEL_MAX_TIMESTAMP_SECONDS) * 1000) }
  }
  const intros = optional(m, 'in', (mm, k) => getArray(mm, k, w, INTRODUCTION_MAX_PENDING))
  if (intros !== undefined) r.introductions = intros.map((v, i) => asText(v, `${w}.in[${i}]`, DID_MAX_LENGTH))
  const by = optional(m, 'by', (mm, k) => getText(mm, k, w, DID_MAX_LENGTH))
  if (by !== undefined) r.introducer = by
  if (r.pending !== undefined && r.role !== 'initiator') throw new ParleyError('DECODE_SCHEMA', `${w}: only an initiator has a pending header`)
  return r
}

/**
 * Decodes a record read back from the store for (`peer`, `sessionId`):
 * STORE_CORRUPT for anything unreadable or another record than asked for.
 */
export function decodeSessionRecord(bytes: Uint8Array, peer: string, sessionId: Uint8Array): SessionRecord {
  let r: SessionRecord
  try {
    r = read(bytes)
  } catch (err) {
    throw new ParleyError('STORE_CORRUPT', 'session record: unreadable', { cause: err })
  }
  if (r.peer !== peer || !bytesEqual(r.sessionId, sessionId)) {
    r.ratchet.fill(0)
    throw new ParleyError('STORE_CORRUPT', 'session record: the store returned another session than asked for')
  }
  return r
}

/** Parses record bytes without the identity check (the fuzz tests and tools). STORE_CORRUPT on failure. */
export function parseSessionRecord(bytes: Uint8Array): SessionRecord {
  try {
    return read(bytes)
  } catch (err) {
    throw new ParleyError('STORE_CORRUPT', 'session record: unreadable', { cause: err })
  }
}
