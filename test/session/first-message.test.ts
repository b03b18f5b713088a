/**
 * The first-message frame (header + first ratchet message) and the whole
 * first contact with the real double ratchet: Alice initiates, encrypts her
 * first message and frames it; Bob splits it, answers with `respond`,
 * decrypting in `confirm`, so a first message whose ratchet part does not
 * decrypt consumes no prekey; then both directions carry messages.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FIRST_MESSAGE_MAX_BYTES, PQXDH_HEADER_MAX_BYTES } from '../../src/constants.js'
import { decode, encodeVersioned } from '../../src/codec/index.js'
import type { CborMap } from '../../src/codec/index.js'
import { FIRST_MESSAGE_KIND, decodeFirstMessage, encodeFirstMessage } from '../../src/session/first-message.js'
import { initiate, respond, wipeResponderSecret } from '../../src/session/pqxdh.js'
import { initInitiator, initResponder, ratchetDecrypt, ratchetEncrypt } from '../../src/session/ratchet/index.js'
import type { RatchetState } from '../../src/session/ratchet/index.js'
import { at, makeResponder, newIdentity, own, resolverOf, suite, throwsCode } from './fixtures.js'

const alice = newIdentity('alice')
const bob = newIdentity('bob')
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

test('first message frame: round trip and strict decoding', () => {
  const m = { header: Uint8Array.of(1, 2, 3), ratchetMessage: Uint8Array.of(4, 5) }
  const bytes = encodeFirstMessage(m)
  assert.deepEqual(decodeFirstMessage(bytes), m)
  const body = (decode(bytes) as { b: CborMap }).b
  throwsCode(() => decodeFirstMessage(encodeVersioned(FIRST_MESSAGE_KIND, 2, body)), 'SESSION_VERSION_UNSUPPORTED')
  throwsCode(() => decodeFirstMessage(encodeVersioned(FIRST_MESSAGE_KIND, 1, { ...body, s: 'parley-0' })), 'SESSION_VERSION_UNSUPPORTED')
  throwsCode(() => decodeFirstMessage(encodeVersioned(FIRST_MESSAGE_KIND, 1, { ...body, x: 1 })), 'DECODE_SCHEMA')
  throwsCode(() => decodeFirstMessage(encodeVersioned(FIRST_MESSAGE_KIND, 1, { ...body, r: new Uint8Array(0) })), 'DECODE_SCHEMA')
  throwsCode(() => decodeFirstMessage(encodeVersioned(FIRST_MESSAGE_KIND, 1, { ...body, h: new Uint8Array(PQXDH_HEADER_MAX_BYTES + 1) })), 'DECODE_SCHEMA')
  throwsCode(() => decodeFirstMessage(new Uint8Array(FIRST_MESSAGE_MAX_BYTES + 1)), 'DECODE_TOO_LARGE')
  throwsCode(() => encodeFirstMessage({ header: new Uint8Array(0), ratchetMessage: Uint8Array.of(1) }), 'INVALID_ARGUMENT')
  throwsCode(() => encodeFirstMessage({ header: Uint8Array.of(1), ratchetMessage: new Uint8Array(0) }), 'INVALID_ARGUMENT')
  throwsCode(() => encodeFirstMessage({ header: Uint8Array.of(1), ratchetMessage: new Uint8Array(FIRST_MESSAGE_MAX_BYTES) }), 'INVALID_ARGUMENT')
  throwsCode(() => encodeFirstMessage({ header: Uint8Array.of(1), ratchetMessage: new Uint8Array(FIRST_MESSAGE_MAX_BYTES - 8) }), 'INVALID_ARGUMENT')
})

/** Alice's side: initiate, start the ratchet, encrypt, frame. */
function aliceFirst(bundle: Parameters<typeof initiate>[1]['bundle'], plaintext: string) {
  const { firstMessage, secret } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle, now: at(10) })
  const sent = ratchetEncrypt(suite, initInitiator(suite, secret), utf8(plaintext))
  return { state: sent.state, wire: encodeFirstMessage({ header: firstMessage, ratchetMessage: sent.message }) }
}

test('first contact end to end: PQXDH, then the ratchet in both directions', async () => {
  const r = await makeResponder(bob)
  const a = aliceFirst(r.bundle, 'hello bob')
  const { header, ratchetMessage } = decodeFirstMessage(a.wire)
  let bobState: RatchetState | undefined
  let first = ''
  const { theirs, secret } = await respond(suite, {
    ours: r.ours, prekeys: r.prekeys, replay: r.replay, resolveIdentity: resolverOf(alice.state), message: header, now: at(20),
    confirm: (s) => {
      const got = ratchetDecrypt(suite, initResponder(suite, s), ratchetMessage)
      bobState = got.state
      first = text(got.plaintext)
    },
  })
  wipeResponderSecret(secret)
  assert.equal(theirs.did, alice.state.did)
  assert.equal(first, 'hello bob')
  assert.ok(bobState !== undefined)
  let aliceState = a.state
  const reply = ratchetEncrypt(suite, bobState, utf8('hi alice'))
  bobState = reply.state
  const back = ratchetDecrypt(suite, aliceState, reply.message)
  aliceState = back.state
  assert.equal(text(back.plaintext), 'hi alice')
  for (let i = 0; i < 3; i++) {
    const m = ratchetEncrypt(suite, aliceState, utf8(`more ${i}`))
    aliceState = m.state
    const d = ratchetDecrypt(suite, bobState, m.message)
    bobState = d.state
    assert.equal(text(d.plaintext), `more ${i}`)
  }
})

test('a first message whose ratchet part does not decrypt consumes nothing; the genuine one is answered after', async () => {
  const r = await makeResponder(bob)
  const a = aliceFirst(r.bundle, 'hello')
  const { header, ratchetMessage } = decodeFirstMessage(a.wire)
  const tampered = ratchetMessage.slice()
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1
  const attempt = (body: Uint8Array) =>
    respond(suite, {
      ours: r.ours, prekeys: r.prekeys, replay: r.replay, resolveIdentity: resolverOf(alice.state), message: header, now: at(20),
      confirm: (s) => { ratchetDecrypt(suite, initResponder(suite, s), body) },
    })
  await assert.rejects(attempt(tampered))
  assert.equal((await r.prekeys.peekOneTime('x25519', r.bundle.oneTimePrekey?.id ?? -1)).status, 'available')
  assert.equal((await r.prekeys.peekOneTime('ml-kem', r.bundle.oneTimePqPrekey?.id ?? -1)).status, 'available')
  await attempt(ratchetMessage)
  assert.equal((await r.prekeys.peekOneTime('x25519', r.bundle.oneTimePrekey?.id ?? -1)).status, 'used')
})
