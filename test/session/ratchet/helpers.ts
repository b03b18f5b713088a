/**
 * Shared fixtures of the ratchet tests: a deterministic random source for
 * known-answer vectors (SHA-256 in counter mode over a label: not for keys
 * outside tests), a ready session pair as PQXDH would leave it, and small
 * send/receive helpers.
 */
import { drbg } from '../../helpers/drbg.js'
import assert from 'node:assert/strict'
import { defaultSuite } from '../../../src/crypto/index.js'
import { bytesEqual } from '../../../src/codec/index.js'
import { isParleyError } from '../../../src/errors.js'
import type { Suite } from '../../../src/crypto/index.js'
import { encodeRatchetState, initInitiator, initResponder, ratchetDecrypt, ratchetEncrypt } from '../../../src/session/ratchet/index.js'
import type { InitOptions, RandomSource, RatchetState } from '../../../src/session/ratchet/index.js'

/** A deterministic byte stream (test/helpers/drbg.ts). */
export function testRandom(label: string): RandomSource {
  return drbg(label)
}

export interface PairOptions extends InitOptions {
  /** Source of the fixture's keys (default: a fixed deterministic stream). */
  random?: RandomSource
  associatedData?: Uint8Array
  /** Associated data of the responder only (misbinding tests). */
  responderAssociatedData?: Uint8Array
}

export interface Pair {
  alice: RatchetState
  bob: RatchetState
  sharedSecret: Uint8Array
  sessionId: Uint8Array
  associatedData: Uint8Array
}

/** Both states as PQXDH would leave them: Alice (initiator) and Bob (responder). */
export function makePair(suite: Suite, options: PairOptions = {}): Pair {
  const random = options.random ?? testRandom('parley/test/ratchet-fixture')
  const sharedSecret = random(32)
  const sessionId = random(16)
  const associatedData = options.associatedData ?? new TextEncoder().encode('parley/v1|parley-1|did:example:alice|did:example:bob')
  const spkSecret = random(32)
  const spk = { secretKey: spkSecret, publicKey: suite.backend.x25519PublicKey(spkSecret) }
  const kemInterval = options.kemInterval === undefined ? {} : { kemInterval: options.kemInterval }
  const alice = initInitiator(suite, { sharedSecret, sessionId, associatedData, theirRatchetKey: spk.publicKey }, kemInterval)
  const bob = initResponder(suite, { sharedSecret, sessionId, associatedData: options.responderAssociatedData ?? associatedData, ourRatchetKey: spk }, kemInterval)
  return { alice, bob, sharedSecret, sessionId, associatedData }
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
export const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Encrypts a text or bytes (commit the returned state). */
export function send(suite: Suite, state: RatchetState, plaintext: string | Uint8Array, random?: RandomSource): { state: RatchetState; message: Uint8Array } {
  return ratchetEncrypt(suite, state, typeof plaintext === 'string' ? utf8(plaintext) : plaintext, random === undefined ? {} : { random })
}

/** Decrypts; returns the new state and the text. */
export function receive(suite: Suite, state: RatchetState, message: Uint8Array): { state: RatchetState; text: string } {
  const { state: next, plaintext } = ratchetDecrypt(suite, state, message)
  return { state: next, text: text(plaintext) }
}

/** Asserts that decrypting `message` fails with `code` and leaves `state` byte-identical. */
export function refused(state: RatchetState, message: Uint8Array, code: string, suite: Suite = defaultSuite): void {
  const before = encodeRatchetState(state)
  assert.throws(() => ratchetDecrypt(suite, state, message), (e: unknown) => isParleyError(e) && e.code === code)
  assert.ok(bytesEqual(encodeRatchetState(state), before), 'the refused message changed the state')
}
