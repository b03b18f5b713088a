/**
 * The wire envelope of every message of an established or starting session
 * (docs/sessions.md "Envelope"): `parley/session-msg` v1
 *
 *   { s: session id (16), f: first-message frame bytes }   while the sender's
 *                                                          PQXDH is unacknowledged
 *   { s: session id (16), m: ratchet message bytes }       afterwards
 *
 * Exactly one of `f` and `m`. `f` is `encodeFirstMessage` (PQXDH header and
 * a ratchet message); `m` a bare ratchet message. Both stay byte strings so
 * their own strict decoders and limits apply. Decoding is strict: the size
 * is checked before anything is parsed, unknown fields are refused, another
 * version is SESSION_VERSION_UNSUPPORTED (the peer must be told, not
 * silently dropped), everything else malformed is DECODE_*.
 *
 * @example
 * ```ts
 * const wire = encodeSessionMessage({ sessionId, ratchetMessage: message })
 * const { sessionId, first, ratchetMessage } = decodeSessionMessage(wire)
 * ```
 */
import { CODEC_MAX_KIND_LENGTH, CODEC_MAX_VERSION, PQXDH_HEADER_MAX_BYTES, SESSION_ENVELOPE_FRAMING_BYTES, SESSION_ID_LENGTH } from '../constants.js'
import { asMap, asText, asUint, decode, encodeVersioned, expectKeys, getBytes } from '../codec/index.js'
import type { CborMap, CborValue } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import { RATCHET_MAX_MESSAGE_BYTES } from './ratchet/index.js'

export const SESSION_MESSAGE_KIND = 'parley/session-msg'
export const SESSION_MESSAGE_VERSION = 1

/** Largest ratchet message or first-message frame carried (a PQXDH header and the largest ratchet message). */
export const SESSION_MESSAGE_MAX_PART_BYTES = PQXDH_HEADER_MAX_BYTES + RATCHET_MAX_MESSAGE_BYTES + SESSION_ENVELOPE_FRAMING_BYTES
/** Largest encoded envelope. */
export const SESSION_MESSAGE_MAX_BYTES = SESSION_MESSAGE_MAX_PART_BYTES + SESSION_ENVELOPE_FRAMING_BYTES

/** A decoded envelope: `first` (a first-message frame) or `ratchetMessage`, never both. */
export type SessionMessage =
  | { sessionId: Uint8Array; first: Uint8Array; ratchetMessage?: undefined }
  | { sessionId: Uint8Array; ratchetMessage: Uint8Array; first?: undefined }

function argument(message: string): ParleyError {
  return new ParleyError('INVALID_ARGUMENT', `session message: ${message}`)
}

/** The envelope's bytes; INVALID_ARGUMENT for a wrong session id, both or neither part, or an oversized part. */
export function encodeSessionMessage(m: SessionMessage): Uint8Array {
  if (!(m.sessionId instanceof Uint8Array) || m.sessionId.length !== SESSION_ID_LENGTH) throw argument(`session id must be ${SESSION_ID_LENGTH} bytes`)
  const part = m.first ?? m.ratchetMessage
  if ((m.first === undefined) === (m.ratchetMessage === undefined)) throw argument('exactly one of first and ratchetMessage')
  if (!(part instanceof Uint8Array) || part.length === 0 || part.length > SESSION_MESSAGE_MAX_PART_BYTES) {
    throw argument(`the message must be 1..${SESSION_MESSAGE_MAX_PART_BYTES} bytes`)
  }
  const body: CborMap = { s: m.sessionId }
  body[m.first !== undefined ? 'f' : 'm'] = part
  return encodeVersioned(SESSION_MESSAGE_KIND, SESSION_MESSAGE_VERSION, body, { maxBytes: SESSION_MESSAGE_MAX_BYTES })
}

/** Strict inverse of `encodeSessionMessage` (file doc for the refusals). */
export function decodeSessionMessage(bytes: Uint8Array): SessionMessage {
  const what = 'session message'
  if (!(bytes instanceof Uint8Array)) throw argument('expected bytes')
  if (bytes.length > SESSION_MESSAGE_MAX_BYTES) throw new ParleyError('DECODE_TOO_LARGE', `${what}: longer than ${SESSION_MESSAGE_MAX_BYTES} bytes`)
  const envelope = asMap(decode(bytes, { maxBytes: SESSION_MESSAGE_MAX_BYTES }), what)
  expectKeys(envelope, ['b', 'k', 'v'], [], what)
  if (asText(envelope['k'] as CborValue, `${what}.k`, CODEC_MAX_KIND_LENGTH) !== SESSION_MESSAGE_KIND) {
    throw new ParleyError('DECODE_SCHEMA', `${what}: expected kind ${JSON.stringify(SESSION_MESSAGE_KIND)}`)
  }
  const version = asUint(envelope['v'] as CborValue, `${what}.v`, CODEC_MAX_VERSION)
  if (version !== SESSION_MESSAGE_VERSION) {
    throw new ParleyError('SESSION_VERSION_UNSUPPORTED', `${what}: version ${version} is not supported (supported: ${SESSION_MESSAGE_VERSION})`)
  }
  const body = asMap(envelope['b'] as CborValue, `${what}.b`)
  expectKeys(body, ['s'], ['f', 'm'], what)
  const sessionId = getBytes(body, 's', what, { length: SESSION_ID_LENGTH })
  const bounds = { min: 1, max: SESSION_MESSAGE_MAX_PART_BYTES }
  const hasFirst = Object.hasOwn(body, 'f')
  if (hasFirst === Object.hasOwn(body, 'm')) throw new ParleyError('DECODE_SCHEMA', `${what}: exactly one of f and m`)
  return hasFirst ? { sessionId, first: getBytes(body, 'f', what, bounds) } : { sessionId, ratchetMessage: getBytes(body, 'm', what, bounds) }
}
