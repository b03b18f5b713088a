/**
 * The frames of /parley/blob/1.0.0 (protocol diagram in blob.ts). Each frame body starts
 * with one type byte:
 *
 *   0x00 ‖ sealed chunk      the next STREAM chunk (stream-seal.ts); its index is implicit (chunks come in order)
 *   0x01 ‖ CBOR message      a control message, `parley/blob-msg` v1:
 *
 * | t        | fields                         | direction             | meaning                                        |
 * | -------- | ------------------------------ | --------------------- | ---------------------------------------------- |
 * | `req`    | i: transfer id, f: from, c: credit | receiver → sender | send chunks f.. ; c chunks may be sent now     |
 * | `credit` | c: chunks                      | receiver → sender     | c more chunks may be sent                       |
 * | `cancel` | r: reason, i?: transfer id     | either                | the transfer is cancelled (i: a notice stream) |
 * | `error`  | e: code                        | either                | the transfer cannot go on (see BLOB_WIRE_ERRORS) |
 * | `done`   | —                              | receiver → sender     | every chunk verified, hash matched, file in place |
 *
 * Chunks skip the codec so a gigabyte is not copied through it; control
 * messages are small (BLOB_CONTROL_MAX_BYTES) and decoded strictly. Pure.
 */
import { BLOB_MAX_CHUNKS, BLOB_TRANSFER_ID_LENGTH } from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, getText, getUint } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { asCancelReason } from './file-offer.js'
import type { CancelReason } from './file-offer.js'

export const BLOB_MESSAGE_KIND = 'parley/blob-msg'
export const BLOB_MESSAGE_VERSION = 1
/** First byte of a chunk frame. */
export const FRAME_TYPE_CHUNK = 0x00
/** First byte of a control frame. */
export const FRAME_TYPE_CONTROL = 0x01

/** Why a transfer stream stops, told to the other side, and the local code each maps to. */
export const BLOB_WIRE_ERRORS = {
  /** No such transfer for this peer (unknown, finished, or offered to someone else: one answer for all). */
  'not-found': 'BLOB_NOT_FOUND',
  /** The sender's file no longer matches the offer. */
  'source-changed': 'BLOB_SOURCE_CHANGED',
  /** Too many transfers at once: try later. */
  busy: 'LIMIT_EXCEEDED',
  /** The peer broke the protocol (bad request, too much credit, unexpected frame). */
  protocol: 'BLOB_PROTOCOL_VIOLATION',
  /** The receiver's hash of the whole file did not match the offer. */
  'hash-mismatch': 'BLOB_HASH_MISMATCH',
} as const satisfies Record<string, ErrorCode>
export type BlobWireError = keyof typeof BLOB_WIRE_ERRORS

export type BlobMessage =
  | { t: 'req'; transferId: Uint8Array; from: number; credit: number }
  | { t: 'credit'; chunks: number }
  | { t: 'cancel'; reason: CancelReason; transferId?: Uint8Array }
  | { t: 'error'; error: BlobWireError }
  | { t: 'done' }

function body(msg: BlobMessage): CborMap {
  switch (msg.t) {
    case 'req':
      return { t: 'req', i: msg.transferId, f: msg.from, c: msg.credit }
    case 'credit':
      return { t: 'credit', c: msg.chunks }
    case 'cancel':
      return msg.transferId === undefined ? { t: 'cancel', r: msg.reason } : { t: 'cancel', r: msg.reason, i: msg.transferId }
    case 'error':
      return { t: 'error', e: msg.error }
    case 'done':
      return { t: 'done' }
  }
}

/** A control frame body: FRAME_TYPE_CONTROL ‖ the encoded message. */
export function encodeBlobMessage(msg: BlobMessage): Uint8Array {
  const cbor = encodeVersioned(BLOB_MESSAGE_KIND, BLOB_MESSAGE_VERSION, body(msg))
  const out = new Uint8Array(1 + cbor.length)
  out[0] = FRAME_TYPE_CONTROL
  out.set(cbor, 1)
  return out
}

/** Decodes a control frame body (with its type byte): DECODE_* or BLOB_PROTOCOL_VIOLATION on anything else. */
export function decodeBlobMessage(frame: Uint8Array): BlobMessage {
  if (frame.length < 2 || frame[0] !== FRAME_TYPE_CONTROL) throw new ParleyError('BLOB_PROTOCOL_VIOLATION', 'blob: expected a control frame')
  const what = 'blob message'
  const m = asMap(decodeVersioned(frame.subarray(1), BLOB_MESSAGE_KIND, [BLOB_MESSAGE_VERSION]), what)
  const t = getText(m, 't', what, 16)
  switch (t) {
    case 'req':
      expectKeys(m, ['t', 'i', 'f', 'c'], [], what)
      return {
        t,
        transferId: getBytes(m, 'i', what, { length: BLOB_TRANSFER_ID_LENGTH }),
        from: getUint(m, 'f', what, BLOB_MAX_CHUNKS),
        credit: getUint(m, 'c', what, BLOB_MAX_CHUNKS),
      }
    case 'credit':
      expectKeys(m, ['t', 'c'], [], what)
      return { t, chunks: getUint(m, 'c', what, BLOB_MAX_CHUNKS) }
    case 'cancel': {
      expectKeys(m, ['t', 'r'], ['i'], what)
      const reason = asCancelReason(getText(m, 'r', what, 32), `${what}.r`)
      return Object.hasOwn(m, 'i') ? { t, reason, transferId: getBytes(m, 'i', what, { length: BLOB_TRANSFER_ID_LENGTH }) } : { t, reason }
    }
    case 'error': {
      expectKeys(m, ['t', 'e'], [], what)
      const e = getText(m, 'e', what, 32)
      if (!Object.hasOwn(BLOB_WIRE_ERRORS, e)) throw new ParleyError('DECODE_SCHEMA', `${what}.e: unknown error`)
      return { t, error: e as BlobWireError }
    }
    case 'done':
      expectKeys(m, ['t'], [], what)
      return { t }
    default:
      throw new ParleyError('DECODE_SCHEMA', `${what}.t: unknown type`)
  }
}

/** The local error for a wire error received from the peer. */
export function wireErrorToParley(error: BlobWireError): ParleyError {
  return new ParleyError(BLOB_WIRE_ERRORS[error], `blob: the peer stopped the transfer (${error})`)
}
