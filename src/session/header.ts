/**
 * The PQXDH header: the part of the first message that carries the key
 * agreement (PQXDH §3.3 "Sending the initial message", the list of what
 * Alice sends Bob, plus the fields our stronger authentication adds). Wire
 * form `parley/pqxdh-init` v1 (docs/pqxdh.md):
 *
 *   { s: suite,
 *     f: initiator DID, fk: its keySequence,
 *     t: responder DID, tk: its keySequence, ta: agreement key id (32),
 *     e: EK_A (X25519, 32),
 *     spk: signed prekey id, otk?: one-time prekey id,
 *     pq: last-resort PQ prekey id  |  opq: one-time PQ prekey id,
 *     c1: ML-KEM-768 ciphertext to that PQ prekey (1088),
 *     c2: hybrid KEM ciphertext to the responder's agreement key (typed),
 *     ts: created (Unix seconds),
 *     g: the initiator's hybrid signature over the same map without g,
 *        as `parley/pqxdh-init-tbs` v1, label LABELS.pqxdhInitiator }
 *
 * Decoding is strict and tells the refusals apart: another version or suite
 * is SESSION_VERSION_UNSUPPORTED; a missing KEM part (no PQ prekey id, no
 * c1 or no c2) is SESSION_DOWNGRADE; a non-canonical EK_A is KEY_INVALID.
 */
import { DID_MAX_LENGTH, KEL_MAX_TIMESTAMP_SECONDS, MLKEM768_CIPHERTEXT_LENGTH, PQXDH_HEADER_MAX_BYTES, PREKEY_MAX_ID, SHA256_LENGTH, SUITE_ID, X25519_KEY_LENGTH } from '../constants.js'
import { encodeVersioned, expectKeys, getBytes, getText, getUint, optional } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { decodeKey, encodedLength } from '../crypto/index.js'
import { ParleyError } from '../errors.js'
import { assertParleyDid } from '../identity/index.js'
import { decodeSessionEnvelope, SESSION_WIRE_VERSION } from './envelope.js'
import { seconds } from './prekeys.js'
import { assertX25519Public } from './x25519.js'

export const PQXDH_HEADER_KIND = 'parley/pqxdh-init'
export const PQXDH_HEADER_TBS_KIND = 'parley/pqxdh-init-tbs'

/** The header's fields; `signature` is absent until signed. */
export interface PqxdhHeaderFields {
  from: { did: string; keySequence: number }
  /** `agreementKeyId` = digest(LABELS.pqxdhAgreementKeyId, the typed agreement key KEM2 was made for). */
  to: { did: string; keySequence: number; agreementKeyId: Uint8Array }
  /** EK_A, raw X25519. */
  ephemeralKey: Uint8Array
  signedPrekeyId: number
  oneTimePrekeyId?: number
  /** The PQ prekey KEM1 was made for: one-time (PQOPK_B) or last resort (PQSPK_B). */
  pqPrekey: { id: number; oneTime: boolean }
  /** KEM1: ML-KEM-768 ciphertext, raw. */
  pqCiphertext: Uint8Array
  /** KEM2: hybrid KEM ciphertext to the responder's agreement key, typed. */
  identityCiphertext: Uint8Array
  /** Creation time (whole seconds). */
  created: Date
}

export interface PqxdhHeader extends PqxdhHeaderFields {
  signature: Uint8Array
}

function body(h: PqxdhHeaderFields): CborMap {
  const m: CborMap = {
    s: SUITE_ID,
    f: h.from.did,
    fk: h.from.keySequence,
    t: h.to.did,
    tk: h.to.keySequence,
    ta: h.to.agreementKeyId,
    e: h.ephemeralKey,
    spk: h.signedPrekeyId,
    c1: h.pqCiphertext,
    c2: h.identityCiphertext,
    ts: seconds(h.created),
  }
  if (h.oneTimePrekeyId !== undefined) m['otk'] = h.oneTimePrekeyId
  m[h.pqPrekey.oneTime ? 'opq' : 'pq'] = h.pqPrekey.id
  return m
}

/** The bytes the initiator signs: the header without its signature, as `parley/pqxdh-init-tbs` v1. */
export function encodeHeaderTbs(h: PqxdhHeaderFields): Uint8Array {
  return encodeVersioned(PQXDH_HEADER_TBS_KIND, SESSION_WIRE_VERSION, body(h))
}

/** The header's wire bytes. */
export function encodeHeader(h: PqxdhHeader): Uint8Array {
  return encodeVersioned(PQXDH_HEADER_KIND, SESSION_WIRE_VERSION, { ...body(h), g: h.signature })
}

/**
 * Strict inverse of `encodeHeader` (see the file doc for the refusals);
 * also returns the signed bytes, rebuilt from the decoded fields (the
 * encoding is deterministic, so they equal what the initiator signed).
 */
export function decodeHeader(bytes: Uint8Array): { header: PqxdhHeader; tbs: Uint8Array } {
  const what = 'pqxdh header'
  const m = decodeSessionEnvelope(bytes, PQXDH_HEADER_KIND, PQXDH_HEADER_MAX_BYTES, what)
  expectKeys(m, ['s', 'f', 'fk', 't', 'tk', 'ta', 'e', 'spk', 'ts', 'g'], ['otk', 'pq', 'opq', 'c1', 'c2'], what)
  const hasPq = Object.hasOwn(m, 'pq')
  const hasOpq = Object.hasOwn(m, 'opq')
  if ((!hasPq && !hasOpq) || !Object.hasOwn(m, 'c1') || !Object.hasOwn(m, 'c2')) {
    throw new ParleyError('SESSION_DOWNGRADE', `${what}: a post-quantum part is missing`)
  }
  if (hasPq && hasOpq) throw new ParleyError('DECODE_SCHEMA', `${what}: names two PQ prekeys`)
  const header: PqxdhHeader = {
    from: { did: assertParleyDid(getText(m, 'f', what, DID_MAX_LENGTH), `${what}.f`), keySequence: getUint(m, 'fk', what) },
    to: {
      did: assertParleyDid(getText(m, 't', what, DID_MAX_LENGTH), `${what}.t`),
      keySequence: getUint(m, 'tk', what),
      agreementKeyId: getBytes(m, 'ta', what, { length: SHA256_LENGTH }),
    },
    ephemeralKey: getBytes(m, 'e', what, { length: X25519_KEY_LENGTH }),
    signedPrekeyId: getUint(m, 'spk', what, PREKEY_MAX_ID),
    pqPrekey: { id: getUint(m, hasOpq ? 'opq' : 'pq', what, PREKEY_MAX_ID), oneTime: hasOpq },
    pqCiphertext: getBytes(m, 'c1', what, { length: MLKEM768_CIPHERTEXT_LENGTH }),
    identityCiphertext: getBytes(m, 'c2', what, { length: encodedLength('kemCiphertext') }),
    created: new Date(getUint(m, 'ts', what, KEL_MAX_TIMESTAMP_SECONDS) * 1000),
    signature: getBytes(m, 'g', what, { length: encodedLength('signature') }),
  }
  const otk = optional(m, 'otk', (mm, k) => getUint(mm, k, what, PREKEY_MAX_ID))
  if (otk !== undefined) header.oneTimePrekeyId = otk
  assertX25519Public(header.ephemeralKey, `${what}.e`)
  decodeKey('kemCiphertext', header.identityCiphertext)
  return { header, tbs: encodeHeaderTbs(header) }
}
