/**
 * The /parley/auth/1.0.0 wire format and transcript, without a network:
 * every message round-trips; decoding is strict (unknown fields, wrong
 * sizes, a message of the wrong step) and typed (AUTH_PROTOCOL,
 * AUTH_VERSION_UNSUPPORTED); a refusal code we do not know arrives as
 * AUTH_FAILED; reasons are cut and cleaned; the transcript and the
 * presentation nonce depend on every input and on the role.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AUTH_MAX_REASON_BYTES, PROTOCOL_VERSION, SUITE_ID } from '../../src/constants.js'
import { encodeVersioned, utf8Length } from '../../src/codec/index.js'
import { defaultSuite as suite, encodedLength } from '../../src/crypto/index.js'
import { formatDid } from '../../src/identity/index.js'
import { createChallengeBook } from '../../src/network/auth.js'
import {
  AUTH_MESSAGE_KIND,
  authTranscript,
  decodeAuthMessage,
  encodeAuthMessage,
  presentationNonce,
  reasonText,
} from '../../src/network/auth-messages.js'
import type { AuthMessage, TranscriptInput } from '../../src/network/auth-messages.js'

const EXPECTED = { version: PROTOCOL_VERSION, suite: SUITE_ID }
const did = formatDid(new Uint8Array(32).fill(0xaa))
const group = formatDid(new Uint8Array(32).fill(0xbb))
const sig = new Uint8Array(encodedLength('signature')).fill(3)
const c32 = (n: number): Uint8Array => new Uint8Array(32).fill(n)

test('auth messages: every type round-trips', () => {
  const messages: AuthMessage[] = [
    { t: 'hello', ...EXPECTED, challenge: c32(1), did, group, wantsCredential: true },
    { t: 'hello', ...EXPECTED, challenge: c32(1), did, wantsCredential: false },
    { t: 'reply', ...EXPECTED, challenge: c32(2), echo: c32(1), did, group, wantsCredential: false, kel: Uint8Array.of(1, 2), presentation: Uint8Array.of(3), signature: sig, groupSignature: sig },
    { t: 'reply', ...EXPECTED, challenge: c32(2), echo: c32(1), did, wantsCredential: true, signature: sig },
    { t: 'proof', echo: c32(2), kel: Uint8Array.of(9), signature: sig },
    { t: 'ok' },
    { t: 'refuse', code: 'VC_EXPIRED', message: 'credential: expired' },
  ]
  for (const m of messages) {
    assert.deepEqual(decodeAuthMessage(encodeAuthMessage(m), [m.t === 'refuse' ? 'ok' : m.t], EXPECTED), m)
  }
})

test('auth messages: strict and typed decoding', () => {
  const hello = { t: 'hello', v: PROTOCOL_VERSION, s: SUITE_ID, c: c32(1), d: did, q: false }
  const frame = (body: Record<string, unknown>): Uint8Array => encodeVersioned(AUTH_MESSAGE_KIND, 1, body as never)
  assert.equal(decodeAuthMessage(frame(hello), ['hello'], EXPECTED).t, 'hello')
  assert.throws(() => decodeAuthMessage(frame(hello), ['reply'], EXPECTED), { code: 'AUTH_PROTOCOL' }, 'wrong step')
  assert.throws(() => decodeAuthMessage(frame({ ...hello, x: 1 }), ['hello'], EXPECTED), { code: 'AUTH_PROTOCOL' }, 'unknown field')
  assert.throws(() => decodeAuthMessage(frame({ ...hello, c: new Uint8Array(31) }), ['hello'], EXPECTED), { code: 'AUTH_PROTOCOL' }, 'short challenge')
  assert.throws(() => decodeAuthMessage(frame({ ...hello, d: 'did:example:x' }), ['hello'], EXPECTED), { code: 'AUTH_PROTOCOL' }, 'not a did:parley')
  assert.throws(() => decodeAuthMessage(frame({ ...hello, v: 2 }), ['hello'], EXPECTED), { code: 'AUTH_VERSION_UNSUPPORTED' })
  assert.throws(() => decodeAuthMessage(frame({ ...hello, s: 'parley-2' }), ['hello'], EXPECTED), { code: 'AUTH_VERSION_UNSUPPORTED' })
  assert.throws(() => decodeAuthMessage(frame({ t: 'proof', e: c32(1), sig: sig.subarray(1) }), ['proof'], EXPECTED), { code: 'AUTH_PROTOCOL' }, 'short signature')
  assert.throws(() => decodeAuthMessage(frame({ t: 'nope' }), ['ok'], EXPECTED), { code: 'AUTH_PROTOCOL' })
  assert.throws(() => decodeAuthMessage(Uint8Array.of(0xff), ['ok'], EXPECTED), { code: 'AUTH_PROTOCOL' })
  assert.throws(() => decodeAuthMessage(frame({ t: 'refuse', code: 'X', msg: 'a\u0007b' }), ['ok'], EXPECTED), { code: 'AUTH_PROTOCOL' }, 'control character')
  const unknown = decodeAuthMessage(frame({ t: 'refuse', code: 'SOMETHING_NEW', msg: 'later' }), ['ok'], EXPECTED)
  assert.deepEqual(unknown, { t: 'refuse', code: 'AUTH_FAILED', message: 'later' })
})

test('auth messages: refusal reasons are one clean line within the limit', () => {
  assert.equal(reasonText('a\nb\u0000c'), 'a b c')
  const long = reasonText('é'.repeat(AUTH_MAX_REASON_BYTES))
  assert.ok(utf8Length(long) <= AUTH_MAX_REASON_BYTES)
  assert.equal(long, 'é'.repeat(AUTH_MAX_REASON_BYTES / 2))
  const m = decodeAuthMessage(encodeAuthMessage({ t: 'refuse', code: 'INTERNAL', message: 'x'.repeat(5000) }), ['ok'], EXPECTED)
  assert.equal(m.t === 'refuse' ? m.message.length : 0, AUTH_MAX_REASON_BYTES)
})

test('auth transcript: bound to every input and to the role; the responder signs without the dialer presentation', () => {
  const base: TranscriptInput = {
    ...EXPECTED,
    dialer: { challenge: c32(1), peerId: Uint8Array.of(1), did, wantsCredential: true, presentationHash: c32(7) },
    responder: { challenge: c32(2), peerId: Uint8Array.of(2), did: group, wantsCredential: false, presentationHash: c32(8) },
  }
  const d = authTranscript('dialer', base)
  const r = authTranscript('responder', base)
  assert.notDeepEqual(d, r)
  // the responder's transcript does not depend on the dialer's presentation hash, the dialer's does
  const noHa = { ...base, dialer: { ...base.dialer, presentationHash: c32(9) } }
  assert.deepEqual(authTranscript('responder', noHa), r)
  assert.notDeepEqual(authTranscript('dialer', noHa), d)
  const variants: TranscriptInput[] = [
    { ...base, dialer: { ...base.dialer, challenge: c32(3) } },
    { ...base, responder: { ...base.responder, challenge: c32(3) } },
    { ...base, dialer: { ...base.dialer, peerId: Uint8Array.of(3) } },
    { ...base, responder: { ...base.responder, peerId: Uint8Array.of(3) } },
    { ...base, dialer: { ...base.dialer, did: group } },
    { ...base, responder: { ...base.responder, wantsCredential: true } },
    { ...base, responder: { ...base.responder, presentationHash: c32(1) } },
    { ...base, group },
  ]
  for (const v of variants) assert.notDeepEqual(authTranscript('dialer', v), d)
  for (const v of variants.slice(0, 4)) assert.notDeepEqual(presentationNonce(suite, 'dialer', v), presentationNonce(suite, 'dialer', base))
  assert.notDeepEqual(presentationNonce(suite, 'dialer', base), presentationNonce(suite, 'responder', base))
})

test('challenge book: single use, expiring, bounded', () => {
  const book = createChallengeBook(suite, 2, 1_000)
  const a = book.issue(0)
  assert.equal(a.length, 32)
  assert.throws(() => book.redeem(a, c32(0), 10), { code: 'AUTH_REPLAY' }, 'another challenge')
  book.redeem(a, a.slice(), 10)
  assert.throws(() => book.redeem(a, a.slice(), 20), { code: 'AUTH_REPLAY' }, 'used twice')
  const b = book.issue(0)
  assert.throws(() => book.redeem(b, b.slice(), 1_000), { code: 'AUTH_TIMEOUT' }, 'expired')
  book.issue(2_000)
  book.issue(2_000)
  assert.throws(() => book.issue(2_000), { code: 'AUTH_RATE_LIMITED' }, 'too many outstanding')
  assert.ok(book.issue(3_000).length === 32, 'room again once they expire')
})
