/**
 * The frames of /parley/msg/1.0.0 (sequence in messaging.ts): each is one
 * length-prefixed frame (frames.ts) holding the versioned CBOR structure
 * `parley/msg-frame` v1, decoded strictly with the frame limit checked first.
 *
 *   sender → receiver   Message { t: "msg",  i: id (16 bytes), e: envelope }
 *   receiver → sender   Ack     { t: "ack",  i: id }                 committed (or a duplicate of a committed one)
 *                       Nack    { t: "nack", i: id, r: reason }      "refused": never deliverable, do not resend;
 *                                                                    "retry": not committed now, resend later
 *                       Error   { t: "err",  c: code }               the receiver closes the stream: a typed refusal
 *
 * A Nack or Ack answers the oldest unanswered Message of the stream: answers
 * come in order. An Error carries only codes from WIRE_ERROR_CODES (no
 * detail: STYLE rule 6).
 */
import { MSG_ID_LENGTH, MSG_MAX_ENVELOPE_BYTES, MSG_MAX_FRAME_BYTES } from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, getText } from '../codec/index.js'
import type { CborValue } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import type { ErrorCode } from '../errors.js'

/** Kind of every /parley/msg frame. */
export const MSG_FRAME_KIND = 'parley/msg-frame'
/** The one frame version this code speaks. */
export const MSG_FRAME_VERSION = 1

/** Why a receiver did not commit a message. */
export type NackReason = 'refused' | 'retry'
const NACK_REASONS: readonly NackReason[] = ['refused', 'retry']

/** The codes an Error frame may carry: the receiver's typed refusals of a stream. */
export const WIRE_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'PEER_NOT_AUTHENTICATED',
  'FRAME_TOO_LARGE',
  'FRAME_MALFORMED',
  'DECODE_FAILED',
  'DECODE_TOO_LARGE',
  'DECODE_TOO_DEEP',
  'DECODE_NOT_CANONICAL',
  'DECODE_SCHEMA',
  'LIMIT_EXCEEDED',
  'MSG_PROTOCOL_VIOLATION',
  'NETWORK_TIMEOUT',
])
const MAX_CODE_BYTES = 64
const MAX_TYPE_BYTES = 8

export type MsgFrame =
  | { type: 'msg'; id: Uint8Array; envelope: Uint8Array }
  | { type: 'ack'; id: Uint8Array }
  | { type: 'nack'; id: Uint8Array; reason: NackReason }
  | { type: 'err'; code: ErrorCode }

const LIMITS = { maxBytes: MSG_MAX_FRAME_BYTES }

/** Encodes one frame body (without its length prefix). */
export function encodeMsgFrame(frame: MsgFrame): Uint8Array {
  let body: CborValue
  switch (frame.type) {
    case 'msg':
      if (!(frame.id instanceof Uint8Array) || frame.id.length !== MSG_ID_LENGTH) throw new ParleyError('INVALID_ARGUMENT', 'msg frame: bad id')
      if (!(frame.envelope instanceof Uint8Array) || frame.envelope.length === 0 || frame.envelope.length > MSG_MAX_ENVELOPE_BYTES) {
        throw new ParleyError('INVALID_ARGUMENT', `msg frame: the envelope must be 1..${MSG_MAX_ENVELOPE_BYTES} bytes`)
      }
      body = { t: 'msg', i: frame.id, e: frame.envelope }
      break
    case 'ack':
      body = { t: 'ack', i: frame.id }
      break
    case 'nack':
      body = { t: 'nack', i: frame.id, r: frame.reason }
      break
    case 'err':
      if (!WIRE_ERROR_CODES.has(frame.code)) throw new ParleyError('INVALID_ARGUMENT', `msg frame: ${frame.code} is not a wire error code`)
      body = { t: 'err', c: frame.code }
      break
  }
  return encodeVersioned(MSG_FRAME_KIND, MSG_FRAME_VERSION, body, LIMITS)
}

/**
 * Decodes one frame body. Malformed CBOR keeps its DECODE_* code; another
 * kind or version, an unknown type, a missing or extra field, a bad id,
 * envelope, reason or code is DECODE_SCHEMA.
 */
export function decodeMsgFrame(bytes: Uint8Array): MsgFrame {
  const what = 'msg frame'
  if (bytes.length > MSG_MAX_FRAME_BYTES) throw new ParleyError('DECODE_TOO_LARGE', `${what}: longer than ${MSG_MAX_FRAME_BYTES} bytes`)
  const body = asMap(decodeVersioned(bytes, MSG_FRAME_KIND, [MSG_FRAME_VERSION], LIMITS), what)
  const type = getText(body, 't', what, MAX_TYPE_BYTES)
  const idBounds = { length: MSG_ID_LENGTH }
  switch (type) {
    case 'msg':
      expectKeys(body, ['e', 'i', 't'], [], what)
      return { type, id: getBytes(body, 'i', what, idBounds), envelope: getBytes(body, 'e', what, { min: 1, max: MSG_MAX_ENVELOPE_BYTES }) }
    case 'ack':
      expectKeys(body, ['i', 't'], [], what)
      return { type, id: getBytes(body, 'i', what, idBounds) }
    case 'nack': {
      expectKeys(body, ['i', 'r', 't'], [], what)
      const reason = getText(body, 'r', what, MAX_TYPE_BYTES)
      if (!(NACK_REASONS as readonly string[]).includes(reason)) throw new ParleyError('DECODE_SCHEMA', `${what}: unknown nack reason`)
      return { type, id: getBytes(body, 'i', what, idBounds), reason: reason as NackReason }
    }
    case 'err': {
      expectKeys(body, ['c', 't'], [], what)
      const code = getText(body, 'c', what, MAX_CODE_BYTES)
      if (!WIRE_ERROR_CODES.has(code as ErrorCode)) throw new ParleyError('DECODE_SCHEMA', `${what}: unknown error code`)
      return { type, code: code as ErrorCode }
    }
    default:
      throw new ParleyError('DECODE_SCHEMA', `${what}: unknown frame type`)
  }
}
