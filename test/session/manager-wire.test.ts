/**
 * The session layer's own wire and storage formats: the envelope
 * (`parley/session-msg`), the inner payload framing
 * (`parley/session-payload`), the session record, the issued-invite record
 * and the reset deposit content — round trips, strict decoding with one
 * code per refusal, and fuzzing (only ParleyErrors: 100,000 inputs for each
 * pure decoder, and `receive` itself on mutated real envelopes, after which
 * the receiver's stores are byte-identical).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode, encodeVersioned } from '../../src/codec/index.js'
import type { CborMap } from '../../src/codec/index.js'
import { isParleyError } from '../../src/errors.js'
import { SESSION_APP_MAX_BYTES, decodeFrame, encodeFrame } from '../../src/session/control.js'
import type { Frame } from '../../src/session/control.js'
import { decodeIssuedInvite, encodeIssuedInvite } from '../../src/session/issued-invite.js'
import { decodeResetContent, encodeResetContent } from '../../src/session/reset.js'
import { SESSION_MESSAGE_KIND, SESSION_MESSAGE_MAX_BYTES, decodeSessionMessage, encodeSessionMessage } from '../../src/session/session-message.js'
import { decodeSessionRecord, encodeSessionRecord, parseSessionRecord } from '../../src/session/session-record.js'
import type { SessionRecord } from '../../src/session/session-record.js'
import { fuzzDecoder, runFuzz } from '../helpers/fuzz.js'
import { Net, connectPair, utf8 } from './manager-harness.js'
import type { Packet } from './manager-harness.js'
import { at, throwsCode } from './fixtures.js'

const id = new Uint8Array(16).fill(7)
const rv = new Uint8Array(16).fill(9)
const did = 'did:parley:ievfm2mudzf5ofk653ykgkgcoswp7h7kruqr2shorsnhigahgyxa'
const bodyOf = (bytes: Uint8Array): CborMap => (decode(bytes) as { b: CborMap }).b

test('envelope: exactly one of f and m, strictly decoded', () => {
  const m = encodeSessionMessage({ sessionId: id, ratchetMessage: Uint8Array.of(1, 2, 3) })
  const f = encodeSessionMessage({ sessionId: id, first: Uint8Array.of(4, 5) })
  assert.deepEqual(decodeSessionMessage(m), { sessionId: id, ratchetMessage: Uint8Array.of(1, 2, 3) })
  assert.deepEqual(decodeSessionMessage(f), { sessionId: id, first: Uint8Array.of(4, 5) })
  const body = bodyOf(m)
  throwsCode(() => decodeSessionMessage(encodeVersioned(SESSION_MESSAGE_KIND, 2, body)), 'SESSION_VERSION_UNSUPPORTED')
  throwsCode(() => decodeSessionMessage(encodeVersioned('parley/other', 1, body)), 'DECODE_SCHEMA')
  throwsCode(() => decodeSessionMessage(encodeVersioned(SESSION_MESSAGE_KIND, 1, { ...body, f: Uint8Array.of(1) })), 'DECODE_SCHEMA')
  throwsCode(() => decodeSessionMessage(encodeVersioned(SESSION_MESSAGE_KIND, 1, { s: id })), 'DECODE_SCHEMA')
  throwsCode(() => decodeSessionMessage(encodeVersioned(SESSION_MESSAGE_KIND, 1, { ...body, x: 1 })), 'DECODE_SCHEMA')
  throwsCode(() => decodeSessionMessage(encodeVersioned(SESSION_MESSAGE_KIND, 1, { ...body, s: id.subarray(1) })), 'DECODE_SCHEMA')
  throwsCode(() => decodeSessionMessage(encodeVersioned(SESSION_MESSAGE_KIND, 1, { ...body, m: new Uint8Array(0) })), 'DECODE_SCHEMA')
  throwsCode(() => decodeSessionMessage(new Uint8Array(SESSION_MESSAGE_MAX_BYTES + 1)), 'DECODE_TOO_LARGE')
  throwsCode(() => decodeSessionMessage(m.subarray(0, m.length - 1)), 'DECODE_FAILED')
  throwsCode(() => encodeSessionMessage({ sessionId: id.subarray(1), ratchetMessage: Uint8Array.of(1) }), 'INVALID_ARGUMENT')
  throwsCode(() => encodeSessionMessage({ sessionId: id } as never), 'INVALID_ARGUMENT')
  throwsCode(() => encodeSessionMessage({ sessionId: id, ratchetMessage: new Uint8Array(0) }), 'INVALID_ARGUMENT')
})

const frames: Frame[] = [
  { payload: { type: 'app', data: utf8('hello') } },
  { payload: { type: 'app', data: utf8('with hello') }, hello: { resetRendezvous: rv, token: id } },
  { payload: { type: 'hello' }, hello: { resetRendezvous: rv } },
  { payload: { type: 'reset', reason: { code: 'rollback-detected', text: '' } } },
  { payload: { type: 'reset', reason: { code: 'other', text: 'moving devices' } } },
  { payload: { type: 'intro-request', peer: did } },
  { payload: { type: 'intro-offer', peer: did, invite: Uint8Array.of(1, 2) } },
  { payload: { type: 'intro', peer: did, invite: Uint8Array.of(3) }, hello: { resetRendezvous: rv } },
]

test('payload framing: every type round-trips; unknown types, fields and bad DIDs are refused', () => {
  for (const f of frames) assert.deepEqual(decodeFrame(encodeFrame(f)), f)
  const kind = 'parley/session-payload'
  throwsCode(() => decodeFrame(encodeVersioned(kind, 1, { t: 'poke', b: new Uint8Array(0) })), 'DECODE_SCHEMA')
  throwsCode(() => decodeFrame(encodeVersioned(kind, 1, { t: 'app', b: new Uint8Array(0), x: 1 })), 'DECODE_SCHEMA')
  throwsCode(() => decodeFrame(encodeVersioned(kind, 1, { t: 'hello', b: { r: rv }, h: { r: rv } })), 'DECODE_SCHEMA')
  throwsCode(() => decodeFrame(encodeVersioned(kind, 1, { t: 'hello', b: { r: rv.subarray(1) } })), 'DECODE_SCHEMA')
  throwsCode(() => decodeFrame(encodeVersioned(kind, 1, { t: 'intro-request', b: { p: 'did:web:example.org' } })), 'DID_INVALID')
  throwsCode(() => decodeFrame(encodeVersioned(kind, 1, { t: 'reset', b: { c: 'bored' } })), 'DECODE_SCHEMA')
  throwsCode(() => decodeFrame(encodeVersioned(kind, 2, { t: 'app', b: new Uint8Array(0) })), 'DECODE_SCHEMA')
  throwsCode(() => encodeFrame({ payload: { type: 'hello' } }), 'INVALID_ARGUMENT')
  throwsCode(() => encodeFrame({ payload: { type: 'app', data: new Uint8Array(SESSION_APP_MAX_BYTES + 2048) } }), 'INVALID_ARGUMENT')
  assert.ok(encodeFrame({ payload: { type: 'app', data: new Uint8Array(SESSION_APP_MAX_BYTES) }, hello: { resetRendezvous: rv, token: id } }).length > 0)
})

const full: SessionRecord = {
  peer: did, sessionId: id, role: 'initiator', origin: 'reset', ratchet: Uint8Array.of(1, 2, 3),
  pending: { header: Uint8Array.of(9), token: id }, rendezvous: { mine: rv, theirs: id },
  created: at(5), peerKeySequence: 3, reason: { code: 'user-request', text: 'new phone' }, replaces: rv,
  outgoingReset: { token: rv, created: at(6) }, introductions: [did], introducer: did,
}
const minimal: SessionRecord = { peer: did, sessionId: id, role: 'responder', origin: 'direct', ratchet: Uint8Array.of(1), rendezvous: { mine: rv }, created: at(0), peerKeySequence: 0 }

test('session record: round trip; another record, garbage, or a responder with a pending header is STORE_CORRUPT', () => {
  for (const r of [full, minimal]) assert.deepEqual(decodeSessionRecord(encodeSessionRecord(r), r.peer, r.sessionId), r)
  throwsCode(() => decodeSessionRecord(encodeSessionRecord(full), did, rv), 'STORE_CORRUPT')
  throwsCode(() => decodeSessionRecord(encodeSessionRecord(full), 'did:parley:other', id), 'STORE_CORRUPT')
  throwsCode(() => parseSessionRecord(Uint8Array.of(0xa0)), 'STORE_CORRUPT')
  throwsCode(() => parseSessionRecord(encodeSessionRecord({ ...minimal, pending: { header: Uint8Array.of(1) } })), 'STORE_CORRUPT')
})

test('issued-invite record and reset deposit content: round trip and strict refusals', () => {
  const issued = { purpose: 'reset' as const, audience: did, resetRendezvous: rv, introducer: did, reason: { code: 'other' as const, text: 'x' }, replaces: id }
  assert.deepEqual(decodeIssuedInvite(encodeIssuedInvite(issued)), issued)
  assert.deepEqual(decodeIssuedInvite(encodeIssuedInvite({ purpose: 'contact', resetRendezvous: rv })), { purpose: 'contact', resetRendezvous: rv })
  throwsCode(() => decodeIssuedInvite(Uint8Array.of(1)), 'STORE_CORRUPT')
  const content = { invite: Uint8Array.of(1, 2, 3), reason: { code: 'key-compromise' as const, text: '' } }
  assert.deepEqual(decodeResetContent(encodeResetContent(content)), content)
  throwsCode(() => decodeResetContent(Uint8Array.of(1)), 'RESET_INVALID')
})

fuzzDecoder('session envelope', decodeSessionMessage, [
  encodeSessionMessage({ sessionId: id, ratchetMessage: new Uint8Array(120).fill(3) }),
  encodeSessionMessage({ sessionId: id, first: new Uint8Array(300).fill(5) }),
])
fuzzDecoder('session payload', decodeFrame, frames.map(encodeFrame))
fuzzDecoder('session record', parseSessionRecord, [encodeSessionRecord(full), encodeSessionRecord(minimal)], { runs: 20_000 })
fuzzDecoder('issued invite record', decodeIssuedInvite, [encodeIssuedInvite({ purpose: 'introduction', audience: did, resetRendezvous: rv, introducer: did })], { runs: 20_000 })
fuzzDecoder('reset deposit content', decodeResetContent, [encodeResetContent({ invite: new Uint8Array(64).fill(1), reason: { code: 'other', text: 'why' } })], { runs: 20_000 })

test('fuzz: receive on mutated real envelopes refuses with ParleyErrors only and changes nothing', { timeout: 120_000 }, async (t) => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob', { resetAfterDecryptFailures: 0 })
  const { full: invite } = await bob.manager.createInvite({ addresses: [] })
  net.post(alice, (await alice.manager.connect(invite)).outgoing)
  const seeds = [net.queue[0]?.bytes as Uint8Array] // a first message (f)
  await net.flush()
  for (let i = 0; i < 3; i++) {
    const out = await alice.manager.send(bob.did, utf8(`seed ${i}`))
    seeds.push(out.bytes)
    await net.deliver({ from: alice.did, to: bob.did, bytes: out.bytes } satisfies Packet)
  }
  const inputs: Uint8Array[] = []
  runFuzz('receive inputs', (b) => inputs.push(b), seeds, { runs: 20_000, maxRandomLength: 1024 })
  // the parts inside a well-formed envelope: the first-message frame (PQXDH header) and the ratchet message
  const parts = seeds.map(decodeSessionMessage)
  const wrap = (sessionId: Uint8Array, key: 'first' | 'ratchetMessage') => (b: Uint8Array): void => {
    if (b.length > 0) inputs.push(encodeSessionMessage(key === 'first' ? { sessionId, first: b } : { sessionId, ratchetMessage: b }))
  }
  const [f, m] = [parts[0], parts[1]]
  assert.ok(f?.first !== undefined && m?.ratchetMessage !== undefined)
  runFuzz('receive first-message parts', wrap(f.sessionId, 'first'), [f.first], { runs: 5000, maxRandomLength: 512 })
  runFuzz('receive ratchet-message parts', wrap(m.sessionId, 'ratchetMessage'), [m.ratchetMessage], { runs: 5000, maxRandomLength: 512 })
  const before = await bob.dump([alice.did])
  const refused: Record<string, number> = {}
  let accepted = 0
  const started = performance.now()
  for (const [i, input] of inputs.entries()) {
    try {
      await bob.manager.receive(input, { from: alice.did })
      accepted++
    } catch (err) {
      if (!isParleyError(err)) assert.fail(`run ${i}: a non-ParleyError: ${String(err)}`)
      refused[err.code] = (refused[err.code] ?? 0) + 1
    }
  }
  t.diagnostic(`${inputs.length} inputs in ${((performance.now() - started) / 1000).toFixed(2)} s; accepted ${accepted}; refused ${JSON.stringify(refused)}`)
  assert.equal(accepted, 0)
  assert.equal(await bob.dump([alice.did]), before)
})
