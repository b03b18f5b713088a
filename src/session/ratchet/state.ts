/**
 * The ratchet state (Signal's Double Ratchet §3.2 state variables, header
 * encryption variant §4.2, plus the KEM schedule of docs/ratchet.md), the
 * copy a new state is built from, a wipe, the per-state cache of backend key
 * handles, and the non-secret summary for tests and debugging. The state is
 * a plain value: `ratchetEncrypt`/`ratchetDecrypt` never change the one they
 * are given and return a new one; stores keep it as the opaque bytes of
 * `encodeRatchetState` (state-codec.ts).
 *
 * Differences from the spec's variables, on purpose:
 * - The new sending chain is created lazily at the first send after a DH
 *   step on receipt (`sendPending`), not during decryption: decryption then
 *   needs no randomness, and the KEM decision is taken when sending.
 * - Skipped keys are indexed by (receiving chain epoch, n); each remembered
 *   chain keeps its header key, ratchet key and final length, so a header is
 *   tried against at most RATCHET_MAX_RECEIVER_CHAINS + 2 header keys.
 */
import { toHex } from '../../codec/index.js'
import type { Suite } from '../../crypto/index.js'
import type { SecretKeyAlgorithm, SecretKeyHandle } from '../../crypto/types.js'

/** The key of a state's in-memory handle cache (`RatchetState[HANDLES]`). */
export const HANDLES: unique symbol = Symbol('parley/ratchet-state/handles')

/** An X25519 key pair, raw 32-byte keys. */
export interface RatchetKeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

/** A closed receiving chain we still remember. */
export interface ReceiverChain {
  /** The chain's number (1 = the peer's first sending chain). */
  epoch: number
  headerKey: Uint8Array
  /** The peer's ratchet public key of that chain. */
  ratchetKey: Uint8Array
  /** The chain's final length (the `pn` of the next chain's headers). */
  length: number
}

/** A skipped message key, kept until used or expired (FIFO). */
export interface SkippedKey {
  epoch: number
  n: number
  messageKey: Uint8Array
}

/** What every header of the current sending chain carries besides dh, pn, n. */
export interface SendingKem {
  offerId: number
  encapsulationKey: Uint8Array
  encapsulation?: { targetId: number; ciphertext: Uint8Array }
}

/** The ratchet state. Treat as opaque outside src/session/ratchet/. */
export interface RatchetState {
  sessionId: Uint8Array
  associatedData: Uint8Array
  /** Own DH steps between two KEM steps (RATCHET_KEM_INTERVAL unless a test lowered it). */
  kemInterval: number
  rootKey: Uint8Array

  // sending (DHs, CKs, HKs, NHKs, Ns, PN)
  /** Our current ratchet key pair; absent on the initiator before its first send. */
  sendRatchet?: RatchetKeyPair
  /** A DH step is due before the next send (the peer's new ratchet key was received). */
  sendPending: boolean
  sendChainKey?: Uint8Array
  sendHeaderKey?: Uint8Array
  nextSendHeaderKey: Uint8Array
  sendCount: number
  previousSendCount: number
  /** Number of our sending chains so far. */
  sendEpoch: number
  sendKem?: SendingKem

  // receiving (DHr, CKr, HKr, NHKr, Nr)
  receiveRatchetKey?: Uint8Array
  receiveChainKey?: Uint8Array
  receiveHeaderKey?: Uint8Array
  nextReceiveHeaderKey: Uint8Array
  receiveCount: number
  /** Number of the peer's sending chains we received (the current one's epoch). */
  receiveEpoch: number
  /** Closed receiving chains, oldest first (at most RATCHET_MAX_RECEIVER_CHAINS). */
  receiverChains: ReceiverChain[]
  /** Skipped message keys, oldest first (at most RATCHET_MAX_SKIPPED_KEYS). */
  skipped: SkippedKey[]

  // KEM schedule
  /** Our outstanding ML-KEM offer (the seed is secret). */
  kemOwn?: { id: number; seed: Uint8Array }
  /** The peer's latest offer we have not encapsulated to yet. */
  kemPeer?: { id: number; encapsulationKey: Uint8Array }
  kemNextOfferId: number
  /** Own DH steps since our last KEM step (saturates at kemInterval). */
  kemStepsSince: number
  kemStepsSent: number
  kemStepsReceived: number

  /**
   * In memory only (never encoded, summarized, or copied by structuredClone,
   * which skips symbol keys): backend handles of this state's keys that are
   * used more than once — header keys and the current ratchet secret — keyed
   * by the state's own key arrays (`keyHandle`). A decoded state has none;
   * they are made again at first use.
   */
  [HANDLES]?: Map<Uint8Array, SecretKeyHandle>
}

/** A non-secret summary of a state (tests, debugging). */
export interface RatchetStateInfo {
  sessionId: string
  sendCount: number
  receiveCount: number
  previousSendCount: number
  /** Sending chains created so far (own DH steps). */
  sendEpoch: number
  /** Receiving chains seen so far (peer DH steps). */
  receiveEpoch: number
  /** Hex of the current sending chain's ratchet public key. */
  sendRatchetKey?: string
  /** Hex of the current receiving chain's ratchet public key. */
  receiveRatchetKey?: string
  /** A new sending chain (DH step) is due at the next send. */
  sendPending: boolean
  /** What the current sending chain's headers carry. */
  sendChainKem: 'none' | 'kem-step' | 'offer'
  kemInterval: number
  kemStepsSince: number
  kemStepsSent: number
  kemStepsReceived: number
  holdsPeerKemKey: boolean
  hasOutstandingOffer: boolean
  skippedKeys: number
  receiverChains: number
  /** Whether this state can encrypt now (the responder can not before it received). */
  canSend: boolean
}

const copy = (b: Uint8Array): Uint8Array => b.slice()

/** A copy of `key` whose handle in `from` (if any) `into` holds for the copy. */
function carry(key: Uint8Array, from: Map<Uint8Array, SecretKeyHandle> | undefined, into: Map<Uint8Array, SecretKeyHandle>): Uint8Array {
  const c = key.slice()
  const h = from?.get(key)
  if (h !== undefined) into.set(c, h)
  return c
}

/**
 * The state a call builds its result in: every secret array copied (so that
 * wiping either state never touches the other: the caller wipes the old one
 * once the new one is committed), public arrays shared (the ratchet never
 * writes into a byte array it did not make, it replaces them), and the
 * handles of the keys used more than once carried over to their copies.
 */
export function cloneState(state: RatchetState): RatchetState {
  const from = state[HANDLES]
  const handles = new Map<Uint8Array, SecretKeyHandle>()
  const out: RatchetState = {
    sessionId: state.sessionId,
    associatedData: state.associatedData,
    kemInterval: state.kemInterval,
    rootKey: copy(state.rootKey),
    sendPending: state.sendPending,
    nextSendHeaderKey: carry(state.nextSendHeaderKey, from, handles),
    sendCount: state.sendCount,
    previousSendCount: state.previousSendCount,
    sendEpoch: state.sendEpoch,
    nextReceiveHeaderKey: carry(state.nextReceiveHeaderKey, from, handles),
    receiveCount: state.receiveCount,
    receiveEpoch: state.receiveEpoch,
    receiverChains: state.receiverChains.map((c) => ({ epoch: c.epoch, headerKey: copy(c.headerKey), ratchetKey: c.ratchetKey, length: c.length })),
    skipped: state.skipped.map((s) => ({ epoch: s.epoch, n: s.n, messageKey: copy(s.messageKey) })),
    kemNextOfferId: state.kemNextOfferId,
    kemStepsSince: state.kemStepsSince,
    kemStepsSent: state.kemStepsSent,
    kemStepsReceived: state.kemStepsReceived,
    [HANDLES]: handles,
  }
  if (state.sendRatchet !== undefined) out.sendRatchet = { secretKey: carry(state.sendRatchet.secretKey, from, handles), publicKey: state.sendRatchet.publicKey }
  if (state.sendChainKey !== undefined) out.sendChainKey = copy(state.sendChainKey)
  if (state.sendHeaderKey !== undefined) out.sendHeaderKey = carry(state.sendHeaderKey, from, handles)
  if (state.sendKem !== undefined) out.sendKem = state.sendKem
  if (state.receiveRatchetKey !== undefined) out.receiveRatchetKey = state.receiveRatchetKey
  if (state.receiveChainKey !== undefined) out.receiveChainKey = copy(state.receiveChainKey)
  if (state.receiveHeaderKey !== undefined) out.receiveHeaderKey = carry(state.receiveHeaderKey, from, handles)
  if (state.kemOwn !== undefined) out.kemOwn = { id: state.kemOwn.id, seed: copy(state.kemOwn.seed) }
  if (state.kemPeer !== undefined) out.kemPeer = state.kemPeer
  return out
}

/**
 * The backend handle of `key`, a key of `state` used more than once (a
 * header key; the current ratchet secret): the one `state` holds, else a
 * fresh import, remembered in `state`'s in-memory cache (which changes
 * nothing the state encodes). The cache lives and dies with the state:
 * `cloneState` carries handles to the copies of their keys,
 * `wipeRatchetState` and `retireKey` drop them.
 */
export function keyHandle(suite: Suite, state: RatchetState, key: Uint8Array, algorithm: SecretKeyAlgorithm): SecretKeyHandle {
  const held = state[HANDLES]?.get(key)
  if (held !== undefined && held.backend === suite.backend.name && held.algorithm === algorithm) return held
  const fresh = suite.backend.importSecretKey(algorithm, key)
  // A caller's frozen state gets no cache: the handle then serves this call only.
  if (Object.isExtensible(state)) (state[HANDLES] ??= new Map()).set(key, fresh)
  return fresh
}

/**
 * Makes `state` hold `handle` (made by the caller from exactly `key`) for
 * `key`, when it is of this suite's backend and `algorithm`; else nothing is
 * held and `keyHandle` imports `key` at first use.
 */
export function adoptKeyHandle(suite: Suite, state: RatchetState, key: Uint8Array, algorithm: SecretKeyAlgorithm, handle: SecretKeyHandle): void {
  if (handle.backend === suite.backend.name && handle.algorithm === algorithm && Object.isExtensible(state)) (state[HANDLES] ??= new Map()).set(key, handle)
}

/** Wipes a key the working copy `state` no longer holds, and drops its handle. */
export function retireKey(state: RatchetState, key: Uint8Array | undefined): void {
  if (key === undefined) return
  key.fill(0)
  state[HANDLES]?.delete(key)
}

/**
 * Overwrites every secret of `state` with zeros. Call it on the old state
 * once the new one is committed, and on a state that is discarded.
 */
export function wipeRatchetState(state: RatchetState): void {
  const secrets = [
    state.rootKey,
    state.sendRatchet?.secretKey,
    state.sendChainKey,
    state.sendHeaderKey,
    state.nextSendHeaderKey,
    state.receiveChainKey,
    state.receiveHeaderKey,
    state.nextReceiveHeaderKey,
    state.kemOwn?.seed,
    ...state.receiverChains.map((c) => c.headerKey),
    ...state.skipped.map((s) => s.messageKey),
  ]
  for (const s of secrets) s?.fill(0)
  state[HANDLES]?.clear()
  delete state[HANDLES]
}

/** The non-secret summary of `state`. */
export function ratchetStateInfo(state: RatchetState): RatchetStateInfo {
  const info: RatchetStateInfo = {
    sessionId: toHex(state.sessionId),
    sendCount: state.sendCount,
    receiveCount: state.receiveCount,
    previousSendCount: state.previousSendCount,
    sendEpoch: state.sendEpoch,
    receiveEpoch: state.receiveEpoch,
    sendPending: state.sendPending,
    sendChainKem: state.sendKem === undefined ? 'none' : state.sendKem.encapsulation === undefined ? 'offer' : 'kem-step',
    kemInterval: state.kemInterval,
    kemStepsSince: state.kemStepsSince,
    kemStepsSent: state.kemStepsSent,
    kemStepsReceived: state.kemStepsReceived,
    holdsPeerKemKey: state.kemPeer !== undefined,
    hasOutstandingOffer: state.kemOwn !== undefined,
    skippedKeys: state.skipped.length,
    receiverChains: state.receiverChains.length,
    canSend: state.sendPending || state.sendChainKey !== undefined,
  }
  if (state.sendRatchet !== undefined && !state.sendPending) info.sendRatchetKey = toHex(state.sendRatchet.publicKey)
  if (state.receiveRatchetKey !== undefined) info.receiveRatchetKey = toHex(state.receiveRatchetKey)
  return info
}
