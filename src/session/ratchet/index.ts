/**
 * The post-quantum double ratchet of Parley (DESIGN §6, docs/ratchet.md):
 * Signal's Double Ratchet with header encryption (rev. 4, §4), X25519 DH
 * steps, HKDF/HMAC-SHA-256, AES-256-GCM, and ML-KEM-768 mixed into the root
 * chain on a sparse schedule in the style of Apple's PQ3, in both directions.
 *
 * Pure: no I/O and no clock; randomness comes from the suite (or a test hook).
 * States are values: encrypt and decrypt return a new state and never change
 * the one they are given, so "decrypt on a copy, commit on success" and
 * "commit before sending" are the caller's two writes.
 *
 * @example
 * ```ts
 * import { defaultSuite as suite } from '../../crypto/index.js'
 * import { initInitiator, initResponder, ratchetEncrypt, ratchetDecrypt } from './index.js'
 * let alice = initInitiator(suite, { sharedSecret, sessionId, associatedData, theirRatchetKey: spk.publicKey })
 * let bob = initResponder(suite, { sharedSecret, sessionId, associatedData, ourRatchetKey: spk })
 * const sent = ratchetEncrypt(suite, alice, new TextEncoder().encode('hello'))
 * alice = sent.state // commit, then send sent.message
 * const got = ratchetDecrypt(suite, bob, sent.message)
 * bob = got.state // commit, then ack
 * ```
 */
export { initInitiator, initResponder } from './init.js'
export type { InitiatorInit, ResponderInit, RatchetInitCommon, InitOptions } from './init.js'
export { ratchetEncrypt } from './encrypt.js'
export type { EncryptOptions } from './encrypt.js'
export { ratchetDecrypt } from './decrypt.js'
export { encodeRatchetState, decodeRatchetState, RATCHET_STATE_KIND, RATCHET_STATE_VERSION } from './state-codec.js'
export { ratchetStateInfo, wipeRatchetState } from './state.js'
export type { RatchetState, RatchetStateInfo } from './state.js'
export { RATCHET_MAX_MESSAGE_BYTES, messageOverhead } from './message.js'
export { HEADER_KIND_PLAIN, HEADER_KIND_KEM, HEADER_KIND_OFFER } from './header.js'
export type { RandomSource } from './kem.js'
