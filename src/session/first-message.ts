/**
 * Framing of the first message of a session: the PQXDH header (header.ts)
 * and the first ratchet message, in one versioned envelope
 * `parley/first-message` v1 { s: suite, h: header bytes, r: ratchet message
 * bytes } (docs/pqxdh.md "First message"). Both parts stay byte strings so
 * each keeps its own strict decoder and limits (PQXDH_HEADER_MAX_BYTES for
 * the header; the ratchet bounds its own); the frame as a whole is at most
 * FIRST_MESSAGE_MAX_BYTES. The session layer builds it after `initiate` and
 * `ratchetEncrypt`, and splits it before `respond`.
 *
 * @example
 * ```ts
 * const wire = encodeFirstMessage({ header: firstMessage, ratchetMessage: message })
 * const { header, ratchetMessage } = decodeFirstMessage(wire)
 * ```
 */
import { FIRST_MESSAGE_MAX_BYTES, PQXDH_HEADER_MAX_BYTES, SUITE_ID } from '../constants.js'
import { encodeVersioned, expectKeys, getBytes } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import { SESSION_WIRE_VERSION, decodeSessionEnvelope } from './envelope.js'

export const FIRST_MESSAGE_KIND = 'parley/first-message'

export interface FirstMessage {
  /** The encoded PQXDH header (`initiate(...).firstMessage`). */
  header: Uint8Array
  /** The first ratchet message (`ratchetEncrypt(...).message`). */
  ratchetMessage: Uint8Array
}

export function encodeFirstMessage(m: FirstMessage): Uint8Array {
  if (!(m.header instanceof Uint8Array) || m.header.length === 0 || m.header.length > PQXDH_HEADER_MAX_BYTES) {
    throw new ParleyError('INVALID_ARGUMENT', `first message: header must be 1..${PQXDH_HEADER_MAX_BYTES} bytes`)
  }
  if (!(m.ratchetMessage instanceof Uint8Array) || m.ratchetMessage.length === 0) throw new ParleyError('INVALID_ARGUMENT', 'first message: empty ratchet message')
  const tooLong = (): ParleyError => new ParleyError('INVALID_ARGUMENT', `first message: longer than ${FIRST_MESSAGE_MAX_BYTES} bytes`)
  if (m.header.length + m.ratchetMessage.length > FIRST_MESSAGE_MAX_BYTES) throw tooLong()
  let bytes: Uint8Array
  try {
    bytes = encodeVersioned(FIRST_MESSAGE_KIND, SESSION_WIRE_VERSION, { s: SUITE_ID, h: m.header, r: m.ratchetMessage })
  } catch (err) {
    throw new ParleyError('INVALID_ARGUMENT', `first message: longer than ${FIRST_MESSAGE_MAX_BYTES} bytes`, { cause: err })
  }
  if (bytes.length > FIRST_MESSAGE_MAX_BYTES) throw tooLong()
  return bytes
}

/**
 * Strict inverse of `encodeFirstMessage`: DECODE_* for malformed bytes,
 * SESSION_VERSION_UNSUPPORTED for another version or suite. The parts are
 * not decoded here (`respond` decodes the header).
 */
export function decodeFirstMessage(bytes: Uint8Array): FirstMessage {
  const what = 'first message'
  const m = decodeSessionEnvelope(bytes, FIRST_MESSAGE_KIND, FIRST_MESSAGE_MAX_BYTES, what)
  expectKeys(m, ['s', 'h', 'r'], [], what)
  return {
    header: getBytes(m, 'h', what, { min: 1, max: PQXDH_HEADER_MAX_BYTES }),
    ratchetMessage: getBytes(m, 'r', what, { min: 1 }),
  }
}
