/**
 * Receiving (Signal's Double Ratchet §4.3 RatchetDecryptHE, DecryptHeader,
 * TrySkippedMessageKeysHE and the receiving half of DHRatchetHE, with the KEM
 * fields of docs/ratchet.md). Decryption reads the caller's state, derives
 * what it needs into locals, opens the body, and only then builds the new
 * state from a copy (`cloneState`): any refusal leaves the caller's state
 * untouched, and a success returns a state the caller commits.
 *
 * The header is tried against the current receiving chain's header key and
 * the next header key — the next one first when our current sending chain
 * has been used since we last received (the peer's answer to it comes on a
 * new chain) — then the remembered chains' (newest first; only late messages
 * need them): at most RATCHET_MAX_RECEIVER_CHAINS + 2 AES-GCM trials. Header
 * keys are distinct per chain, so the order is only speed. What a header
 * that opens can still be refused as (docs/ratchet.md, "Refusals"):
 * - RATCHET_DUPLICATE: its chain position was consumed already (or its
 *   skipped key expired); a replay, or a rolled-back sender reusing a position;
 * - RATCHET_ROLLBACK_DETECTED: it opens under a known chain's header key but
 *   names another ratchet key, sits past the announced end of a closed chain,
 *   announces a previous chain shorter than what we received, or carries an
 *   ML-KEM ciphertext for an offer we no longer hold — things only a sender
 *   restored from an old state produces;
 * - RATCHET_TOO_FAR_AHEAD: it would make us skip more than RATCHET_MAX_SKIP
 *   keys in one chain (checked before any key is derived);
 * - DECRYPT_FAILED: anything else (no key opens it, the body fails, a bad
 *   KEM key or a small-order ratchet key).
 */
import { RATCHET_MAX_SKIP } from '../../constants.js'
import { ParleyError, isParleyError, decryptFailed } from '../../errors.js'
import { bytesEqual } from '../../codec/index.js'
import type { Suite } from '../../crypto/index.js'
import type { Header } from './header.js'
import { kdfRoot } from './kdf.js'
import { decapsulate, isValidEncapsulationKey } from './kem.js'
import { headerAd, openBody, parseMessage, tryOpenHeader } from './message.js'
import type { ParsedMessage } from './message.js'
import { closeReceivingChain, dropSkipped, findSkipped, skipToEnd, storeSkipped, walkChain } from './skipped.js'
import { cloneState, keyHandle, retireKey } from './state.js'
import type { RatchetState } from './state.js'

type Result = { state: RatchetState; plaintext: Uint8Array }

function refuse(code: 'RATCHET_DUPLICATE' | 'RATCHET_ROLLBACK_DETECTED' | 'RATCHET_TOO_FAR_AHEAD', detail: string): never {
  throw new ParleyError(code, `ratchetDecrypt: ${detail}`)
}

const wipeAll = (keys: readonly Uint8Array[]): void => keys.forEach((k) => k.fill(0))

/** A message of a chain whose skipped key we hold: open it, then drop the key. */
function fromSkipped(suite: Suite, state: RatchetState, index: number, parsed: ParsedMessage): Result {
  const entry = state.skipped[index]
  if (entry === undefined) throw new ParleyError('INTERNAL', 'ratchetDecrypt: skipped key vanished')
  const plaintext = openBody(suite, entry.messageKey, parsed, state.associatedData)
  const next = cloneState(state)
  dropSkipped(next, index)
  return { state: next, plaintext }
}

/** A header under the current receiving chain's header key. */
function inCurrentChain(suite: Suite, state: RatchetState, header: Header, parsed: ParsedMessage): Result {
  const { receiveRatchetKey, receiveChainKey } = state
  if (receiveRatchetKey === undefined || receiveChainKey === undefined) throw new ParleyError('INTERNAL', 'ratchetDecrypt: no receiving chain')
  if (!bytesEqual(header.dh, receiveRatchetKey)) refuse('RATCHET_ROLLBACK_DETECTED', 'a known header key with another ratchet key')
  const epoch = state.receiveEpoch
  if (header.n < state.receiveCount) {
    const index = findSkipped(state, epoch, header.n)
    if (index < 0) refuse('RATCHET_DUPLICATE', 'message already received (or its key expired)')
    return fromSkipped(suite, state, index, parsed)
  }
  if (header.n - state.receiveCount > RATCHET_MAX_SKIP) refuse('RATCHET_TOO_FAR_AHEAD', `more than ${RATCHET_MAX_SKIP} messages skipped`)
  const walk = walkChain(suite, receiveChainKey, state.receiveCount, header.n)
  let plaintext: Uint8Array
  try {
    plaintext = openBody(suite, walk.messageKey, parsed, state.associatedData)
  } catch (err) {
    wipeAll([...walk.skipped, walk.chainKey])
    throw err
  } finally {
    walk.messageKey.fill(0)
  }
  const next = cloneState(state)
  storeSkipped(next, epoch, next.receiveCount, walk.skipped)
  retireKey(next, next.receiveChainKey)
  next.receiveChainKey = walk.chainKey
  next.receiveCount = header.n + 1
  return { state: next, plaintext }
}

/** A header under a remembered (closed) chain's header key. */
function inOldChain(suite: Suite, state: RatchetState, chainIndex: number, header: Header, parsed: ParsedMessage): Result {
  const chain = state.receiverChains[chainIndex]
  if (chain === undefined) throw new ParleyError('INTERNAL', 'ratchetDecrypt: receiver chain vanished')
  if (!bytesEqual(header.dh, chain.ratchetKey)) refuse('RATCHET_ROLLBACK_DETECTED', 'a known header key with another ratchet key')
  const index = findSkipped(state, chain.epoch, header.n)
  if (index >= 0) return fromSkipped(suite, state, index, parsed)
  if (header.n >= chain.length) refuse('RATCHET_ROLLBACK_DETECTED', 'a message past the announced end of its chain')
  return refuse('RATCHET_DUPLICATE', 'message already received (or its key expired)')
}

/** A header under the next header key: the receiving half of DHRatchetHE (§4.3), with the KEM fields. */
function inNextChain(suite: Suite, state: RatchetState, header: Header, parsed: ParsedMessage): Result {
  const receiving = state.receiveChainKey !== undefined
  if (receiving && header.pn < state.receiveCount) refuse('RATCHET_ROLLBACK_DETECTED', 'the previous chain is announced shorter than received')
  if ((receiving && header.pn - state.receiveCount > RATCHET_MAX_SKIP) || header.n > RATCHET_MAX_SKIP) {
    refuse('RATCHET_TOO_FAR_AHEAD', `more than ${RATCHET_MAX_SKIP} messages skipped`)
  }
  const kem = header.kem
  const encapsulation = kem?.encapsulation
  if (encapsulation !== undefined && (state.kemOwn === undefined || state.kemOwn.id !== encapsulation.targetId)) {
    refuse('RATCHET_ROLLBACK_DETECTED', 'an ML-KEM ciphertext for an offer we no longer hold')
  }
  if (kem !== undefined && !isValidEncapsulationKey(kem.encapsulationKey)) throw decryptFailed()
  const ourRatchet = state.sendRatchet
  if (ourRatchet === undefined || state.sendPending) throw decryptFailed()

  const secrets: Uint8Array[] = []
  try {
    const oldKeys = receiving && state.receiveChainKey !== undefined ? skipToEnd(suite, state.receiveChainKey, state.receiveCount, header.pn) : []
    secrets.push(...oldKeys)
    let dh: Uint8Array
    try {
      dh = suite.backend.x25519(keyHandle(suite, state, ourRatchet.secretKey, 'x25519'), header.dh)
    } catch (err) {
      // a small-order or otherwise unusable ratchet key from the wire: a refused message
      if (isParleyError(err)) throw decryptFailed(err)
      throw err
    }
    secrets.push(dh)
    let kemSecret: Uint8Array | undefined
    if (encapsulation !== undefined && state.kemOwn !== undefined) {
      try {
        kemSecret = decapsulate(suite, state.kemOwn.seed, encapsulation.ciphertext)
      } catch (err) {
        throw isParleyError(err) ? decryptFailed(err) : err
      }
      secrets.push(kemSecret)
    }
    const root = kdfRoot(suite, state.rootKey, dh, kemSecret)
    secrets.push(root.rootKey, root.chainKey, root.nextHeaderKey)
    const walk = walkChain(suite, root.chainKey, 0, header.n)
    secrets.push(...walk.skipped, walk.messageKey, walk.chainKey)
    const plaintext = openBody(suite, walk.messageKey, parsed, state.associatedData)
    walk.messageKey.fill(0)
    root.chainKey.fill(0)

    const next = cloneState(state)
    const previousEpoch = next.receiveEpoch
    storeSkipped(next, previousEpoch, next.receiveCount, oldKeys)
    closeReceivingChain(next, header.pn)
    retireKey(next, next.rootKey)
    next.rootKey = root.rootKey
    next.receiveHeaderKey = next.nextReceiveHeaderKey
    next.nextReceiveHeaderKey = root.nextHeaderKey
    next.receiveRatchetKey = header.dh
    next.receiveChainKey = walk.chainKey
    next.receiveCount = header.n + 1
    next.receiveEpoch = previousEpoch + 1
    storeSkipped(next, next.receiveEpoch, 0, walk.skipped)
    next.sendPending = true
    if (encapsulation !== undefined) {
      retireKey(next, next.kemOwn?.seed)
      delete next.kemOwn
      next.kemStepsReceived++
    }
    if (kem !== undefined) next.kemPeer = { id: kem.offerId, encapsulationKey: kem.encapsulationKey }
    dh.fill(0)
    kemSecret?.fill(0)
    return { state: next, plaintext }
  } catch (err) {
    wipeAll(secrets)
    throw err
  }
}

/**
 * Decrypts `message` and returns the advanced state and the plaintext. The
 * given state is never changed: on any error it is still the state to keep;
 * on success commit the returned one (then acknowledge the message).
 *
 * @example
 * ```ts
 * const { state: next, plaintext } = ratchetDecrypt(suite, state, message)
 * await store.save(encodeRatchetState(next)) // commit, then ack
 * ```
 */
export function ratchetDecrypt(suite: Suite, state: RatchetState, message: Uint8Array): Result {
  const parsed = parseMessage(message)
  const ad = headerAd(state.associatedData, parsed)
  // Only speed depends on the order: we have sent on our current chain since we last received, so an answer is likely.
  const nextFirst = !state.sendPending && state.sendCount > 0
  const current = state.receiveHeaderKey
  for (const isNext of nextFirst ? [true, false] : [false, true]) {
    const key = isNext ? state.nextReceiveHeaderKey : current
    if (key === undefined) continue
    const header = tryOpenHeader(suite, keyHandle(suite, state, key, 'aes-256-gcm'), parsed, ad)
    if (header !== undefined) return isNext ? inNextChain(suite, state, header, parsed) : inCurrentChain(suite, state, header, parsed)
  }
  for (let i = state.receiverChains.length - 1; i >= 0; i--) {
    const chain = state.receiverChains[i]
    if (chain === undefined) continue
    const old = tryOpenHeader(suite, chain.headerKey, parsed, ad)
    if (old !== undefined) return inOldChain(suite, state, i, old, parsed)
  }
  throw decryptFailed()
}
