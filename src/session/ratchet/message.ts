/**
 * The ratchet message on the wire (Signal's Double Ratchet §4.4 HENCRYPT /
 * HDECRYPT with AES-256-GCM, NIST SP 800-38D):
 *
 * ```
 * message    = format (1) ‖ nonce (12) ‖ enc_header ‖ body
 * format     = RATCHET_WIRE_VERSION << 4 | header kind      (header.ts)
 * enc_header = AES-256-GCM(HK, nonce, header, AD = associatedData ‖ format)   header + 16
 * body       = AES-256-GCM(MK, nonce, plaintext, AD = associatedData ‖ format ‖ nonce ‖ enc_header)   plaintext + 16
 * ```
 *
 * The nonce is random (12 bytes) per message: a header key encrypts every
 * header of one chain (RATCHET_MAX_CHAIN_LENGTH bounds how many). The body
 * reuses that nonce under its own one-time message key: a one-time key needs
 * no particular nonce, and a fresh random one costs no extra byte while
 * keeping a rolled-back sender (which derives the same message key again)
 * from ever repeating a (key, nonce) pair.
 *
 * `parseMessage` checks the length against the kind before anything is
 * decrypted or allocated (views only); every malformed, unknown-version or
 * unauthentic message is the one opaque DECRYPT_FAILED.
 */
import { AEAD_TAG_LENGTH, AES_GCM_NONCE_LENGTH, RATCHET_MAX_PLAINTEXT_BYTES, RATCHET_WIRE_VERSION } from '../../constants.js'
import { ParleyError, isParleyError, decryptFailed } from '../../errors.js'
import type { Suite } from '../../crypto/index.js'
import type { AssociatedData, SecretKeyHandle } from '../../crypto/types.js'
import { HEADER_KIND_KEM, HEADER_KIND_OFFER, HEADER_KIND_PLAIN, HEADER_LENGTHS, decodeHeader, encodeHeader, headerKind } from './header.js'
import type { Header, HeaderKind } from './header.js'

/** Bytes before the encrypted header. */
const PREFIX_LENGTH = 1 + AES_GCM_NONCE_LENGTH

/** Largest ratchet message: the largest header, both tags and the largest plaintext. */
export const RATCHET_MAX_MESSAGE_BYTES = PREFIX_LENGTH + HEADER_LENGTHS[HEADER_KIND_KEM] + 2 * AEAD_TAG_LENGTH + RATCHET_MAX_PLAINTEXT_BYTES

/** Bytes a message adds to its plaintext, by header kind. */
export function messageOverhead(kind: HeaderKind): number {
  return PREFIX_LENGTH + HEADER_LENGTHS[kind] + 2 * AEAD_TAG_LENGTH
}

/** A message split into its parts (views into the input). */
export interface ParsedMessage {
  kind: HeaderKind
  /** format ‖ nonce ‖ enc_header: the body's AD after associatedData. */
  headerBlock: Uint8Array
  format: Uint8Array
  nonce: Uint8Array
  encHeader: Uint8Array
  body: Uint8Array
}


/** Splits `message`; refuses a wrong version, an unknown kind or a wrong length. */
export function parseMessage(message: Uint8Array): ParsedMessage {
  if (!(message instanceof Uint8Array) || message.length < 1 || message.length > RATCHET_MAX_MESSAGE_BYTES) throw decryptFailed()
  const first = message[0] as number
  const kind = first & 0x0f
  if (first >>> 4 !== RATCHET_WIRE_VERSION || (kind !== HEADER_KIND_PLAIN && kind !== HEADER_KIND_KEM && kind !== HEADER_KIND_OFFER)) {
    throw decryptFailed()
  }
  const headerEnd = PREFIX_LENGTH + HEADER_LENGTHS[kind] + AEAD_TAG_LENGTH
  if (message.length < headerEnd + AEAD_TAG_LENGTH) throw decryptFailed()
  return {
    kind,
    headerBlock: message.subarray(0, headerEnd),
    format: message.subarray(0, 1),
    nonce: message.subarray(1, PREFIX_LENGTH),
    encHeader: message.subarray(PREFIX_LENGTH, headerEnd),
    body: message.subarray(headerEnd),
  }
}

/** The header AD: associatedData ‖ format (as parts: AES-GCM authenticates their concatenation). */
export function headerAd(associatedData: Uint8Array, parsed: ParsedMessage): AssociatedData {
  return [associatedData, parsed.format]
}

/**
 * Tries one header key (raw, or its handle): the header when it opens the
 * header, `undefined` when authentication fails (the caller tries the next key).
 */
export function tryOpenHeader(suite: Suite, headerKey: Uint8Array | SecretKeyHandle, parsed: ParsedMessage, ad: AssociatedData): Header | undefined {
  let plain: Uint8Array
  try {
    plain = suite.aesGcmOpen(headerKey, parsed.nonce, parsed.encHeader, ad)
  } catch (err) {
    if (isParleyError(err, 'DECRYPT_FAILED')) return undefined
    throw err
  }
  return decodeHeader(parsed.kind, plain)
}

/** Opens the body with the one-time message key; DECRYPT_FAILED on any failure. */
export function openBody(suite: Suite, messageKey: Uint8Array, parsed: ParsedMessage, associatedData: Uint8Array): Uint8Array {
  try {
    return suite.aesGcmOpen(messageKey, parsed.nonce, parsed.body, [associatedData, parsed.headerBlock])
  } catch (err) {
    throw decryptFailed(err)
  }
}

/** Builds a message: encrypts `header` under `headerKey` (raw, or its handle) and `plaintext` under `messageKey`. */
export function sealMessage(
  suite: Suite,
  args: { headerKey: Uint8Array | SecretKeyHandle; messageKey: Uint8Array; header: Header; plaintext: Uint8Array; associatedData: Uint8Array; nonce: Uint8Array },
): Uint8Array {
  const { headerKey, messageKey, header, plaintext, associatedData, nonce } = args
  if (nonce.length !== AES_GCM_NONCE_LENGTH) throw new ParleyError('INVALID_ARGUMENT', 'ratchet: random source returned the wrong length')
  const kind = headerKind(header)
  const headerEnd = PREFIX_LENGTH + HEADER_LENGTHS[kind] + AEAD_TAG_LENGTH
  // One buffer: the header block is written in place, then the body is sealed behind it (AD parts, no copies).
  const message = new Uint8Array(headerEnd + plaintext.length + AEAD_TAG_LENGTH)
  message[0] = (RATCHET_WIRE_VERSION << 4) | kind
  message.set(nonce, 1)
  const format = message.subarray(0, 1)
  suite.aesGcmSeal(headerKey, nonce, encodeHeader(header), [associatedData, format], message.subarray(PREFIX_LENGTH, headerEnd))
  suite.aesGcmSeal(messageKey, nonce, plaintext, [associatedData, message.subarray(0, headerEnd)], message.subarray(headerEnd))
  return message
}
