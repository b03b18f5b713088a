/**
 * The ratchet's behaviour and rules, one test each: round trips, late and
 * reordered messages, the state-as-value contract, the responder's first
 * send, misuse, the skip limits (per chain, total with FIFO expiry, chains
 * remembered), duplicates, chain exhaustion, reflection and misbinding.
 * Tampering, KEM schedule and sizes live in their own files.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { defaultSuite as suite } from '../../../src/crypto/index.js'
import {
  RATCHET_MAX_CHAIN_LENGTH,
  RATCHET_MAX_PLAINTEXT_BYTES,
  RATCHET_MAX_RECEIVER_CHAINS,
  RATCHET_MAX_SKIP,
  RATCHET_MAX_SKIPPED_KEYS,
} from '../../../src/constants.js'
import { isParleyError } from '../../../src/errors.js'
import { bytesEqual } from '../../../src/codec/index.js'
import {
  decodeRatchetState,
  encodeRatchetState,
  initInitiator,
  initResponder,
  ratchetEncrypt,
  ratchetStateInfo,
  wipeRatchetState,
} from '../../../src/session/ratchet/index.js'
import type { RatchetState } from '../../../src/session/ratchet/index.js'
import { makePair, receive, refused, send, utf8 } from './helpers.js'

/** Sends `count` messages from `state`; returns the final state and the messages. */
function burst(state: RatchetState, count: number, prefix = 'm'): { state: RatchetState; messages: Uint8Array[] } {
  const messages: Uint8Array[] = []
  let s = state
  for (let i = 0; i < count; i++) {
    const r = send(suite, s, `${prefix}${i}`)
    s = r.state
    messages.push(r.message)
  }
  return { state: s, messages }
}

test('round trips both ways, across ratchet turns, with the state encoded in between', () => {
  let { alice, bob } = makePair(suite)
  for (let i = 0; i < 6; i++) {
    const a = send(suite, alice, `a${i}`)
    alice = a.state
    const r = receive(suite, bob, a.message)
    assert.equal(r.text, `a${i}`)
    bob = r.state
    const b = send(suite, bob, `b${i}`)
    bob = b.state
    const r2 = receive(suite, alice, b.message)
    assert.equal(r2.text, `b${i}`)
    alice = r2.state
  }
  const info = ratchetStateInfo(alice)
  assert.equal(info.sendEpoch, 6)
  assert.equal(info.receiveEpoch, 6)
})

test('encrypt and decrypt never change their input state', () => {
  const { alice, bob } = makePair(suite)
  const aliceBytes = encodeRatchetState(alice)
  const a = send(suite, alice, 'one')
  assert.ok(bytesEqual(encodeRatchetState(alice), aliceBytes))
  const bobBytes = encodeRatchetState(bob)
  receive(suite, bob, a.message)
  assert.ok(bytesEqual(encodeRatchetState(bob), bobBytes))
})

test('reordered and late messages decrypt once each, in and across chains', () => {
  let { alice, bob } = makePair(suite)
  const first = burst(alice, 4, 'x')
  alice = first.state
  const [m0, m1, m2, m3] = first.messages as [Uint8Array, Uint8Array, Uint8Array, Uint8Array]
  let r = receive(suite, bob, m2) // skips 0 and 1
  assert.equal(r.text, 'x2')
  bob = r.state
  assert.equal(ratchetStateInfo(bob).skippedKeys, 2)
  r = receive(suite, bob, m0)
  bob = r.state
  assert.equal(r.text, 'x0')
  // Bob turns the ratchet; Alice answers on a new chain; m1 and m3 arrive late.
  const b = send(suite, bob, 'y')
  bob = b.state
  alice = receive(suite, alice, b.message).state
  const a2 = send(suite, alice, 'z')
  alice = a2.state
  r = receive(suite, bob, a2.message)
  bob = r.state
  assert.equal(ratchetStateInfo(bob).receiverChains, 1)
  r = receive(suite, bob, m3) // beyond the old chain's last received message: skipped at the DH step
  bob = r.state
  assert.equal(r.text, 'x3')
  r = receive(suite, bob, m1)
  bob = r.state
  assert.equal(r.text, 'x1')
  assert.equal(ratchetStateInfo(bob).skippedKeys, 0)
  refused(bob, m1, 'RATCHET_DUPLICATE')
  refused(bob, m0, 'RATCHET_DUPLICATE')
})

test('a duplicate is RATCHET_DUPLICATE and leaves the state byte-identical', () => {
  let { alice, bob } = makePair(suite)
  const a = send(suite, alice, 'once')
  alice = a.state
  bob = receive(suite, bob, a.message).state
  refused(bob, a.message, 'RATCHET_DUPLICATE')
})

test('the responder can not send before it received; misuse is refused with codes', () => {
  const { alice, bob, sharedSecret, sessionId, associatedData } = makePair(suite)
  assert.throws(() => ratchetEncrypt(suite, bob, utf8('too early')), (e: unknown) => isParleyError(e, 'SESSION_STATE_INVALID'))
  assert.equal(ratchetStateInfo(bob).canSend, false)
  assert.throws(() => ratchetEncrypt(suite, alice, new Uint8Array(RATCHET_MAX_PLAINTEXT_BYTES + 1)), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
  const spk = { secretKey: new Uint8Array(32).fill(7), publicKey: new Uint8Array(32).fill(9) }
  const common = { sharedSecret, sessionId, associatedData }
  assert.throws(() => initResponder(suite, { ...common, ourRatchetKey: spk }), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => initInitiator(suite, { ...common, sharedSecret: new Uint8Array(31), theirRatchetKey: spk.publicKey }), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => initInitiator(suite, { ...common, sessionId: new Uint8Array(15), theirRatchetKey: spk.publicKey }), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => initInitiator(suite, { ...common, theirRatchetKey: spk.publicKey }, { kemInterval: 0 }), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => ratchetEncrypt(suite, alice, utf8('x'), { random: (n) => new Uint8Array(n - 1) }), (e: unknown) => isParleyError(e, 'INVALID_ARGUMENT'))
})

test(`a message exactly RATCHET_MAX_SKIP (${RATCHET_MAX_SKIP}) ahead decrypts; one further is refused quickly, state untouched`, () => {
  let { alice, bob } = makePair(suite)
  const a = burst(alice, RATCHET_MAX_SKIP + 2)
  alice = a.state
  const tooFar = a.messages[RATCHET_MAX_SKIP + 1] as Uint8Array
  const t0 = performance.now()
  refused(bob, tooFar, 'RATCHET_TOO_FAR_AHEAD')
  assert.ok(performance.now() - t0 < 100, 'refusal derived keys before checking the limit')
  const r = receive(suite, bob, a.messages[RATCHET_MAX_SKIP] as Uint8Array)
  assert.equal(r.text, `m${RATCHET_MAX_SKIP}`)
  bob = r.state
  assert.equal(ratchetStateInfo(bob).skippedKeys, RATCHET_MAX_SKIP)
  // In the current chain (next expected: RATCHET_MAX_SKIP + 1; Alice's next: + 2): the limit, and one more.
  const more = burst(alice, RATCHET_MAX_SKIP + 1)
  refused(bob, more.messages[RATCHET_MAX_SKIP] as Uint8Array, 'RATCHET_TOO_FAR_AHEAD')
  assert.equal(receive(suite, bob, more.messages[RATCHET_MAX_SKIP - 1] as Uint8Array).text, `m${RATCHET_MAX_SKIP - 1}`)
})

test('at a DH step, skipping too far in the old chain (pn) or the new one (n) is RATCHET_TOO_FAR_AHEAD', () => {
  let { alice, bob } = makePair(suite)
  const a = send(suite, alice, 'start')
  alice = a.state
  bob = receive(suite, bob, a.message).state
  // Bob's chain: RATCHET_MAX_SKIP + 2 messages, Alice sees only the first.
  const b = burst(bob, RATCHET_MAX_SKIP + 2)
  bob = b.state
  alice = receive(suite, alice, b.messages[0] as Uint8Array).state
  const reply = send(suite, alice, 'reply')
  alice = reply.state
  bob = receive(suite, bob, reply.message).state
  const b2 = send(suite, bob, 'new chain')
  // pn = MAX_SKIP + 2, Alice received 1: MAX_SKIP + 1 to skip.
  refused(alice, b2.message, 'RATCHET_TOO_FAR_AHEAD')

  // New chain far ahead: n = MAX_SKIP + 1.
  let p = makePair(suite)
  const s = burst(p.alice, RATCHET_MAX_SKIP + 2)
  refused(p.bob, s.messages[RATCHET_MAX_SKIP + 1] as Uint8Array, 'RATCHET_TOO_FAR_AHEAD')
  p = { ...p, bob: receive(suite, p.bob, s.messages[RATCHET_MAX_SKIP] as Uint8Array).state }
  assert.equal(ratchetStateInfo(p.bob).receiveCount, RATCHET_MAX_SKIP + 1)
})

test(`skipped keys expire in FIFO order beyond RATCHET_MAX_SKIPPED_KEYS (${RATCHET_MAX_SKIPPED_KEYS})`, () => {
  let { alice, bob } = makePair(suite)
  const held: Uint8Array[][] = []
  // Two chains of Alice, each skipping RATCHET_MAX_SKIP keys at Bob.
  for (let round = 0; round < 2; round++) {
    const a = burst(alice, RATCHET_MAX_SKIP + 1, `c${round}-`)
    alice = a.state
    held.push(a.messages)
    bob = receive(suite, bob, a.messages[RATCHET_MAX_SKIP] as Uint8Array).state
    const b = send(suite, bob, 'turn')
    bob = b.state
    alice = receive(suite, alice, b.message).state
  }
  assert.equal(ratchetStateInfo(bob).skippedKeys, RATCHET_MAX_SKIPPED_KEYS)
  // Three more skipped keys push out the three oldest: chain 0, positions 0, 1, 2.
  const a = burst(alice, 4, 'c2-')
  alice = a.state
  bob = receive(suite, bob, a.messages[3] as Uint8Array).state
  assert.equal(ratchetStateInfo(bob).skippedKeys, RATCHET_MAX_SKIPPED_KEYS)
  const chain0 = held[0] as Uint8Array[]
  for (const i of [0, 1, 2]) refused(bob, chain0[i] as Uint8Array, 'RATCHET_DUPLICATE')
  assert.equal(receive(suite, bob, chain0[3] as Uint8Array).text, 'c0-3')
  assert.equal(receive(suite, bob, (held[1] as Uint8Array[])[0] as Uint8Array).text, 'c1-0')
})

test(`at most RATCHET_MAX_RECEIVER_CHAINS (${RATCHET_MAX_RECEIVER_CHAINS}) closed chains are remembered`, () => {
  let { alice, bob } = makePair(suite)
  const late: Uint8Array[] = []
  for (let round = 0; round < RATCHET_MAX_RECEIVER_CHAINS + 2; round++) {
    const a = burst(alice, 2, `r${round}-`)
    alice = a.state
    late.push(a.messages[0] as Uint8Array)
    bob = receive(suite, bob, a.messages[1] as Uint8Array).state
    const b = send(suite, bob, 'turn')
    bob = b.state
    alice = receive(suite, alice, b.message).state
  }
  assert.equal(ratchetStateInfo(bob).receiverChains, RATCHET_MAX_RECEIVER_CHAINS)
  // Bob is on chain 7 and remembers 2..6: chain 1 was forgotten with its skipped key.
  refused(bob, late[0] as Uint8Array, 'DECRYPT_FAILED')
  assert.equal(receive(suite, bob, late[1] as Uint8Array).text, 'r1-0')
})

test('a sending chain stops at RATCHET_MAX_CHAIN_LENGTH: RATCHET_CHAIN_EXHAUSTED', () => {
  const { alice } = makePair(suite)
  const a = send(suite, alice, 'x').state
  const full: RatchetState = { ...a, sendCount: RATCHET_MAX_CHAIN_LENGTH }
  assert.throws(() => ratchetEncrypt(suite, full, utf8('one more')), (e: unknown) => isParleyError(e, 'RATCHET_CHAIN_EXHAUSTED'))
  const last: RatchetState = { ...a, sendCount: RATCHET_MAX_CHAIN_LENGTH - 1 }
  assert.equal(ratchetStateInfo(ratchetEncrypt(suite, last, utf8('last')).state).sendCount, RATCHET_MAX_CHAIN_LENGTH)
})

test('a reflected message (our own, fed back) and one under other associated data fail', () => {
  let { alice, bob } = makePair(suite)
  const a = send(suite, alice, 'to bob')
  alice = a.state
  refused(alice, a.message, 'DECRYPT_FAILED')
  bob = receive(suite, bob, a.message).state
  const b = send(suite, bob, 'to alice')
  bob = b.state
  refused(bob, b.message, 'DECRYPT_FAILED')
  alice = receive(suite, alice, b.message).state
  const a2 = send(suite, alice, 'again')
  refused(a2.state, a2.message, 'DECRYPT_FAILED')

  // Same keys, different associated data (another DID or session binding): refused.
  const other = makePair(suite, { responderAssociatedData: utf8('parley/v1|parley-1|did:example:mallory|did:example:bob') })
  const m = send(suite, other.alice, 'hello')
  refused(other.bob, m.message, 'DECRYPT_FAILED')
})

test('wiping the state a call was given (after committing its result) never touches the result', () => {
  let { alice, bob } = makePair(suite)
  for (let round = 0; round < 6; round++) {
    // Alice sends twice on one chain, Bob answers; every superseded state is wiped at once.
    for (const text of [`a${round}.0`, `a${round}.1`]) {
      const a = send(suite, alice, text)
      wipeRatchetState(alice)
      alice = a.state
      const r = receive(suite, bob, a.message)
      assert.equal(r.text, text)
      wipeRatchetState(bob)
      bob = r.state
    }
    const b = send(suite, bob, `b${round}`)
    wipeRatchetState(bob)
    bob = b.state
    const r = receive(suite, alice, b.message)
    assert.equal(r.text, `b${round}`)
    wipeRatchetState(alice)
    alice = r.state
  }
  // A discarded result (its commit failed) may be wiped too: the given state still works.
  const discarded = send(suite, alice, 'never sent')
  wipeRatchetState(discarded.state)
  assert.equal(receive(suite, bob, send(suite, alice, 'sent').message).text, 'sent')
})

test('key handles live in memory only: not encoded, not copied by structuredClone; decoded and cloned states work', () => {
  const { alice, bob } = makePair(suite)
  const a = send(suite, alice, 'one')
  const b1 = receive(suite, bob, a.message).state
  const held = Object.getOwnPropertySymbols(b1)
  assert.equal(held.length, 1, 'the state holds its handle cache under one symbol')
  assert.deepEqual(Object.keys(structuredClone(b1)).sort(), Object.keys(b1).sort())
  assert.equal(Object.getOwnPropertySymbols(structuredClone(b1)).length, 0)
  assert.ok(!JSON.stringify(ratchetStateInfo(b1)).includes('native'))
  // Equal states encode equally, whatever handles they hold.
  const decoded = decodeRatchetState(encodeRatchetState(b1))
  assert.ok(bytesEqual(encodeRatchetState(decoded), encodeRatchetState(b1)))
  for (const start of [b1, decoded, structuredClone(b1), Object.freeze(decodeRatchetState(encodeRatchetState(b1)))]) {
    const reply = send(suite, start, 'reply')
    assert.equal(receive(suite, a.state, reply.message).text, 'reply')
    assert.equal(receive(suite, start, send(suite, a.state, 'two').message).text, 'two')
  }
})

test('wipeRatchetState zeroes every secret', () => {
  const { alice } = makePair(suite)
  const s = send(suite, alice, 'x').state
  wipeRatchetState(s)
  for (const k of [s.rootKey, s.sendChainKey, s.sendHeaderKey, s.nextSendHeaderKey, s.nextReceiveHeaderKey, s.sendRatchet?.secretKey]) {
    assert.ok(k !== undefined && k.every((b) => b === 0))
  }
})
