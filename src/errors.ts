/**
 * The one error type of Parley. Every expected failure — bad input from the
 * network, a file or a user; a refused signature; a policy that says no — is a
 * `ParleyError` with a stable string `code` and a one-line `message`. Callers
 * and tests branch on `code`, never on message text. A lower-level error is
 * always chained as `cause`.
 *
 * On the wire, every decrypt or authentication failure uses the single opaque
 * code `DECRYPT_FAILED` / `AUTH_FAILED`; detail goes to debug logs only.
 */

/** Every error code, grouped by layer. Adding a code means adding it here. */
export const ErrorCodes = [
  // generic misuse and input
  'INVALID_ARGUMENT',
  'UNSUPPORTED',
  'INTERNAL',
  // crypto
  'KEY_INVALID',
  'KEY_TYPE_MISMATCH',
  'DECRYPT_FAILED',
  'KEM_FAILED',
  'X25519_ZERO_SHARED',
  'KDF_PARAMS_INVALID',
  // codec
  'DECODE_FAILED',
  'DECODE_TOO_LARGE',
  'DECODE_TOO_DEEP',
  'DECODE_NOT_CANONICAL',
  'DECODE_SCHEMA',
  'ENCODE_FAILED',
  // identity
  'DID_INVALID',
  'DID_NOT_FOUND',
  'DID_METHOD_UNSUPPORTED',
  'KEL_EMPTY',
  'KEL_TOO_LONG',
  'KEL_INCEPTION_INVALID',
  'KEL_ID_MISMATCH',
  'KEL_SEQUENCE_INVALID',
  'KEL_CHAIN_BROKEN',
  'KEL_SIGNATURE_INVALID',
  'KEL_ROTATED_KEY',
  'KEL_PREROTATION_MISMATCH',
  'KEL_ROLLBACK',
  'KEL_DUPLICITY',
  'KEL_EVENT_INVALID',
  'GROUP_NOT_MEMBER',
  'GROUP_MEMBER_EXISTS',
  'GROUP_PROOF_INVALID',
  // credentials
  'VC_MALFORMED',
  'VC_SIGNATURE_INVALID',
  'VC_PQ_SIGNATURE_MISSING',
  'VC_PQ_SIGNATURE_INVALID',
  'VC_EXPIRED',
  'VC_NOT_YET_VALID',
  'VC_TOO_OLD',
  'VC_UNTRUSTED_ISSUER',
  'VC_TYPE_NOT_ACCEPTED',
  'VC_SUBJECT_MISMATCH',
  'VP_MALFORMED',
  'VP_SIGNATURE_INVALID',
  'VP_AUDIENCE_MISMATCH',
  'VP_NONCE_MISMATCH',
  'VP_EXPIRED',
  'VP_NOT_YET_VALID',
  // sessions: prekeys, PQXDH, ratchet, invites, resets, introductions
  'PREKEY_UNKNOWN',
  'PREKEY_USED',
  'PREKEY_EXHAUSTED',
  'BUNDLE_INVALID',
  'SESSION_WRONG_RECIPIENT',
  'SESSION_REPLAY',
  'SESSION_DOWNGRADE',
  'SESSION_NOT_FOUND',
  'SESSION_SENDER_MISMATCH',
  'SESSION_STATE_INVALID',
  'SESSION_VERSION_UNSUPPORTED',
  'RATCHET_DUPLICATE',
  'RATCHET_TOO_FAR_AHEAD',
  'RATCHET_CHAIN_EXHAUSTED',
  'RATCHET_ROLLBACK_DETECTED',
  'INVITE_INVALID',
  'INVITE_EXPIRED',
  'INVITE_USED',
  'INVITE_DIGEST_MISMATCH',
  'INVITE_TOO_LARGE',
  'RESET_INVALID',
  'INTRODUCTION_REFUSED',
  'INTRODUCTION_INVALID',
  // storage and CLI
  'STORE_LOCKED',
  'STORE_CORRUPT',
  'STORE_NOT_FOUND',
  'STORE_EXISTS',
  'PASSPHRASE_REQUIRED',
  'PASSPHRASE_WRONG',
  'IO_FAILED',
  // network: framing and limits (shared)
  'FRAME_TOO_LARGE',
  'FRAME_MALFORMED',
  'NETWORK_TIMEOUT',
  'NETWORK_CLOSED',
  'LIMIT_EXCEEDED',
  'PEER_NOT_AUTHENTICATED',
  // network: node (helper node)
  'NODE_START_FAILED',
  'PEER_INFO_MISSING',
  'PEER_INFO_INVALID',
  // network: auth (helper auth)
  'AUTH_PROTOCOL',
  'AUTH_VERSION_UNSUPPORTED',
  'AUTH_REPLAY',
  'AUTH_PEER_ID_MISMATCH',
  'AUTH_TIMEOUT',
  'AUTH_RATE_LIMITED',
  'AUTH_GROUP_KEY_INVALID',
  'AUTH_CREDENTIAL_REQUIRED',
  'AUTH_FAILED',
  // network: messages (helper msg)
  'MSG_REFUSED',
  'MSG_RETRY_LATER',
  'MSG_EXPIRED',
  'MSG_RETRIES_EXHAUSTED',
  'MSG_PEER_UNREACHABLE',
  'MSG_PROTOCOL_VIOLATION',
  // network: files (helper blob)
  'BLOB_OFFER_INVALID',
  'BLOB_NOT_FOUND',
  'BLOB_CANCELLED',
  'BLOB_HASH_MISMATCH',
  'BLOB_SOURCE_CHANGED',
  'BLOB_PROTOCOL_VIOLATION',
  'BLOB_DEST_EXISTS',
  // db (helper E)
  'STORE_CLOSED',
  'STORE_VERSION_UNSUPPORTED',
  // cli and agent (helper F)
  'RPC_MALFORMED',
  'RPC_TOO_LARGE',
  'RPC_UNKNOWN_METHOD',
  'RPC_BUSY',
  'RPC_CLOSED',
  'DAEMON_RUNNING',
  'TERMINAL_REQUIRED',
] as const

export type ErrorCode = (typeof ErrorCodes)[number]

export interface ParleyErrorOptions {
  cause?: unknown
}

export class ParleyError extends Error {
  override readonly name = 'ParleyError'
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options: ParleyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }

  /** A JSON shape for `--json` output and logs: never includes the cause chain. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message }
  }
}

/** True when `err` is a ParleyError, optionally with the given code. */
export function isParleyError(err: unknown, code?: ErrorCode): err is ParleyError {
  return err instanceof ParleyError && (code === undefined || err.code === code)
}

/** Wraps any thrown value in a ParleyError with `code`, keeping ParleyErrors as they are. */
export function wrapError(err: unknown, code: ErrorCode, message: string): ParleyError {
  if (err instanceof ParleyError) return err
  return new ParleyError(code, message, { cause: err })
}

/** The one message of every decrypt or authentication failure on the wire (no detail: STYLE rule 6). */
export const DECRYPT_FAILED_MESSAGE = 'decryption failed'

/** The opaque error for any decrypt or authentication failure; detail only in `cause`. */
export function decryptFailed(cause?: unknown): ParleyError {
  return new ParleyError('DECRYPT_FAILED', DECRYPT_FAILED_MESSAGE, cause === undefined ? {} : { cause })
}
