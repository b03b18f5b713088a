/**
 * The sparse ML-KEM schedule (docs/ratchet.md): which chains are KEM steps,
 * that every message of a KEM chain carries the ciphertext and the new offer
 * (so a lost first message does not matter), the start (the initiator
 * offers, the responder's first reply is the first KEM step), refusals
 * of stale or malformed KEM fields, the wire sizes, and post-compromise
 * security against an adversary who knows every X25519 secret (standing in
 * for a quantum one): it heals after the KEM steps, and only because of them.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { defaultSuite as suite, portableSuite } from '../../../src/crypto/index.js'
import { AEAD_TAG_LENGTH, RATCHET_KEM_INTERVAL } from '../../../src/constants.js'
import { HEADER_KIND_KEM, HEADER_KIND_OFFER, HEADER_KIND_PLAIN, messageOverhead, ratchetDecrypt, ratchetStateInfo } from '../../../src/session/ratchet/index.js'
import type { RandomSource, RatchetState } from '../../../src/session/ratchet/index.js'
import { makePair, receive, refused, send } from './helpers.js'

/** Bytes a message adds to a 100-byte plaintext in the ping-pong of libsignal 0.103.0 (bench/sessions-libsignal.ts, measured: 96.6). */
const LIBSIGNAL_PING_PONG_OVERHEAD = 96.6
const PLAIN = messageOverhead(HEADER_KIND_PLAIN)
const KEM = messageOverhead(HEADER_KIND_KEM)
const OFFER = messageOverhead(HEADER_KIND_OFFER)

/** Ping-pong of `rounds` round trips; returns the overhead of every message, Alice's first. */
function pingPong(alice: RatchetState, bob: RatchetState, rounds: number): { overheads: number[]; alice: RatchetState; bob: RatchetState } {
  const overheads: number[] = []
  const body = 'p'.repeat(100)
  for (let i = 0; i < rounds; i++) {
    const a = send(suite, alice, body)
    alice = a.state
    overheads.push(a.message.length - 100)
    bob = receive(suite, bob, a.message).state
    const b = send(suite, bob, body)
    bob = b.state
    overheads.push(b.message.length - 100)
    alice = receive(suite, alice, b.message).state
  }
  return { overheads, alice, bob }
}

test('wire sizes: plain, offer-only and KEM-step headers', () => {
  assert.equal(PLAIN, 1 + 12 + 36 + 2 * AEAD_TAG_LENGTH)
  assert.equal(OFFER, PLAIN + 2 + 1184)
  assert.equal(KEM, PLAIN + 2 + 1088 + 2 + 1184)
  assert.deepEqual([PLAIN, OFFER, KEM], [81, 1267, 2357])
})

test(`KEM steps every RATCHET_KEM_INTERVAL (${RATCHET_KEM_INTERVAL}) own DH steps, Bob's first reply first; amortized overhead within 2× libsignal`, (t) => {
  const { alice, bob } = makePair(suite)
  const rounds = 3 * RATCHET_KEM_INTERVAL
  const { overheads, alice: a, bob: b } = pingPong(alice, bob, rounds)
  const kemAt = overheads.flatMap((o, i) => (o === KEM ? [i] : []))
  // Alice's first chain offers; Bob's (odd) steps 1, 1 + interval, 1 + 2·interval are KEM steps, and
  // Alice's (even) steps 1 + interval, 1 + 2·interval (her offer restarted her count).
  const expected = [1, 2 * RATCHET_KEM_INTERVAL, 2 * RATCHET_KEM_INTERVAL + 1, 4 * RATCHET_KEM_INTERVAL, 4 * RATCHET_KEM_INTERVAL + 1]
  assert.deepEqual(kemAt, expected)
  assert.equal(overheads[0], OFFER)
  assert.ok(overheads.slice(1).every((o) => o === KEM || o === PLAIN))
  assert.equal(ratchetStateInfo(a).kemStepsSent, 2)
  assert.equal(ratchetStateInfo(b).kemStepsReceived, 2)
  assert.equal(ratchetStateInfo(b).kemStepsSent, 3)
  const amortized = overheads.reduce((s, o) => s + o, 0) / overheads.length
  const steady = PLAIN + (KEM - PLAIN) / RATCHET_KEM_INTERVAL
  t.diagnostic(`ping-pong overhead: first message ${OFFER}, plain turn ${PLAIN}, KEM step ${KEM}, amortized ${amortized.toFixed(1)} over ${overheads.length} (steady state ${steady.toFixed(1)}; libsignal ${LIBSIGNAL_PING_PONG_OVERHEAD})`)
  assert.ok(steady <= 2 * LIBSIGNAL_PING_PONG_OVERHEAD, `steady-state overhead ${steady} above 2× libsignal`)
  assert.ok(amortized <= 2 * LIBSIGNAL_PING_PONG_OVERHEAD, `amortized overhead ${amortized} above 2× libsignal`)
})

test('every message of a KEM chain carries the KEM fields: a lost first message does not matter', () => {
  let { alice, bob } = makePair(suite, { kemInterval: 1 })
  const a = send(suite, alice, 'offer')
  alice = a.state
  bob = receive(suite, bob, a.message).state
  const m0 = send(suite, bob, 'lost')
  const m1 = send(suite, m0.state, 'arrives')
  bob = m1.state
  assert.equal(m0.message.length - 'lost'.length, KEM)
  assert.equal(m1.message.length - 'arrives'.length, KEM)
  const r = receive(suite, alice, m1.message)
  assert.equal(r.text, 'arrives')
  alice = r.state
  const info = ratchetStateInfo(alice)
  assert.equal(info.kemStepsReceived, 1)
  assert.equal(info.hasOutstandingOffer, false, 'the used seed is deleted')
  assert.equal(info.holdsPeerKemKey, true)
  assert.equal(receive(suite, alice, m0.message).text, 'lost')
  // Alice's reply is a KEM step too (interval 1), to Bob's new offer; then Bob's next again.
  const a2 = send(suite, alice, 'reply')
  assert.equal(a2.message.length - 'reply'.length, KEM)
  bob = receive(suite, bob, a2.message).state
  const b2 = send(suite, bob, 'again')
  assert.equal(b2.message.length - 'again'.length, KEM)
})

test('the initiator offers an ML-KEM key; the responder\'s first reply is the first KEM step; the offer restarts the initiator\'s count', () => {
  let { alice, bob } = makePair(suite, { kemInterval: 3 })
  const a = send(suite, alice, 'hi')
  alice = a.state
  assert.equal(a.message.length - 2, OFFER)
  assert.equal(ratchetStateInfo(alice).sendChainKem, 'offer')
  assert.equal(ratchetStateInfo(alice).kemStepsSince, 0)
  bob = receive(suite, bob, a.message).state
  const b = send(suite, bob, 'yo')
  bob = b.state
  assert.equal(b.message.length - 2, KEM)
  alice = receive(suite, alice, b.message).state
  assert.equal(ratchetStateInfo(alice).kemStepsReceived, 1)
  // Alice's own steps 2 and 3 are plain, her 4th (interval 3 after the offer) a KEM step.
  const sizes: number[] = []
  for (let i = 0; i < 3; i++) {
    const m = send(suite, alice, 'ok')
    alice = m.state
    sizes.push(m.message.length - 2)
    bob = receive(suite, bob, m.message).state
    const back = send(suite, bob, 'ok')
    bob = back.state
    alice = receive(suite, alice, back.message).state
  }
  assert.deepEqual(sizes, [PLAIN, PLAIN, KEM])
  assert.equal(ratchetStateInfo(bob).kemStepsReceived, 1)
})

test('a KEM ciphertext for an offer the receiver does not hold is RATCHET_ROLLBACK_DETECTED', () => {
  // An initiator restored from before its first send (so without the offer it made) gets the KEM-step reply.
  const start = makePair(suite)
  const offer = send(suite, start.alice, 'offer')
  const reply = send(suite, receive(suite, start.bob, offer.message).state, 'kem step')
  refused(start.alice, reply.message, 'RATCHET_ROLLBACK_DETECTED')
  assert.equal(receive(suite, offer.state, reply.message).text, 'kem step')

  // A sender whose view of the peer's offer is stale (as after restoring an old state).
  let { alice, bob } = makePair(suite, { kemInterval: 1 })
  const a = send(suite, alice, 'one')
  alice = a.state
  bob = receive(suite, bob, a.message).state
  const b = send(suite, bob, 'two')
  bob = b.state
  alice = receive(suite, alice, b.message).state
  const peer = alice.kemPeer
  assert.ok(peer !== undefined)
  const stale: RatchetState = { ...alice, kemPeer: { ...peer, id: (peer.id + 7) % 0x10000 } }
  refused(bob, send(suite, stale, 'three').message, 'RATCHET_ROLLBACK_DETECTED')
  assert.equal(receive(suite, bob, send(suite, alice, 'three').message).text, 'three')
})

test('a malformed offered ML-KEM key is refused with its message (DECRYPT_FAILED)', () => {
  const { alice, bob } = makePair(suite)
  const first = send(suite, alice, 'first')
  const kem = first.state.sendKem
  assert.ok(kem !== undefined)
  const bad: RatchetState = { ...first.state, sendKem: { ...kem, encapsulationKey: new Uint8Array(1184).fill(0xff) } }
  refused(bob, send(suite, bad, 'second').message, 'DECRYPT_FAILED')
})

/**
 * Random hooks for the PCS test: the X25519 secret of every DH step comes
 * from a stream the adversary knows; everything else (ML-KEM randomness and
 * seeds, nonces) is fresh.
 */
function knownDh(stream: Uint8Array[]): RandomSource {
  let first = true
  return (n: number) => {
    const dh = first && n === 32
    first = false
    if (!dh) return new Uint8Array(randomBytes(n))
    const secret = new Uint8Array(randomBytes(32))
    stream.push(secret)
    return secret.slice()
  }
}

function replay(stream: Uint8Array[], at: number): RandomSource {
  let first = true
  return (n: number) => {
    const dh = first && n === 32
    first = false
    return dh ? (stream[at] as Uint8Array).slice() : new Uint8Array(randomBytes(n))
  }
}

/**
 * Bob's state leaks at a round; the adversary then learns every X25519
 * secret of both sides and mirrors Bob. Returns, per later round, whether it
 * could read Alice's message.
 */
function compromise(kemInterval: number, rounds: number): boolean[] {
  const s = portableSuite
  let { alice, bob } = makePair(s, { kemInterval })
  const dh: Uint8Array[] = []
  const step = (from: 'a' | 'b', text: string): Uint8Array => {
    if (from === 'a') {
      const r = send(s, alice, text, knownDh(dh))
      alice = r.state
      bob = ratchetDecrypt(s, bob, r.message).state
      return r.message
    }
    const r = send(s, bob, text, knownDh(dh))
    bob = r.state
    alice = ratchetDecrypt(s, alice, r.message).state
    return r.message
  }
  for (let i = 0; i < 3; i++) {
    step('a', 'warm-up')
    step('b', 'warm-up')
  }
  let stolen: RatchetState | undefined = bob
  const readable: boolean[] = []
  for (let i = 0; i < rounds; i++) {
    const m = step('a', `secret ${i}`)
    let ok = false
    if (stolen !== undefined) {
      try {
        stolen = ratchetDecrypt(s, stolen, m).state
        ok = true
      } catch {
        stolen = undefined
      }
    }
    readable.push(ok)
    const at = dh.length
    step('b', 'reply')
    // the adversary mirrors Bob's DH step with the secret it knows
    if (stolen !== undefined && dh.length > at) stolen = send(s, stolen, 'mirror', replay(dh, at)).state
  }
  return readable
}

test('PCS against an adversary knowing all X25519 secrets: healed after the KEM steps, and only by them', (t) => {
  const interval = 3
  const healed = compromise(interval, 2 * interval + 2)
  t.diagnostic(`interval ${interval}: adversary reads Alice's messages per round trip after the leak: ${healed.map((r) => (r ? 'yes' : 'no')).join(' ')}`)
  const firstLost = healed.indexOf(false)
  assert.ok(healed[0] === true, 'the emulated quantum adversary reads the first message after the leak')
  assert.ok(firstLost > 0 && firstLost <= interval + 1, `still readable after ${firstLost} round trips: ${healed.join(' ')}`)
  assert.ok(healed.slice(firstLost).every((r) => !r), 'readable again after healing')
  // With the KEM steps pushed out of reach, the same adversary keeps reading.
  const never = compromise(1000, 2 * interval + 2)
  assert.ok(never.every((r) => r), `without KEM steps the adversary lost track: ${never.join(' ')}`)
})
