/**
 * Session reset, the pure part (DESIGN.md §6; docs/sessions.md "Reset"):
 * the sealed deposit a side leaves at its peer's reset rendezvous, and the
 * tie-break when both sides reset at once. The flow that uses them is
 * reset-flow.ts.
 *
 * A deposit is `sealTo(peer's current agreement key, LABELS.resetSeal,
 * aad = the rendezvous id, parley/reset-deposit v1 { i: full invite, y:
 * reason })`: only the peer can open it, it opens only at the rendezvous it
 * was made for, and the invite inside (purpose `reset`, audience the peer,
 * signed by the resetting side's current key) authenticates its sender.
 */
import { LABELS, RENDEZVOUS_ID_LENGTH, RESET_DEPOSIT_MAX_BYTES, INVITE_FULL_MAX_BYTES } from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, getMap } from '../codec/index.js'
import { openSealed, sealTo } from '../crypto/sealed-box.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError, decryptFailed } from '../errors.js'
import type { IdentitySecrets, KeyState } from '../identity/index.js'
import { decodeResetReason, encodeResetReason } from './reset-reason.js'
import type { ResetReason } from './reset-reason.js'
import { didBefore } from './session-ops.js'

export const RESET_DEPOSIT_KIND = 'parley/reset-deposit'
const VERSION = 1

/** What a deposit holds. */
export interface ResetContent {
  /** A full invite: purpose `reset`, audience the recipient. */
  invite: Uint8Array
  reason: ResetReason
}

function checkRendezvous(rendezvous: Uint8Array): void {
  if (!(rendezvous instanceof Uint8Array) || rendezvous.length !== RENDEZVOUS_ID_LENGTH) {
    throw new ParleyError('INVALID_ARGUMENT', `reset: a rendezvous id is ${RENDEZVOUS_ID_LENGTH} bytes`)
  }
}

/** The plaintext of a deposit. */
export function encodeResetContent(c: ResetContent): Uint8Array {
  return encodeVersioned(RESET_DEPOSIT_KIND, VERSION, { i: c.invite, y: encodeResetReason(c.reason) }, { maxBytes: RESET_DEPOSIT_MAX_BYTES })
}

/** Strict inverse of `encodeResetContent`: RESET_INVALID (cause chained) for anything malformed. */
export function decodeResetContent(bytes: Uint8Array): ResetContent {
  const w = 'reset deposit'
  try {
    const m = asMap(decodeVersioned(bytes, RESET_DEPOSIT_KIND, [VERSION], { maxBytes: RESET_DEPOSIT_MAX_BYTES }), w)
    expectKeys(m, ['i', 'y'], [], w)
    return { invite: getBytes(m, 'i', w, { min: 1, max: INVITE_FULL_MAX_BYTES }), reason: decodeResetReason(getMap(m, 'y', w), `${w}.y`) }
  } catch (err) {
    throw new ParleyError('RESET_INVALID', `${w}: malformed`, { cause: err })
  }
}

/**
 * Seals a reset for `peer` (its current key state) at `rendezvous`.
 *
 * @example
 * const bytes = sealReset(suite, { peer: bobState, rendezvous, content: { invite, reason } })
 */
export function sealReset(suite: Suite, opts: { peer: KeyState; rendezvous: Uint8Array; content: ResetContent }): Uint8Array {
  checkRendezvous(opts.rendezvous)
  const key = opts.peer.agreementKeys[0]
  if (key === undefined) throw new ParleyError('KEY_INVALID', 'reset: the peer has no agreement key')
  return sealTo(suite, key, LABELS.resetSeal, opts.rendezvous, encodeResetContent(opts.content))
}

/**
 * Opens a deposit found at our `rendezvous` with our agreement keys (the
 * current ones; the deposit was sealed to the first). DECRYPT_FAILED when
 * none opens it (not for us, or moved from another rendezvous),
 * DECODE_TOO_LARGE past RESET_DEPOSIT_MAX_BYTES, RESET_INVALID for a
 * malformed content.
 */
export function openReset(suite: Suite, ours: { state: KeyState; secrets: IdentitySecrets }, rendezvous: Uint8Array, box: Uint8Array): ResetContent {
  checkRendezvous(rendezvous)
  if (!(box instanceof Uint8Array)) throw new ParleyError('INVALID_ARGUMENT', 'reset: expected bytes')
  if (box.length > RESET_DEPOSIT_MAX_BYTES) throw new ParleyError('DECODE_TOO_LARGE', `reset: a deposit is at most ${RESET_DEPOSIT_MAX_BYTES} bytes`)
  let last: unknown
  for (let i = 0; i < ours.state.agreementKeys.length; i++) {
    const publicKey = ours.state.agreementKeys[i] as Uint8Array
    const secretKey = ours.secrets.agreement[i]
    if (secretKey === undefined) break
    let plaintext: Uint8Array
    try {
      plaintext = openSealed(suite, secretKey, publicKey, LABELS.resetSeal, rendezvous, box)
    } catch (err) {
      last = err
      continue
    }
    return decodeResetContent(plaintext)
  }
  throw decryptFailed(last)
}

/**
 * The tie-break when both sides reset one session at once: the reset
 * created by the smaller DID wins; the other side drops its own.
 */
export function resetWinner(a: string, b: string): string {
  return didBefore(a, b) ? a : b
}
