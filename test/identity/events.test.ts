import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GROUP_MAX_MEMBERS, KEL_MAX_KEYS, KEL_MAX_TIMESTAMP_SECONDS, KEL_MAX_SERVICES, KEL_MAX_SERVICE_FIELD_LENGTH, MAX_NAME_LENGTH } from '../../src/constants.js'
import { encodeVersioned } from '../../src/codec/index.js'
import type { CborValue } from '../../src/codec/index.js'
import { isParleyError } from '../../src/errors.js'
import { formatDid } from '../../src/identity/did.js'
import { KEL_EVENT_KIND, decodeEvent, encodeEvent } from '../../src/identity/events.js'
import type { InceptionEvent, RotationEvent, UpdateEvent } from '../../src/identity/events.js'
import { T0S, suite } from './fixtures.js'

const sig = suite.generateSigningKey().publicKey
const kem = suite.generateKemKey().publicKey
const kem2 = suite.generateKemKey().publicKey
const did = (n: number): string => formatDid(new Uint8Array(32).fill(n))
const digest = new Uint8Array(32).fill(9)

const icp: InceptionEvent = {
  type: 'icp', timestamp: T0S, kind: 'group', signingKey: sig, nextCommitment: digest, agreementKeys: [kem, kem2],
  services: [{ id: 'relay-1', type: 'relay', endpoint: '/dns4/relay.example/tcp/443/wss' }], name: 'team', members: [did(1), did(2)],
}
const rot: RotationEvent = {
  type: 'rot', did: did(3), sequence: 4, prior: digest, timestamp: T0S + 5, signingKey: sig, nextCommitment: digest,
  addMembers: [did(4)], removeMembers: [did(1)], name: '', services: [],
}
const upd: UpdateEvent = { type: 'upd', did: did(3), sequence: 5, prior: digest, timestamp: T0S + 6, agreementKeys: [kem] }

/** The wire map of an event's mandatory fields, to edit and encode by hand. */
function body(ev: InceptionEvent | RotationEvent | UpdateEvent): Record<string, CborValue> {
  const b: Record<string, CborValue> = { t: ev.type, ts: ev.timestamp }
  if (ev.type === 'icp') Object.assign(b, { kind: ev.kind, k: ev.signingKey, n: ev.nextCommitment, a: ev.agreementKeys, svc: ev.services.map((s) => ({ ...s })), m: ev.members })
  else Object.assign(b, { did: ev.did, s: ev.sequence, p: ev.prior })
  return b
}
const raw = (b: Record<string, CborValue>): Uint8Array => encodeVersioned(KEL_EVENT_KIND, 1, b)
function without(b: Record<string, CborValue>, key: string): Record<string, CborValue> {
  const out = { ...b }
  delete out[key]
  return out
}

function refused(b: Record<string, CborValue>, label: string): void {
  assert.throws(() => decodeEvent(raw(b)), (err: unknown) => isParleyError(err) && (err.code === 'KEL_EVENT_INVALID' || err.code.startsWith('DECODE_') || err.code.startsWith('KEY_') || err.code === 'DID_INVALID'), label)
}

test('events: encode/decode round trip for each type', () => {
  assert.deepStrictEqual(decodeEvent(encodeEvent(icp)), icp)
  assert.deepStrictEqual(decodeEvent(encodeEvent(rot)), rot)
  assert.deepStrictEqual(decodeEvent(encodeEvent(upd)), upd)
  const individual: InceptionEvent = { ...icp, kind: 'individual', members: [] }
  delete individual.name
  assert.deepStrictEqual(decodeEvent(encodeEvent(individual)), individual)
})

test('events: encoding is deterministic and carries the envelope kind', () => {
  assert.deepStrictEqual(encodeEvent(icp), encodeEvent({ ...icp }))
  assert.ok(Buffer.from(encodeEvent(icp)).includes(Buffer.from(KEL_EVENT_KIND)))
})

test('events: strict decoding refuses bad shapes and semantics', () => {
  const i = body(icp)
  refused({ ...i, extra: 1 }, 'unknown field')
  refused({ ...i, kind: 'robot' }, 'unknown kind')
  refused({ ...i, kind: 'individual' }, 'individual with members')
  refused(without(i, 'm'), 'group without members')
  refused({ ...i, a: [] }, 'no agreement key')
  refused({ ...i, a: [kem, kem] }, 'duplicate agreement key')
  refused({ ...i, a: Array.from({ length: KEL_MAX_KEYS + 1 }, () => suite.generateKemKey().publicKey) }, 'too many agreement keys')
  refused({ ...i, a: [sig] }, 'signing key as agreement key')
  refused({ ...i, k: kem }, 'agreement key as signing key')
  refused({ ...i, k: sig.subarray(1) }, 'untagged key')
  refused({ ...i, n: digest.subarray(1) }, 'short commitment')
  refused({ ...i, name: '' }, 'empty inception name')
  refused({ ...i, name: 'x'.repeat(MAX_NAME_LENGTH + 1) }, 'long name')
  refused({ ...i, name: 'a\u0007b' }, 'control character')
  refused({ ...i, m: [did(1), did(1)] }, 'duplicate member')
  refused({ ...i, m: ['did:key:z6Mk'] }, 'foreign DID method')
  refused({ ...i, m: Array.from({ length: GROUP_MAX_MEMBERS + 1 }, () => formatDid(suite.randomBytes(32))) }, 'too many members')
  const svc = (s: Record<string, CborValue>): Record<string, CborValue> => ({ ...i, svc: [s] })
  refused(svc({ id: 'a b', type: 'relay', endpoint: 'x' }), 'service id not fragment-safe')
  refused(svc({ id: 'a', type: '', endpoint: 'x' }), 'empty service type')
  refused(svc({ id: 'a', type: 'relay', endpoint: '' }), 'empty endpoint')
  refused(svc({ id: 'a', type: 'relay', endpoint: 'x'.repeat(KEL_MAX_SERVICE_FIELD_LENGTH + 1) }), 'long endpoint')
  refused(svc({ id: 'a', type: 'relay', endpoint: 'x', port: 1 }), 'unknown service field')
  refused({ ...i, svc: [{ id: 'a', type: 't', endpoint: 'x' }, { id: 'a', type: 't', endpoint: 'y' }] }, 'duplicate service id')
  refused({ ...i, svc: Array.from({ length: KEL_MAX_SERVICES + 1 }, (_, n) => ({ id: `s${n}`, type: 't', endpoint: 'x' })) }, 'too many services')
  refused({ ...i, t: 'xyz' }, 'unknown type')
  refused({ ...i, ts: KEL_MAX_TIMESTAMP_SECONDS + 1 }, 'time beyond the Date range')

  const u = { ...body(upd), a: [kem] }
  assert.equal(decodeEvent(raw(u)).type, 'upd')
  refused({ ...u, s: 0 }, 'sequence 0 after inception')
  refused({ ...u, did: 'did:parley:abc' }, 'bad DID')
  refused({ ...u, p: digest.subarray(2) }, 'short prior')
  refused({ ...u, k: sig }, 'key in an update')
  refused({ ...u, rm: [did(1)] }, 'removal in an update')
  refused({ ...u, add: [] }, 'empty addition')
  refused(body(upd), 'update changing nothing')

  const r = { ...body(rot), k: sig, n: digest }
  assert.equal(decodeEvent(raw(r)).type, 'rot')
  refused({ ...r, add: [did(1)], rm: [did(1)] }, 'added and removed at once')
  refused({ ...r, rm: [] }, 'empty removal')
  refused(without(r, 'n'), 'rotation without commitment')
})

test('events: decoding refuses another envelope kind or version', () => {
  assert.throws(() => decodeEvent(encodeVersioned('parley/other', 1, body(upd))), (e: unknown) => isParleyError(e, 'DECODE_SCHEMA'))
  assert.throws(() => decodeEvent(encodeVersioned(KEL_EVENT_KIND, 2, body(upd))), (e: unknown) => isParleyError(e, 'DECODE_SCHEMA'))
})
