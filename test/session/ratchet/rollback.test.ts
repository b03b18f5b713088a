/**
 * Rollback detection (docs/ratchet.md, "Refusals"): a party restored from an
 * old snapshot sends again. Its peer refuses what reuses or contradicts what
 * it already received — RATCHET_DUPLICATE for a consumed chain position,
 * RATCHET_ROLLBACK_DETECTED for a known header key with a new ratchet key, a
 * position past the announced end of a closed chain, or a previous chain
 * announced shorter than received — and keeps its state. Resetting the
 * session is the session layer's job; the ratchet's is the typed code.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultSuite as suite } from '../../../src/crypto/index.js'
import type { RatchetState } from '../../../src/session/ratchet/index.js'
import { makePair, receive, refused, send } from './helpers.js'

/** Alice and Bob after one round trip, Alice about to start a new chain. */
function afterRoundTrip(): { alice: RatchetState; bob: RatchetState } {
  let { alice, bob } = makePair(suite)
  const a = send(suite, alice, 'hello')
  alice = a.state
  bob = receive(suite, bob, a.message).state
  const b = send(suite, bob, 'hi')
  bob = b.state
  alice = receive(suite, alice, b.message).state
  return { alice, bob }
}

test('a restored sender reusing a consumed position in the same chain: RATCHET_DUPLICATE', () => {
  const pair = afterRoundTrip()
  const alice = pair.alice
  let bob = pair.bob
  const m0 = send(suite, alice, 'zero')
  const snapshot = m0.state
  const m1 = send(suite, snapshot, 'one')
  bob = receive(suite, bob, m0.message).state
  bob = receive(suite, bob, m1.message).state
  // restored after m0: position 1 again, other content
  const again = send(suite, snapshot, 'one, rewritten')
  refused(bob, again.message, 'RATCHET_DUPLICATE')
})

test('a restored sender starting its new chain again with another DH key: RATCHET_ROLLBACK_DETECTED', () => {
  let { alice, bob } = afterRoundTrip()
  const snapshot = alice // a DH step is pending
  const a = send(suite, alice, 'new chain')
  alice = a.state
  bob = receive(suite, bob, a.message).state
  const again = send(suite, snapshot, 'new chain, rewritten')
  refused(bob, again.message, 'RATCHET_ROLLBACK_DETECTED')
  // the genuine chain goes on
  assert.equal(receive(suite, bob, send(suite, alice, 'more').message).text, 'more')
})

test('a restored sender writing past the announced end of a closed chain: RATCHET_ROLLBACK_DETECTED', () => {
  let { alice, bob } = afterRoundTrip()
  const m0 = send(suite, alice, 'zero')
  alice = m0.state
  const snapshot = alice // in chain k after one message
  bob = receive(suite, bob, m0.message).state
  const b = send(suite, bob, 'turn')
  bob = b.state
  alice = receive(suite, alice, b.message).state
  const next = send(suite, alice, 'chain k+1 (pn = 1)')
  bob = receive(suite, bob, next.message).state
  const late = send(suite, snapshot, 'chain k, position 1')
  refused(bob, late.message, 'RATCHET_ROLLBACK_DETECTED')
})

test('a restored sender announcing its previous chain shorter than received: RATCHET_ROLLBACK_DETECTED', () => {
  const pair = afterRoundTrip()
  const alice = pair.alice
  let bob = pair.bob
  const m0 = send(suite, alice, 'zero')
  const snapshot = m0.state // chain k, one message sent
  const m1 = send(suite, snapshot, 'one')
  bob = receive(suite, bob, m0.message).state
  bob = receive(suite, bob, m1.message).state
  const b = send(suite, bob, 'turn')
  bob = b.state
  // the restored Alice receives Bob's turn and starts chain k+1 announcing pn = 1, Bob received 2
  const restored = receive(suite, snapshot, b.message).state
  const next = send(suite, restored, 'chain k+1')
  refused(bob, next.message, 'RATCHET_ROLLBACK_DETECTED')
})

test('a replay of an old chain message after the chain closed: RATCHET_DUPLICATE', () => {
  let { alice, bob } = afterRoundTrip()
  const m0 = send(suite, alice, 'zero')
  alice = m0.state
  bob = receive(suite, bob, m0.message).state
  const b = send(suite, bob, 'turn')
  bob = b.state
  alice = receive(suite, alice, b.message).state
  bob = receive(suite, bob, send(suite, alice, 'next chain').message).state
  refused(bob, m0.message, 'RATCHET_DUPLICATE')
})
