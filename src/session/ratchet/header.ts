/**
 * The ratchet header (Signal's Double Ratchet §3.3 HEADER(dh, pn, n), plus the
 * KEM fields of our sparse ML-KEM schedule, docs/ratchet.md): its fixed binary
 * layout and the header kind that selects it.
 *
 * A fixed layout rather than CBOR: every field has one size, so each kind has
 * exactly one length (known from the message's first byte before anything is
 * decrypted or allocated), each value has exactly one encoding (canonical by
 * construction), and no bytes go to map keys or heads — the header is sent
 * with every message. Integers are big-endian.
 *
 * | kind | layout | bytes |
 * | --- | --- | --- |
 * | 0 plain | dh (32) ‖ pn (2) ‖ n (2) | 36 |
 * | 1 KEM step | plain ‖ target id (2) ‖ ML-KEM ct (1088) ‖ offer id (2) ‖ ML-KEM ek (1184) | 2312 |
 * | 2 offer only | plain ‖ offer id (2) ‖ ML-KEM ek (1184) | 1222 |
 *
 * `target id` names the receiver's offer the ciphertext was made for; `offer
 * id` numbers the sender's new offer (16-bit counters, wrapping).
 */
import {
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  RATCHET_MAX_CHAIN_LENGTH,
  X25519_KEY_LENGTH,
} from '../../constants.js'
import { ParleyError, decryptFailed } from '../../errors.js'

/** The three header layouts. */
export const HEADER_KIND_PLAIN = 0
export const HEADER_KIND_KEM = 1
export const HEADER_KIND_OFFER = 2
export type HeaderKind = typeof HEADER_KIND_PLAIN | typeof HEADER_KIND_KEM | typeof HEADER_KIND_OFFER

/** Offer ids are 16-bit counters. */
export const KEM_OFFER_ID_MODULUS = 0x1_0000

const COMMON_LENGTH = X25519_KEY_LENGTH + 2 + 2
const OFFER_LENGTH = 2 + MLKEM768_PUBLIC_KEY_LENGTH
const ENCAPSULATION_LENGTH = 2 + MLKEM768_CIPHERTEXT_LENGTH

/** Plaintext header length of each kind. */
export const HEADER_LENGTHS: Readonly<Record<HeaderKind, number>> = Object.freeze({
  [HEADER_KIND_PLAIN]: COMMON_LENGTH,
  [HEADER_KIND_KEM]: COMMON_LENGTH + ENCAPSULATION_LENGTH + OFFER_LENGTH,
  [HEADER_KIND_OFFER]: COMMON_LENGTH + OFFER_LENGTH,
})

/** The KEM fields every header of a KEM-step (or offer-only) chain carries. */
export interface HeaderKem {
  /** The sender's new offer. */
  offerId: number
  encapsulationKey: Uint8Array
  /** Present on a KEM step: the ciphertext to the receiver's offer `targetId`. */
  encapsulation?: { targetId: number; ciphertext: Uint8Array }
}

/** A decoded header. */
export interface Header {
  /** The sender's current ratchet public key (X25519, raw). */
  dh: Uint8Array
  /** Length of the sender's previous sending chain. */
  pn: number
  /** Position of this message in its chain. */
  n: number
  kem?: HeaderKem
}

/** The kind a header is encoded as. */
export function headerKind(header: Header): HeaderKind {
  if (header.kem === undefined) return HEADER_KIND_PLAIN
  return header.kem.encapsulation === undefined ? HEADER_KIND_OFFER : HEADER_KIND_KEM
}

function putU16(out: Uint8Array, at: number, value: number): number {
  out[at] = (value >>> 8) & 0xff
  out[at + 1] = value & 0xff
  return at + 2
}

function getU16(b: Uint8Array, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number)
}

function inU16(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value < KEM_OFFER_ID_MODULUS
}

/** The plaintext bytes of `header` (misuse, e.g. a wrong key length, is INTERNAL: the ratchet builds headers). */
export function encodeHeader(header: Header): Uint8Array {
  const kind = headerKind(header)
  const kem = header.kem
  const ok =
    header.dh.length === X25519_KEY_LENGTH &&
    Number.isSafeInteger(header.pn) && header.pn >= 0 && header.pn <= RATCHET_MAX_CHAIN_LENGTH &&
    Number.isSafeInteger(header.n) && header.n >= 0 && header.n < RATCHET_MAX_CHAIN_LENGTH &&
    (kem === undefined ||
      (inU16(kem.offerId) && kem.encapsulationKey.length === MLKEM768_PUBLIC_KEY_LENGTH &&
        (kem.encapsulation === undefined ||
          (inU16(kem.encapsulation.targetId) && kem.encapsulation.ciphertext.length === MLKEM768_CIPHERTEXT_LENGTH))))
  if (!ok) throw new ParleyError('INTERNAL', 'ratchet header: field out of range')
  const out = new Uint8Array(HEADER_LENGTHS[kind])
  out.set(header.dh, 0)
  let at = putU16(out, X25519_KEY_LENGTH, header.pn)
  at = putU16(out, at, header.n)
  if (kem !== undefined) {
    if (kem.encapsulation !== undefined) {
      at = putU16(out, at, kem.encapsulation.targetId)
      out.set(kem.encapsulation.ciphertext, at)
      at += MLKEM768_CIPHERTEXT_LENGTH
    }
    at = putU16(out, at, kem.offerId)
    out.set(kem.encapsulationKey, at)
  }
  return out
}

/**
 * Reads an authenticated header plaintext of `kind`. Values the sender can
 * not have produced (a position at or past RATCHET_MAX_CHAIN_LENGTH) are
 * refused as DECRYPT_FAILED, the opaque code of every bad message.
 */
export function decodeHeader(kind: HeaderKind, plain: Uint8Array): Header {
  if (plain.length !== HEADER_LENGTHS[kind]) throw decryptFailed()
  const dh = plain.slice(0, X25519_KEY_LENGTH)
  const pn = getU16(plain, X25519_KEY_LENGTH)
  const n = getU16(plain, X25519_KEY_LENGTH + 2)
  if (n >= RATCHET_MAX_CHAIN_LENGTH) throw decryptFailed()
  const header: Header = { dh, pn, n }
  let at = COMMON_LENGTH
  if (kind === HEADER_KIND_PLAIN) return header
  let encapsulation: HeaderKem['encapsulation']
  if (kind === HEADER_KIND_KEM) {
    const targetId = getU16(plain, at)
    const ciphertext = plain.slice(at + 2, at + 2 + MLKEM768_CIPHERTEXT_LENGTH)
    encapsulation = { targetId, ciphertext }
    at += ENCAPSULATION_LENGTH
  }
  const offerId = getU16(plain, at)
  const encapsulationKey = plain.slice(at + 2, at + 2 + MLKEM768_PUBLIC_KEY_LENGTH)
  header.kem = encapsulation === undefined ? { offerId, encapsulationKey } : { offerId, encapsulationKey, encapsulation }
  return header
}
