/**
 * The PQXDH key schedule (PQXDH §3.3, with the transcript binding Parley
 * adds; docs/pqxdh.md "Key schedule"). Pure functions of public and secret
 * inputs, shared by both sides so they cannot drift apart:
 *
 *   transcript = `parley/pqxdh-transcript` v1 {
 *       v: PROTOCOL_VERSION, s: suite,
 *       h: the signed header bytes (both DIDs and key sequences, the
 *          agreement key id, EK_A, every prekey id, both ciphertexts, time),
 *       ia: initiator signing key, ib: responder signing key,
 *       kb: responder agreement key  (all typed encodings),
 *       spk: SPK_B, otk?: OPK_B, pq: the PQ prekey's ek  (raw) }
 *   TH  = digest(LABELS.pqxdhTranscript, transcript)                 32 bytes
 *   IKM = F ‖ DH1 ‖ DH2? ‖ SS_KEM1 ‖ SS_KEM2   (F = 32 × 0xFF, PQXDH §2.1/§3.3)
 *   SK  = HKDF-SHA-256(IKM, salt = 32 × 0x00, info = LABELS.pqxdhSecret ‖ TH, 32)
 *   session id      = digest(LABELS.pqxdhSessionId, TH)[0..16]
 *   associated data = TH
 *
 * Every component of IKM has a fixed length and DH2's presence is bound in
 * TH (the header names the one-time prekey), so IKM parses one way only.
 * TH goes into the KDF rather than the raw transcript because HKDF's info
 * is bounded (HKDF_MAX_INFO_LENGTH) and the transcript holds ~12 KiB of keys.
 */
import { LABELS, PROTOCOL_VERSION, SESSION_ID_LENGTH, SHA256_LENGTH, SUITE_ID } from '../constants.js'
import { concatBytes, encodeVersioned } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError } from '../errors.js'

export const PQXDH_TRANSCRIPT_KIND = 'parley/pqxdh-transcript'
const TRANSCRIPT_VERSION = 1

/** PQXDH's F: 32 0xFF bytes before the DH outputs (X25519), for domain separation from XEdDSA. */
const F = new Uint8Array(32).fill(0xff)
/** HKDF salt: a hash-length run of zero bytes (PQXDH §3.3). */
const SALT = new Uint8Array(SHA256_LENGTH)
/** Shared secret length. */
export const PQXDH_SECRET_LENGTH = 32
const SECRET_INFO = new TextEncoder().encode(LABELS.pqxdhSecret)

export interface TranscriptInput {
  /** The header's signed bytes (`encodeHeaderTbs`). */
  tbs: Uint8Array
  initiatorSigningKey: Uint8Array
  responderSigningKey: Uint8Array
  responderAgreementKey: Uint8Array
  signedPrekey: Uint8Array
  oneTimePrekey?: Uint8Array
  pqPrekey: Uint8Array
}

/** The id naming an agreement key in the header (`ta`): digest(LABELS.pqxdhAgreementKeyId, typed key). */
export function agreementKeyId(suite: Suite, agreementKey: Uint8Array): Uint8Array {
  return suite.digest(LABELS.pqxdhAgreementKeyId, agreementKey)
}

/** TH: the digest of the transcript. */
export function transcriptHash(suite: Suite, t: TranscriptInput): Uint8Array {
  const body: CborMap = {
    v: PROTOCOL_VERSION,
    s: SUITE_ID,
    h: t.tbs,
    ia: t.initiatorSigningKey,
    ib: t.responderSigningKey,
    kb: t.responderAgreementKey,
    spk: t.signedPrekey,
    pq: t.pqPrekey,
  }
  if (t.oneTimePrekey !== undefined) body['otk'] = t.oneTimePrekey
  return suite.digest(LABELS.pqxdhTranscript, encodeVersioned(PQXDH_TRANSCRIPT_KIND, TRANSCRIPT_VERSION, body))
}

/** The secret inputs of the KDF, each 32 bytes. */
export interface KdfInput {
  /** DH(EK_A, SPK_B). */
  dh1: Uint8Array
  /** DH(EK_A, OPK_B), when a one-time prekey was used. */
  dh2?: Uint8Array
  /** ML-KEM-768 shared secret to the PQ prekey. */
  kem1: Uint8Array
  /** Hybrid KEM shared secret to the responder's agreement key. */
  kem2: Uint8Array
  transcriptHash: Uint8Array
}

/** What the key agreement hands the ratchet. */
export interface SessionKeys {
  /** SK (32 bytes). Secret. */
  sharedSecret: Uint8Array
  sessionId: Uint8Array
  associatedData: Uint8Array
}

function check32(value: Uint8Array | undefined, name: string): void {
  if (!(value instanceof Uint8Array) || value.length !== 32) throw new ParleyError('INVALID_ARGUMENT', `pqxdh kdf: ${name} must be 32 bytes`)
}

/**
 * SK, session id and associated data from the KDF inputs (file doc). The
 * caller wipes its inputs; the IKM built here is wiped before returning.
 */
export function deriveSessionKeys(suite: Suite, input: KdfInput): SessionKeys {
  check32(input.dh1, 'dh1')
  if (input.dh2 !== undefined) check32(input.dh2, 'dh2')
  check32(input.kem1, 'kem1')
  check32(input.kem2, 'kem2')
  check32(input.transcriptHash, 'transcriptHash')
  const parts = [F, input.dh1]
  if (input.dh2 !== undefined) parts.push(input.dh2)
  parts.push(input.kem1, input.kem2)
  const ikm = concatBytes(...parts)
  try {
    return {
      sharedSecret: suite.hkdf(ikm, SALT, concatBytes(SECRET_INFO, input.transcriptHash), PQXDH_SECRET_LENGTH),
      sessionId: suite.digest(LABELS.pqxdhSessionId, input.transcriptHash).slice(0, SESSION_ID_LENGTH),
      associatedData: input.transcriptHash.slice(),
    }
  } finally {
    ikm.fill(0)
  }
}
