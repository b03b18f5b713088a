/**
 * Sending (Signal's Double Ratchet §4.3 RatchetEncryptHE, with the sending
 * half of DHRatchetHE done lazily here, and the sparse ML-KEM schedule of
 * docs/ratchet.md). `ratchetEncrypt` works on a copy (`cloneState`) and
 * returns it: the caller commits the returned state before the message
 * leaves (DESIGN §6), so a crash can lose a message but never send two under
 * one key.
 *
 * The schedule, decided at each new sending chain (a DH step):
 * - KEM step: we hold the peer's unconsumed offer and this is at least our
 *   kemInterval-th DH step since our last KEM step (the first one as soon as
 *   possible). Encapsulate to the offer, mix the secret into this step's
 *   KDF_RK, forget the offer, and make a fresh offer of our own; every header
 *   of the chain carries the ciphertext and the new offer (header kind 1).
 * - Offer only: neither side holds an offer (the initiator's first chain):
 *   make one, carried by every header of the chain (kind 2). It restarts our
 *   count like a KEM step: the peer's KEM step to this fresh offer heals a
 *   compromise of ours as our own KEM step would (docs/ratchet.md).
 * - Otherwise a plain DH step (kind 0).
 */
import { AES_GCM_NONCE_LENGTH, RATCHET_MAX_CHAIN_LENGTH, RATCHET_MAX_PLAINTEXT_BYTES, X25519_KEY_LENGTH } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import type { Suite } from '../../crypto/index.js'
import { KEM_OFFER_ID_MODULUS } from './header.js'
import { kdfChain, kdfRoot } from './kdf.js'
import { encapsulate, newOffer } from './kem.js'
import type { RandomSource } from './kem.js'
import { sealMessage } from './message.js'
import { cloneState, keyHandle, retireKey, wipeRatchetState } from './state.js'
import type { RatchetState, SendingKem } from './state.js'

/** Options of `ratchetEncrypt`. */
export interface EncryptOptions {
  /**
   * Test hook for known-answer vectors: the source of every random byte (DH
   * secret, ML-KEM randomness and seed, nonce). With it, ML-KEM encapsulation
   * randomness is passed to the backend, which only the portable one honours.
   */
  random?: RandomSource
}

function checkedRandom(random: RandomSource, length: number): Uint8Array {
  const out = random(length)
  if (!(out instanceof Uint8Array) || out.length !== length) throw new ParleyError('INVALID_ARGUMENT', 'ratchetEncrypt: random source returned the wrong length')
  return out
}

/** Makes an offer on the working copy; returns its id and key. */
function offer(suite: Suite, s: RatchetState, random: RandomSource): { offerId: number; encapsulationKey: Uint8Array } {
  const { seed, encapsulationKey } = newOffer(suite, random)
  s.kemOwn?.seed.fill(0)
  const offerId = s.kemNextOfferId
  s.kemOwn = { id: offerId, seed }
  s.kemNextOfferId = (offerId + 1) % KEM_OFFER_ID_MODULUS
  return { offerId, encapsulationKey }
}

/** The sending half of DHRatchetHE (§4.3) plus the KEM schedule, on the working copy `s`. */
function sendStep(suite: Suite, s: RatchetState, random: RandomSource, hooked: boolean): void {
  const peer = s.receiveRatchetKey
  if (peer === undefined) throw new ParleyError('SESSION_STATE_INVALID', 'ratchetEncrypt: no peer ratchet key')
  const secretKey = checkedRandom(random, X25519_KEY_LENGTH)
  // Imported once: it makes the public key and this DH now, and the receiving DH of the peer's answer.
  const handle = keyHandle(suite, s, secretKey, 'x25519')
  const publicKey = suite.backend.x25519PublicKey(handle)

  let kemSecret: Uint8Array | undefined
  let sendKem: SendingKem | undefined
  if (s.kemPeer !== undefined && s.kemStepsSince + 1 >= s.kemInterval) {
    const target = s.kemPeer
    const { ciphertext, sharedSecret } = encapsulate(suite, target.encapsulationKey, random, hooked)
    kemSecret = sharedSecret
    sendKem = { ...offer(suite, s, random), encapsulation: { targetId: target.id, ciphertext } }
    delete s.kemPeer
    s.kemStepsSince = 0
    s.kemStepsSent++
  } else if (s.kemPeer === undefined && s.kemOwn === undefined) {
    sendKem = offer(suite, s, random)
    s.kemStepsSince = 0
  } else {
    s.kemStepsSince = Math.min(s.kemStepsSince + 1, s.kemInterval)
  }

  const dh = suite.backend.x25519(handle, peer)
  const root = kdfRoot(suite, s.rootKey, dh, kemSecret)
  dh.fill(0)
  kemSecret?.fill(0)

  retireKey(s, s.rootKey)
  retireKey(s, s.sendRatchet?.secretKey)
  retireKey(s, s.sendChainKey)
  retireKey(s, s.sendHeaderKey)
  s.rootKey = root.rootKey
  s.sendRatchet = { secretKey, publicKey }
  s.previousSendCount = s.sendCount
  s.sendCount = 0
  s.sendHeaderKey = s.nextSendHeaderKey
  s.nextSendHeaderKey = root.nextHeaderKey
  s.sendChainKey = root.chainKey
  s.sendEpoch++
  s.sendPending = false
  if (sendKem === undefined) delete s.sendKem
  else s.sendKem = sendKem
}

/**
 * Encrypts `plaintext` and returns the advanced state and the message. The
 * given state is never changed; commit the returned one before sending.
 *
 * @example
 * ```ts
 * const { state: next, message } = ratchetEncrypt(suite, state, utf8('hi'))
 * await store.save(encodeRatchetState(next)) // commit, then send
 * transport.send(message)
 * ```
 */
export function ratchetEncrypt(
  suite: Suite,
  state: RatchetState,
  plaintext: Uint8Array,
  options: EncryptOptions = {},
): { state: RatchetState; message: Uint8Array } {
  if (!(plaintext instanceof Uint8Array) || plaintext.length > RATCHET_MAX_PLAINTEXT_BYTES) {
    throw new ParleyError('INVALID_ARGUMENT', `ratchetEncrypt: plaintext must be a Uint8Array of at most ${RATCHET_MAX_PLAINTEXT_BYTES} bytes`)
  }
  if (!state.sendPending && state.sendChainKey === undefined) {
    throw new ParleyError('SESSION_STATE_INVALID', 'ratchetEncrypt: the responder can not send before it has received a message')
  }
  if (!state.sendPending && state.sendCount >= RATCHET_MAX_CHAIN_LENGTH) {
    throw new ParleyError('RATCHET_CHAIN_EXHAUSTED', `ratchetEncrypt: ${RATCHET_MAX_CHAIN_LENGTH} messages without a reply; wait for the peer`)
  }
  const random = options.random ?? ((n: number) => suite.randomBytes(n))
  const s = cloneState(state)
  try {
    if (s.sendPending) sendStep(suite, s, random, options.random !== undefined)
    const { sendChainKey, sendHeaderKey, sendRatchet } = s
    if (sendChainKey === undefined || sendHeaderKey === undefined || sendRatchet === undefined) {
      throw new ParleyError('INTERNAL', 'ratchetEncrypt: no sending chain after the DH step')
    }
    const { messageKey, chainKey } = kdfChain(suite, sendChainKey)
    const header = { dh: sendRatchet.publicKey, pn: s.previousSendCount, n: s.sendCount, ...(s.sendKem === undefined ? {} : { kem: s.sendKem }) }
    const nonce = checkedRandom(random, AES_GCM_NONCE_LENGTH)
    const headerKey = keyHandle(suite, s, sendHeaderKey, 'aes-256-gcm')
    const message = sealMessage(suite, { headerKey, messageKey, header, plaintext, associatedData: s.associatedData, nonce })
    messageKey.fill(0)
    retireKey(s, sendChainKey)
    s.sendChainKey = chainKey
    s.sendCount++
    return { state: s, message }
  } catch (err) {
    wipeRatchetState(s)
    throw err
  }
}
