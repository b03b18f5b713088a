import { test } from 'node:test'
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { CODEC_MAX_ITEMS, KEL_MAX_BYTES, KEL_MAX_EVENTS, LABELS } from '../../src/constants.js'
import { encode, encodeVersioned } from '../../src/codec/index.js'
import { portableSuite } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'
import { createIdentity, rotateIdentity, updateIdentity } from '../../src/identity/author.js'
import type { KelEvent } from '../../src/identity/events.js'
import { compareKels, verifyKel, verifyKelEntry, verifySignedBy } from '../../src/identity/kel.js'
import { KEL_KIND, decodeKel, encodeKel } from '../../src/identity/log.js'
import type { KelEntry } from '../../src/identity/log.js'
import type { KeyState } from '../../src/identity/state.js'
import { T0S, at, cloneSecrets, signEvent, signRaw, suite, throwsCode } from './fixtures.js'

/** alice: icp (0), rot (1), upd (2); secrets before each step kept. */
function alice() {
  const a = createIdentity(suite, { name: 'alice', now: at(0), services: [{ id: 'p2p', type: 'libp2p-peer', endpoint: '12D3KooWA' }] })
  const s0 = cloneSecrets(a.secrets)
  const b = rotateIdentity(suite, a.kel, a.secrets, { now: at(1) })
  const s1 = cloneSecrets(b.secrets)
  const c = updateIdentity(suite, b.kel, b.secrets, { now: at(2), name: 'alice 2' })
  return { a, b, c, s0, s1 }
}
const fx = alice()
const other = createIdentity(suite, { now: at(0) })

const seenOf = (s: KeyState) => ({ did: s.did, sequence: s.sequence, digest: s.digest })

/** An update on top of `state` with overrides. */
function upd(state: KeyState, over: Partial<Extract<KelEvent, { type: 'upd' }>> = {}): Extract<KelEvent, { type: 'upd' }> {
  return { type: 'upd', did: state.did, sequence: state.sequence + 1, prior: state.digest, timestamp: state.updatedAt.getTime() / 1000, name: 'x', ...over }
}

test('verifyKel: a valid log gives the expected state (entries and bytes alike)', () => {
  const { a, b, c } = fx
  for (const input of [c.kel, encodeKel(c.kel)]) {
    const s = verifyKel(suite, input, { expectedDid: a.state.did })
    assert.equal(s.did, a.state.did)
    assert.equal(s.sequence, 2)
    assert.equal(s.kind, 'individual')
    assert.deepStrictEqual(s.members, [])
    assert.equal(s.name, 'alice 2')
    assert.deepStrictEqual(s.signingKey, b.state.signingKey)
    assert.equal(s.keySequence, 1)
    assert.deepStrictEqual(s.rotatedKeys, [a.state.signingKey])
    assert.deepStrictEqual(s.nextCommitment, b.state.nextCommitment)
    assert.deepStrictEqual(s.agreementKeys, a.state.agreementKeys)
    assert.deepStrictEqual(s.services, [{ id: 'p2p', type: 'libp2p-peer', endpoint: '12D3KooWA' }])
    assert.deepStrictEqual(s.createdAt, at(0))
    assert.deepStrictEqual(s.updatedAt, at(2))
    assert.deepStrictEqual(s, c.state)
  }
})

test('verifyKel: a log authored on the native suite verifies on the portable one alike', () => {
  assert.deepStrictEqual(verifyKel(portableSuite, encodeKel(fx.c.kel)), fx.c.state)
})

test('verifyKelEntry: incremental verification equals verifying the whole log', () => {
  const { b, c } = fx
  const last = c.kel[2] as KelEntry
  assert.deepStrictEqual(verifyKelEntry(suite, b.state, last), c.state)
})

test('KEL_EMPTY: no events', () => {
  throwsCode(() => verifyKel(suite, []), 'KEL_EMPTY')
  throwsCode(() => encodeKel([]), 'KEL_EMPTY')
  throwsCode(() => verifyKel(suite, encodeVersioned(KEL_KIND, 1, [])), 'KEL_EMPTY')
})

test('KEL_TOO_LONG: more than KEL_MAX_EVENTS events, refused before any verification', () => {
  const entry = fx.a.kel[0] as KelEntry
  const long = Array.from({ length: KEL_MAX_EVENTS + 1 }, () => entry)
  throwsCode(() => verifyKel(suite, long), 'KEL_TOO_LONG')
  throwsCode(() => encodeKel(long), 'KEL_TOO_LONG')
  const tiny = Array.from({ length: KEL_MAX_EVENTS + 1 }, () => ({ e: Uint8Array.of(1), sig: Uint8Array.of(1) }))
  const bytes = encode({ k: KEL_KIND, v: 1, b: tiny }, { maxBytes: KEL_MAX_BYTES, maxItems: Math.max(CODEC_MAX_ITEMS, KEL_MAX_EVENTS + 1) })
  throwsCode(() => decodeKel(bytes), 'KEL_TOO_LONG')
  throwsCode(() => verifyKel(suite, bytes), 'KEL_TOO_LONG')
})

test('KEL_INCEPTION_INVALID: first event not an inception, or malformed', () => {
  const { c, s0 } = fx
  throwsCode(() => verifyKel(suite, c.kel.slice(1)), 'KEL_INCEPTION_INVALID')
  const sig = (c.kel[0] as KelEntry).signature
  throwsCode(() => verifyKel(suite, [{ event: Uint8Array.of(0xa0), signature: sig }]), 'KEL_INCEPTION_INVALID')
  // an inception with an unknown field, validly signed
  const raw = signRaw(s0.signing, { t: 'icp', ts: T0S, kind: 'individual', k: fx.a.state.signingKey, n: fx.a.state.nextCommitment, a: fx.a.state.agreementKeys, svc: [], extra: 1 })
  throwsCode(() => verifyKel(suite, [raw]), 'KEL_INCEPTION_INVALID')
  // an individual listing members
  const withMembers = signRaw(s0.signing, { t: 'icp', ts: T0S, kind: 'individual', k: fx.a.state.signingKey, n: fx.a.state.nextCommitment, a: fx.a.state.agreementKeys, svc: [], m: [] })
  throwsCode(() => verifyKel(suite, [withMembers]), 'KEL_INCEPTION_INVALID')
})

test('KEL_ID_MISMATCH: expected DID, an event naming another DID, a seen record of another DID', () => {
  const { a, c, s0 } = fx
  throwsCode(() => verifyKel(suite, c.kel, { expectedDid: other.state.did }), 'KEL_ID_MISMATCH')
  const foreign = signEvent(s0.signing, upd(a.state, { did: other.state.did }))
  throwsCode(() => verifyKel(suite, [...a.kel, foreign]), 'KEL_ID_MISMATCH')
  throwsCode(() => verifyKel(suite, c.kel, { seen: seenOf(other.state) }), 'KEL_ID_MISMATCH')
})

test('KEL_SEQUENCE_INVALID: a skipped or repeated sequence number', () => {
  const { a, c, s0 } = fx
  throwsCode(() => verifyKel(suite, [...a.kel, signEvent(s0.signing, upd(a.state, { sequence: 2 }))]), 'KEL_SEQUENCE_INVALID')
  throwsCode(() => verifyKel(suite, [c.kel[0] as KelEntry, c.kel[2] as KelEntry, c.kel[1] as KelEntry]), 'KEL_SEQUENCE_INVALID')
})

test('KEL_CHAIN_BROKEN: prior digest does not match the previous event', () => {
  const { a, s0 } = fx
  const broken = signEvent(s0.signing, upd(a.state, { prior: suite.randomBytes(32) }))
  throwsCode(() => verifyKel(suite, [...a.kel, broken]), 'KEL_CHAIN_BROKEN')
})

test('KEL_SIGNATURE_INVALID: a flipped signature byte, an edited event, a stranger\'s key', () => {
  const { c } = fx
  const last = c.kel[2] as KelEntry
  const flipped = last.signature.slice()
  flipped[100] = (flipped[100] as number) ^ 1
  throwsCode(() => verifyKel(suite, [...c.kel.slice(0, 2), { event: last.event, signature: flipped }]), 'KEL_SIGNATURE_INVALID')
  const edited = last.event.slice()
  const at2 = Buffer.from(edited).indexOf('alice 2')
  edited[at2] = 'b'.charCodeAt(0)
  throwsCode(() => verifyKel(suite, [...c.kel.slice(0, 2), { event: edited, signature: last.signature }]), 'KEL_SIGNATURE_INVALID')
  const stranger = suite.generateSigningKey()
  throwsCode(() => verifyKel(suite, [...c.kel.slice(0, 2), signEvent(stranger.secretKey, upd(fx.b.state))]), 'KEL_SIGNATURE_INVALID')
  const icp = c.kel[0] as KelEntry
  throwsCode(() => verifyKel(suite, [{ event: icp.event, signature: last.signature }]), 'KEL_SIGNATURE_INVALID')
})

test('KEL_ROTATED_KEY: an event signed by a key rotated out before it', () => {
  const { a, b, s0 } = fx
  // an update after the rotation, signed with the old key
  throwsCode(() => verifyKel(suite, [...b.kel, signEvent(s0.signing, upd(b.state))]), 'KEL_ROTATED_KEY')
  // a rotation signed by the outgoing key instead of the revealed one
  const rot: KelEvent = {
    type: 'rot', did: a.state.did, sequence: 1, prior: a.state.digest, timestamp: T0S,
    signingKey: suite.signingPublicKey(s0.next), nextCommitment: suite.randomBytes(32),
  }
  throwsCode(() => verifyKel(suite, [...a.kel, signEvent(s0.signing, rot)]), 'KEL_ROTATED_KEY')
})

test('KEL_PREROTATION_MISMATCH: a rotation revealing a key that was not committed to', () => {
  const { a } = fx
  const intruder = suite.generateSigningKey()
  const rot: KelEvent = {
    type: 'rot', did: a.state.did, sequence: 1, prior: a.state.digest, timestamp: T0S,
    signingKey: intruder.publicKey, nextCommitment: suite.digest(LABELS.nextKeyCommitment, intruder.publicKey),
  }
  throwsCode(() => verifyKel(suite, [...a.kel, signEvent(intruder.secretKey, rot)]), 'KEL_PREROTATION_MISMATCH')
})

test('KEL_ROLLBACK: a valid log shorter than the one seen', () => {
  const { b, c } = fx
  throwsCode(() => verifyKel(suite, b.kel, { seen: seenOf(c.state) }), 'KEL_ROLLBACK')
  // the same or a longer log passes
  assert.equal(verifyKel(suite, c.kel, { seen: seenOf(c.state) }).sequence, 2)
  assert.equal(verifyKel(suite, c.kel, { seen: seenOf(b.state) }).sequence, 2)
})

test('KEL_DUPLICITY: two different events at one sequence (seen record and compareKels)', () => {
  const { b, c, s1 } = fx
  const fork = updateIdentity(suite, b.kel, cloneSecrets(s1), { now: at(2), name: 'mallory' })
  assert.equal(verifyKel(suite, fork.kel).sequence, 2) // each copy verifies on its own
  throwsCode(() => verifyKel(suite, fork.kel, { seen: seenOf(c.state) }), 'KEL_DUPLICITY')
  throwsCode(() => compareKels(c.kel, fork.kel), 'KEL_DUPLICITY')
  throwsCode(() => compareKels(encodeKel(c.kel), encodeKel(fork.kel)), 'KEL_DUPLICITY')
  assert.equal(compareKels(c.kel, c.kel), 'equal')
  assert.equal(compareKels(b.kel, c.kel), 'b-extends-a')
  assert.equal(compareKels(c.kel, b.kel), 'a-extends-b')
  throwsCode(() => compareKels(c.kel, other.kel), 'KEL_ID_MISMATCH')
  throwsCode(() => compareKels([], c.kel), 'KEL_EMPTY')
})

test('KEL_EVENT_INVALID: second inception, time going back, empty update, removal in an update, members of an individual', () => {
  const { a, s0 } = fx
  throwsCode(() => verifyKel(suite, [...a.kel, other.kel[0] as KelEntry]), 'KEL_EVENT_INVALID')
  throwsCode(() => verifyKel(suite, [...a.kel, signEvent(s0.signing, upd(a.state, { timestamp: T0S - 1 }))]), 'KEL_EVENT_INVALID')
  const base = { t: 'upd', ts: T0S, did: a.state.did, s: 1, p: a.state.digest }
  throwsCode(() => verifyKel(suite, [...a.kel, signRaw(s0.signing, base)]), 'KEL_EVENT_INVALID')
  throwsCode(() => verifyKel(suite, [...a.kel, signRaw(s0.signing, { ...base, rm: [other.state.did] })]), 'KEL_EVENT_INVALID')
  throwsCode(() => verifyKel(suite, [...a.kel, signEvent(s0.signing, upd(a.state, { addMembers: [other.state.did] }))]), 'KEL_EVENT_INVALID')
  throwsCode(() => verifyKel(suite, [...a.kel, signRaw(s0.signing, { ...base, t: 'del' })]), 'KEL_EVENT_INVALID')
})

test('malformed KEL bytes keep a DECODE_* code', () => {
  const bytes = encodeKel(fx.c.kel)
  for (const bad of [bytes.subarray(0, bytes.length - 1), Uint8Array.of(0xa0), encodeVersioned('parley/other', 1, [])]) {
    assert.throws(() => verifyKel(suite, bad), (err: unknown) => isParleyError(err) && err.code.startsWith('DECODE_'))
  }
})

test('verifySignedBy: current key passes, rotated-out key is KEL_ROTATED_KEY, anything else KEL_SIGNATURE_INVALID', () => {
  const { c, s0, s1 } = fx
  const msg = new TextEncoder().encode('hello')
  verifySignedBy(suite, c.state, LABELS.vpSignature, msg, suite.sign(s1.signing, LABELS.vpSignature, msg))
  throwsCode(() => verifySignedBy(suite, c.state, LABELS.vpSignature, msg, suite.sign(s0.signing, LABELS.vpSignature, msg)), 'KEL_ROTATED_KEY')
  throwsCode(() => verifySignedBy(suite, c.state, LABELS.kelEvent, msg, suite.sign(s1.signing, LABELS.vpSignature, msg)), 'KEL_SIGNATURE_INVALID')
  throwsCode(() => verifySignedBy(suite, c.state, LABELS.vpSignature, msg, Uint8Array.of(1, 2, 3)), 'KEL_SIGNATURE_INVALID')
})

test('verifyKel of a 100-event log takes < 100 ms (native suite, best of 5)', () => {
  // built by hand (authoring re-verifies each time): rotations and updates alternating
  let sk = suite.generateSigningKey()
  let next = suite.generateSigningKey()
  const kem = suite.generateKemKey()
  const kel: KelEntry[] = [signEvent(sk.secretKey, {
    type: 'icp', timestamp: T0S, kind: 'individual', signingKey: sk.publicKey,
    nextCommitment: suite.digest(LABELS.nextKeyCommitment, next.publicKey), agreementKeys: [kem.publicKey], services: [], members: [],
  })]
  let state = verifyKel(suite, kel)
  for (let i = 1; i < 100; i++) {
    let entry: KelEntry
    if (i % 2 === 1) {
      const after = suite.generateSigningKey()
      entry = signEvent(next.secretKey, {
        type: 'rot', did: state.did, sequence: i, prior: state.digest, timestamp: T0S + i,
        signingKey: next.publicKey, nextCommitment: suite.digest(LABELS.nextKeyCommitment, after.publicKey),
      })
      sk = next
      next = after
    } else {
      entry = signEvent(sk.secretKey, upd(state, { timestamp: T0S + i, name: `n${i}` }))
    }
    state = verifyKelEntry(suite, state, entry)
    kel.push(entry)
  }
  const bytes = encodeKel(kel)
  let best = Infinity
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now()
    assert.equal(verifyKel(suite, bytes).sequence, 99)
    best = Math.min(best, performance.now() - t0)
  }
  assert.ok(best < 100, `verifyKel took ${best.toFixed(1)} ms`)
})
