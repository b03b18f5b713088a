/**
 * Tampering: every bit flip, truncation and extension of a fresh message —
 * in the format byte, nonce, encrypted header and body — and any change of
 * the associated data is refused as the one opaque DECRYPT_FAILED, and the
 * receiver's state stays byte-identical. Covers the three header kinds (a
 * KEM step, an offer-only chain start, a plain message in the current chain
 * and one that starts a new chain).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultSuite as suite } from '../../../src/crypto/index.js'
import type { RatchetState } from '../../../src/session/ratchet/index.js'
import { makePair, receive, refused, send, utf8 } from './helpers.js'

interface Case {
  name: string
  state: RatchetState
  message: Uint8Array
}

function cases(): Case[] {
  // Alice's first chain offers an ML-KEM key; Bob's first reply is a KEM step to it.
  const offer = makePair(suite)
  const offered = send(suite, offer.alice, 'offer-only first message')
  const kemStep = send(suite, receive(suite, offer.bob, offered.message).state, 'KEM step first reply')

  let { alice, bob } = makePair(suite)
  const a = send(suite, alice, 'one')
  alice = a.state
  bob = receive(suite, bob, a.message).state
  const inChain = send(suite, alice, 'plain, current chain')
  const b = send(suite, bob, 'turn')
  alice = receive(suite, alice, b.message).state
  const newChain = send(suite, b.state, 'plain, new chain')
  return [
    { name: 'a KEM-step', state: offered.state, message: kemStep.message },
    { name: 'an offer-only', state: offer.bob, message: offered.message },
    { name: 'a plain in-chain', state: bob, message: inChain.message },
    { name: 'a plain new-chain', state: alice, message: newChain.message },
  ]
}

/** Positions to flip: every byte of short messages; boundaries and a stride for long ones. */
function positions(length: number): number[] {
  if (length <= 200) return [...Array(length).keys()]
  const out = new Set<number>([0, 1, 12, 13, 14, 48, 49, 50, 64, 65])
  for (let i = 0; i < length; i += 41) out.add(i)
  for (let i = length - 40; i < length; i++) out.add(i)
  return [...out].filter((i) => i < length)
}

for (const c of cases()) {
  test(`tampering with ${c.name} message is DECRYPT_FAILED, state untouched`, () => {
    // the intact message decrypts (against the same state), so every refusal below is the tampering's
    assert.ok(receive(suite, c.state, c.message).text.length > 0)
    for (const at of positions(c.message.length)) {
      for (const bit of at === 0 ? [0, 1, 2, 3, 4, 5, 6, 7] : [at % 8]) {
        const m = c.message.slice()
        m[at] = (m[at] as number) ^ (1 << bit)
        refused(c.state, m, 'DECRYPT_FAILED')
      }
    }
    for (const len of [0, 1, 12, 13, 48, 64, c.message.length - 17, c.message.length - 16, c.message.length - 1]) {
      refused(c.state, c.message.slice(0, Math.max(0, len)), 'DECRYPT_FAILED')
    }
    for (const tail of [Uint8Array.of(0), new Uint8Array(16), utf8('trailing')]) {
      const m = new Uint8Array(c.message.length + tail.length)
      m.set(c.message)
      m.set(tail, c.message.length)
      refused(c.state, m, 'DECRYPT_FAILED')
    }
    for (const at of [1, 13, 30, 60]) {
      // a byte inserted inside the header (or the nonce) shifts everything after it
      const m = new Uint8Array(c.message.length + 1)
      m.set(c.message.subarray(0, at))
      m[at] = 0x42
      m.set(c.message.subarray(at), at + 1)
      refused(c.state, m, 'DECRYPT_FAILED')
    }
    // every other format byte (version nibble, header kind)
    for (let f = 0; f < 256; f++) {
      if (f === c.message[0]) continue
      const m = c.message.slice()
      m[0] = f
      refused(c.state, m, 'DECRYPT_FAILED')
    }
  })

  test(`${c.name} message under other associated data is DECRYPT_FAILED`, () => {
    for (const ad of [new Uint8Array(0), c.state.associatedData.subarray(1), Uint8Array.of(...c.state.associatedData, 0)]) {
      refused({ ...c.state, associatedData: ad }, c.message, 'DECRYPT_FAILED')
    }
    const flipped = c.state.associatedData.slice()
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1
    refused({ ...c.state, associatedData: flipped }, c.message, 'DECRYPT_FAILED')
  })
}
