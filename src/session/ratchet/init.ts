/**
 * Ratchet initialization from the PQXDH result (Signal's Double Ratchet
 * §4.3 RatchetInitAliceHE / RatchetInitBobHE, §7.2 for the shared secret and
 * associated data coming from the key agreement):
 *
 * - SK → kdfInit → RK₀, shared_hka, shared_nhkb (kdf.ts).
 * - Initiator (Alice): DHr = the responder's signed prekey, HKs = shared_hka
 *   (as NHKs until the first send, which makes the DH step), NHKr =
 *   shared_nhkb. She holds no ML-KEM key of the responder: her first
 *   sending chain offers one of hers, and the responder's first reply is
 *   the session's first KEM step (docs/ratchet.md, "The KEM schedule").
 * - Responder (Bob): DHs = the signed prekey pair, NHKs = shared_nhkb, NHKr =
 *   shared_hka (the spec's assignment: the initiator's first header opens
 *   under NHKr and starts Bob's first receiving chain; with HKr = shared_hka
 *   it would land in a receiving chain that does not exist).
 *
 * Neither side needs randomness here: the initiator's first DH key is made by
 * its first `ratchetEncrypt`.
 */
import {
  RATCHET_KEM_INTERVAL,
  RATCHET_MAX_ASSOCIATED_DATA_BYTES,
  RATCHET_MAX_KEM_INTERVAL,
  RATCHET_SESSION_ID_LENGTH,
  RATCHET_SHARED_SECRET_LENGTH,
  X25519_KEY_LENGTH,
} from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { bytesEqual } from '../../codec/index.js'
import type { Suite } from '../../crypto/index.js'
import type { SecretKeyHandle } from '../../crypto/types.js'
import { kdfInit } from './kdf.js'
import { adoptKeyHandle, keyHandle } from './state.js'
import type { RatchetState } from './state.js'

/** What both sides share after PQXDH. */
export interface RatchetInitCommon {
  /** The PQXDH secret SK (32 bytes). */
  sharedSecret: Uint8Array
  /** The session id (16 bytes). */
  sessionId: Uint8Array
  /** Binds version, suite, both DIDs and the session id; fed to every AEAD. */
  associatedData: Uint8Array
}

export interface InitiatorInit extends RatchetInitCommon {
  /** The responder's signed prekey: X25519 public, raw 32 bytes. */
  theirRatchetKey: Uint8Array
}

export interface ResponderInit extends RatchetInitCommon {
  /**
   * The signed prekey pair: X25519, raw 32-byte keys; `handle` is the
   * backend handle of exactly `secretKey` when the caller has one (PQXDH's
   * responder does), else it is imported here.
   */
  ourRatchetKey: { secretKey: Uint8Array; publicKey: Uint8Array; handle?: SecretKeyHandle }
}

/** Options of the init functions. */
export interface InitOptions {
  /** Own DH steps between KEM steps (default RATCHET_KEM_INTERVAL; tests lower it). */
  kemInterval?: number
}

function bad(what: string): never {
  throw new ParleyError('INVALID_ARGUMENT', `ratchet init: ${what}`)
}

function isBytes(value: unknown, length?: number): value is Uint8Array {
  return value instanceof Uint8Array && (length === undefined || value.length === length)
}

function checkCommon(init: RatchetInitCommon, options: InitOptions): number {
  if (!isBytes(init.sharedSecret, RATCHET_SHARED_SECRET_LENGTH)) bad(`sharedSecret must be ${RATCHET_SHARED_SECRET_LENGTH} bytes`)
  if (!isBytes(init.sessionId, RATCHET_SESSION_ID_LENGTH)) bad(`sessionId must be ${RATCHET_SESSION_ID_LENGTH} bytes`)
  if (!isBytes(init.associatedData) || init.associatedData.length > RATCHET_MAX_ASSOCIATED_DATA_BYTES) {
    bad(`associatedData must be at most ${RATCHET_MAX_ASSOCIATED_DATA_BYTES} bytes`)
  }
  const interval = options.kemInterval ?? RATCHET_KEM_INTERVAL
  if (!Number.isSafeInteger(interval) || interval < 1 || interval > RATCHET_MAX_KEM_INTERVAL) bad(`kemInterval must be 1..${RATCHET_MAX_KEM_INTERVAL}`)
  return interval
}

function baseState(suite: Suite, init: RatchetInitCommon, kemInterval: number, initiator: boolean): RatchetState {
  const { rootKey, headerKeyA, nextHeaderKeyB } = kdfInit(suite, init.sharedSecret, init.sessionId)
  return {
    sessionId: init.sessionId.slice(),
    associatedData: init.associatedData.slice(),
    kemInterval,
    rootKey,
    sendPending: initiator,
    nextSendHeaderKey: initiator ? headerKeyA : nextHeaderKeyB,
    sendCount: 0,
    previousSendCount: 0,
    sendEpoch: 0,
    nextReceiveHeaderKey: initiator ? nextHeaderKeyB : headerKeyA,
    receiveCount: 0,
    receiveEpoch: 0,
    receiverChains: [],
    skipped: [],
    kemNextOfferId: 0,
    // the first KEM step comes as soon as possible
    kemStepsSince: kemInterval,
    kemStepsSent: 0,
    kemStepsReceived: 0,
  }
}

/**
 * The initiator's state after PQXDH (Alice). Its first `ratchetEncrypt`
 * makes the first DH step.
 *
 * @example
 * ```ts
 * const state = initInitiator(suite, { sharedSecret, sessionId, associatedData, theirRatchetKey: spkPublic })
 * const { state: next, message } = ratchetEncrypt(suite, state, firstPlaintext)
 * ```
 */
export function initInitiator(suite: Suite, init: InitiatorInit, options: InitOptions = {}): RatchetState {
  const kemInterval = checkCommon(init, options)
  if (!isBytes(init.theirRatchetKey, X25519_KEY_LENGTH)) bad(`theirRatchetKey must be ${X25519_KEY_LENGTH} bytes`)
  const state = baseState(suite, init, kemInterval, true)
  state.receiveRatchetKey = init.theirRatchetKey.slice()
  return state
}

/**
 * The responder's state after PQXDH (Bob), before it decrypts the
 * initiator's first message (which opens under NHKr and starts its first
 * receiving chain). It can send only after that.
 *
 * @example
 * ```ts
 * const state = initResponder(suite, { sharedSecret, sessionId, associatedData, ourRatchetKey: spk })
 * const { state: next, plaintext } = ratchetDecrypt(suite, state, firstMessage)
 * ```
 */
export function initResponder(suite: Suite, init: ResponderInit, options: InitOptions = {}): RatchetState {
  const kemInterval = checkCommon(init, options)
  const pair = init.ourRatchetKey
  if (!isBytes(pair?.secretKey, X25519_KEY_LENGTH) || !isBytes(pair.publicKey, X25519_KEY_LENGTH)) bad('ourRatchetKey must hold two 32-byte keys')
  const state = baseState(suite, init, kemInterval, false)
  state.sendRatchet = { secretKey: pair.secretKey.slice(), publicKey: pair.publicKey.slice() }
  if (pair.handle !== undefined) adoptKeyHandle(suite, state, state.sendRatchet.secretKey, 'x25519', pair.handle)
  // Imported once (or taken over): for this check and for the DH of the initiator's first message.
  const handle = keyHandle(suite, state, state.sendRatchet.secretKey, 'x25519')
  if (!bytesEqual(suite.backend.x25519PublicKey(handle), pair.publicKey)) bad('ourRatchetKey: the public key does not match the secret key')
  return state
}
