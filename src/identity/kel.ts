/**
 * Verification of a `did:parley` key-event log (docs/identity.md
 * "Verification"): the inception digest is the DID, every later event links
 * to its predecessor by digest and sequence, every rotation reveals the key
 * committed to before (pre-rotation), and every event carries a valid hybrid
 * signature by the key current for it. Each refusal has its own code. Also
 * here: `verifySignedBy` for signatures outside the log (current key only;
 * a rotated-out key is KEL_ROTATED_KEY) and `compareKels`, which finds a fork
 * between two copies of one log.
 *
 * Cost: one hybrid verification per event (ML-DSA-65 dominates) plus two
 * SHA-256 per event; the failure path alone tries rotated-out keys (the
 * newest KEL_ROTATED_KEY_LOOKBACK of them).
 */

import { KEL_MAX_EVENTS, KEL_ROTATED_KEY_LOOKBACK, LABELS } from '../constants.js'
import { bytesEqual } from '../codec/index.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError, isParleyError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { formatDid } from './did.js'
import { decodeEvent } from './events.js'
import type { RotationEvent, UpdateEvent } from './events.js'
import { decodeKel } from './log.js'
import type { Kel, KelEntry } from './log.js'
import { checkLink, inceptionState, nextState } from './state.js'
import type { KeyState, SeenRecord } from './state.js'

export interface VerifyKelOptions {
  /** What this verifier saw of the log before: shorter is KEL_ROLLBACK, another event at that sequence KEL_DUPLICITY. */
  seen?: SeenRecord
  /** The DID the log must belong to (KEL_ID_MISMATCH otherwise). */
  expectedDid?: string
}

/** True when `signature` is a valid hybrid signature; a malformed signature is simply false. */
function signedBy(suite: Suite, key: Uint8Array, label: string, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return suite.verify(key, label, message, signature)
  } catch (err) {
    if (isParleyError(err, 'KEY_INVALID') || isParleyError(err, 'KEY_TYPE_MISMATCH')) {
      return false
    }
    throw err
  }
}

/**
 * Refuses `signature` unless it verifies under `key`: KEL_ROTATED_KEY when it
 * verifies under one of `earlier` instead, KEL_SIGNATURE_INVALID otherwise.
 */
function requireSignature(
  suite: Suite,
  key: Uint8Array,
  earlier: readonly Uint8Array[],
  label: string,
  message: Uint8Array,
  signature: Uint8Array,
  what: string,
): void {
  if (signedBy(suite, key, label, message, signature)) return
  // Diagnosis only, on the failure path: bounded so a bad signature cannot cost one verification per rotation ever made.
  for (let i = earlier.length - 1; i >= Math.max(0, earlier.length - KEL_ROTATED_KEY_LOOKBACK); i--) {
    if (signedBy(suite, earlier[i] as Uint8Array, label, message, signature)) {
      throw new ParleyError('KEL_ROTATED_KEY', `${what}: signed by a rotated-out key`)
    }
  }
  throw new ParleyError('KEL_SIGNATURE_INVALID', `${what}: signature does not verify`)
}

function decodeAs(code: ErrorCode, bytes: Uint8Array, index: number): ReturnType<typeof decodeEvent> {
  try {
    return decodeEvent(bytes)
  } catch (err) {
    throw new ParleyError(code, `kel: event ${index} is malformed`, { cause: err })
  }
}

/** Verifies entry 0 and returns the identity's first state. */
function verifyInception(suite: Suite, entry: KelEntry, expectedDid: string | undefined): KeyState {
  const ev = decodeAs('KEL_INCEPTION_INVALID', entry.event, 0)
  if (ev.type !== 'icp') throw new ParleyError('KEL_INCEPTION_INVALID', 'kel: the first event is not an inception')
  const did = formatDid(suite.digest(LABELS.didInception, entry.event))
  if (expectedDid !== undefined && did !== expectedDid) {
    throw new ParleyError('KEL_ID_MISMATCH', 'kel: inception digest does not match the expected DID')
  }
  requireSignature(suite, ev.signingKey, [], LABELS.kelEvent, entry.event, entry.signature, 'kel: inception')
  return inceptionState(did, suite.digest(LABELS.eventDigest, entry.event), ev)
}

/**
 * The state after one more entry on top of an already verified `state`
 * (incremental verification, e.g. new events since a seen record). Does
 * not mutate `state`.
 *
 * @example
 * const newer = verifyKelEntry(suite, state, { event, signature })
 */
export function verifyKelEntry(suite: Suite, state: KeyState, entry: KelEntry): KeyState {
  const index = state.sequence + 1
  const decoded = decodeAs('KEL_EVENT_INVALID', entry.event, index)
  if (decoded.type === 'icp') throw new ParleyError('KEL_EVENT_INVALID', `kel: event ${index} is a second inception`)
  const ev: RotationEvent | UpdateEvent = decoded
  checkLink(state, ev)
  let key = state.signingKey
  let earlier = state.rotatedKeys
  if (ev.type === 'rot') {
    if (!bytesEqual(suite.digest(LABELS.nextKeyCommitment, ev.signingKey), state.nextCommitment)) {
      throw new ParleyError('KEL_PREROTATION_MISMATCH', `kel: event ${index} reveals a key that was not committed to`)
    }
    key = ev.signingKey
    earlier = [...state.rotatedKeys, state.signingKey]
  }
  requireSignature(suite, key, earlier, LABELS.kelEvent, entry.event, entry.signature, `kel: event ${index}`)
  return nextState(state, ev, suite.digest(LABELS.eventDigest, entry.event))
}

/**
 * Verifies a whole KEL (entries, or its `parley/kel` encoding) and returns
 * the current key state. Refusals, each a ParleyError code: KEL_EMPTY,
 * KEL_TOO_LONG, KEL_INCEPTION_INVALID, KEL_ID_MISMATCH, KEL_SEQUENCE_INVALID,
 * KEL_CHAIN_BROKEN, KEL_SIGNATURE_INVALID, KEL_ROTATED_KEY,
 * KEL_PREROTATION_MISMATCH, KEL_EVENT_INVALID, and with `opts.seen`
 * KEL_ROLLBACK and KEL_DUPLICITY; malformed bytes keep their DECODE_* code.
 *
 * @example
 * const state = verifyKel(suite, kelBytes, { expectedDid, seen })
 * store.saveSeen({ did: state.did, sequence: state.sequence, digest: state.digest })
 */
export function verifyKel(suite: Suite, kel: Kel | Uint8Array, opts: VerifyKelOptions = {}): KeyState {
  const entries: Kel = kel instanceof Uint8Array ? decodeKel(kel) : kel
  if (entries.length === 0) throw new ParleyError('KEL_EMPTY', 'kel: no events')
  if (entries.length > KEL_MAX_EVENTS) throw new ParleyError('KEL_TOO_LONG', `kel: more than ${KEL_MAX_EVENTS} events`)
  const seen = opts.seen
  let state = verifyInception(suite, entries[0] as KelEntry, opts.expectedDid)
  if (seen !== undefined && seen.did !== state.did) {
    throw new ParleyError('KEL_ID_MISMATCH', 'kel: the seen record belongs to another DID')
  }
  const checkSeen = (): void => {
    if (seen !== undefined && seen.sequence === state.sequence && !bytesEqual(seen.digest, state.digest)) {
      throw new ParleyError('KEL_DUPLICITY', `kel: event ${state.sequence} differs from the one seen before`)
    }
  }
  checkSeen()
  for (let i = 1; i < entries.length; i++) {
    state = verifyKelEntry(suite, state, entries[i] as KelEntry)
    checkSeen()
  }
  if (seen !== undefined && state.sequence < seen.sequence) {
    throw new ParleyError('KEL_ROLLBACK', `kel: ends at event ${state.sequence}, event ${seen.sequence} was seen before`)
  }
  return state
}

/**
 * Checks a signature made outside the KEL (a handshake, a presentation, a
 * prekey) against the identity's current signing key. Throws
 * KEL_ROTATED_KEY when it verifies only under a rotated-out key, and
 * KEL_SIGNATURE_INVALID otherwise.
 *
 * @example
 * verifySignedBy(suite, peerState, LABELS.vpSignature, payload, signature)
 */
export function verifySignedBy(suite: Suite, state: KeyState, label: string, message: Uint8Array, signature: Uint8Array): void {
  requireSignature(suite, state.signingKey, state.rotatedKeys, label, message, signature, `signature by ${state.did}`)
}

/** How two copies of one log relate when neither is a fork of the other. */
export type KelRelation = 'equal' | 'a-extends-b' | 'b-extends-a'

/**
 * Compares two copies of a log event by event (byte equality of the event
 * bytes; signatures may differ, ML-DSA signs with fresh randomness). Throws
 * KEL_ID_MISMATCH when the inceptions differ (two identities), KEL_DUPLICITY
 * at the first sequence where they hold different events (a fork: evidence
 * of a compromised or duplicitous controller when both copies verify, so
 * verify both first). Otherwise says which one is newer.
 *
 * @example
 * compareKels(cachedKel, fetchedKel) // 'b-extends-a': adopt the fetched one
 */
export function compareKels(a: Kel | Uint8Array, b: Kel | Uint8Array): KelRelation {
  const x = a instanceof Uint8Array ? decodeKel(a) : a
  const y = b instanceof Uint8Array ? decodeKel(b) : b
  if (x.length === 0 || y.length === 0) throw new ParleyError('KEL_EMPTY', 'compareKels: no events')
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    if (bytesEqual((x[i] as KelEntry).event, (y[i] as KelEntry).event)) continue
    if (i === 0) throw new ParleyError('KEL_ID_MISMATCH', 'compareKels: the logs have different inceptions')
    throw new ParleyError('KEL_DUPLICITY', `compareKels: the logs fork at event ${i}`)
  }
  if (x.length === y.length) return 'equal'
  return x.length > y.length ? 'a-extends-b' : 'b-extends-a'
}
