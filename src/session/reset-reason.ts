/**
 * Why a session was reset (DESIGN.md §6: "the user sees why it happened"):
 * a closed list of reason codes that travel on the wire (in the sealed reset
 * deposit and in reset notices), each with an optional free text from the
 * side that reset, and the sentence an application shows a person.
 */
import { RESET_REASON_TEXT_MAX_BYTES } from '../constants.js'
import { asText, expectKeys, getText, optional } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { ParleyError } from '../errors.js'

/**
 * - `user-request`: a person asked for a fresh session;
 * - `rollback-detected`: a message showed the peer's state was restored from
 *   an older copy (RATCHET_ROLLBACK_DETECTED);
 * - `decrypt-failures`: several messages in a row from the peer's active
 *   session could not be decrypted;
 * - `key-compromise`: a device or key is believed compromised;
 * - `other`: anything else (see the text).
 */
export type ResetCode = 'user-request' | 'rollback-detected' | 'decrypt-failures' | 'key-compromise' | 'other'
export const RESET_CODES: readonly ResetCode[] = ['user-request', 'rollback-detected', 'decrypt-failures', 'key-compromise', 'other']

/** A reset reason: its code and an optional text (empty when none). */
export interface ResetReason {
  code: ResetCode
  text: string
}

const RESET_CODE_MAX_BYTES = 32

/** Checks a reason given by a caller: INVALID_ARGUMENT for an unknown code or a text that is too long. */
export function checkResetReason(reason: ResetReason): ResetReason {
  if (reason === null || typeof reason !== 'object' || !RESET_CODES.includes(reason.code)) {
    throw new ParleyError('INVALID_ARGUMENT', `reset: the reason code must be one of ${RESET_CODES.join(', ')}`)
  }
  try {
    return { code: reason.code, text: asText(reason.text ?? '', 'reset reason', RESET_REASON_TEXT_MAX_BYTES) }
  } catch (err) {
    throw new ParleyError('INVALID_ARGUMENT', `reset: the reason text must be at most ${RESET_REASON_TEXT_MAX_BYTES} bytes without control characters`, { cause: err })
  }
}

/** The wire form `{ c: code, x?: text }`. */
export function encodeResetReason(reason: ResetReason): CborMap {
  return reason.text === '' ? { c: reason.code } : { c: reason.code, x: reason.text }
}

/** Strict inverse of `encodeResetReason` (DECODE_SCHEMA for an unknown code). */
export function decodeResetReason(m: CborMap, what: string): ResetReason {
  expectKeys(m, ['c'], ['x'], what)
  const code = getText(m, 'c', what, RESET_CODE_MAX_BYTES)
  if (!RESET_CODES.includes(code as ResetCode)) throw new ParleyError('DECODE_SCHEMA', `${what}: unknown reset reason`)
  return { code: code as ResetCode, text: optional(m, 'x', (mm, k) => getText(mm, k, what, RESET_REASON_TEXT_MAX_BYTES)) ?? '' }
}

const SENTENCES: Record<ResetCode, string> = {
  'user-request': 'was asked for',
  'rollback-detected': 'was needed because a message showed that one side had been restored from an older copy of its data (a backup or a rollback), so the old session could no longer be trusted',
  'decrypt-failures': 'was needed because several messages in a row could not be decrypted',
  'key-compromise': 'was needed because a device or key was reported as compromised',
  'other': 'was requested',
}

/**
 * The sentence a person reads, e.g. "Your conversation with did:parley:… was
 * restarted with new keys by you: this was needed because several messages in a
 * row could not be decrypted." `by` says which side reset.
 *
 * @example
 * resetSentence({ code: 'rollback-detected', text: '' }, { peer: bob, by: 'peer' })
 */
export function resetSentence(reason: ResetReason, opts: { peer: string; by: 'me' | 'peer' }): string {
  const who = opts.by === 'me' ? 'you' : 'them'
  const base = `Your conversation with ${opts.peer} was restarted with new keys by ${who}; the restart ${SENTENCES[reason.code]}.`
  return reason.text === '' ? base : `${base} Note: "${reason.text}"`
}
