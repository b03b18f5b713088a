/**
 * The three key events of a `did:parley` key-event log (docs/identity.md
 * "Events"): `icp` inception, `rot` rotation and `upd` update, as typed
 * values and as deterministic CBOR. Each event travels in the codec's
 * versioned envelope (`parley/kel-event`, version 1), so its bytes are the
 * exact input of the event signature, the event digest and (for inception)
 * the DID. `decodeEvent` is strict: unknown fields, wrong types, sizes over
 * the limits, duplicate keys/services/members and empty updates are refused.
 * This file knows shapes only; chaining, signatures and group rules live in
 * state.ts and kel.ts.
 */

import {
  GROUP_MAX_MEMBERS,
  KEL_MAX_EVENT_BYTES,
  KEL_MAX_EVENTS,
  KEL_MAX_KEYS,
  KEL_MAX_SERVICE_FIELD_LENGTH,
  KEL_MAX_SERVICES,
  KEL_MAX_TIMESTAMP_SECONDS,
  MAX_NAME_LENGTH,
  SHA256_LENGTH,
} from '../constants.js'
import {
  asBytes,
  asMap,
  asText,
  bytesEqual,
  decodeVersioned,
  encodeVersioned,
  expectKeys,
  getArray,
  getBytes,
  getText,
  getUint,
  optional,
} from '../codec/index.js'
import type { CborMap, CborValue } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import { assertParleyDid } from './did.js'
import { decodeKey } from '../crypto/index.js'

/** Envelope kind of one event. */
export const KEL_EVENT_KIND = 'parley/kel-event'
/** Envelope version of events written by this code. */
export const KEL_EVENT_VERSION = 1

/** What an identity is: a single agent, a group of members, or a person (a group of devices). */
export type IdentityKind = 'individual' | 'group' | 'person'
const KINDS: readonly IdentityKind[] = ['individual', 'group', 'person']

/** A service the identity announces (types: 'libp2p-peer', 'libp2p-addr', 'relay', 'mailbox', …). */
export interface Service {
  /** Fragment-safe id, unique in the list (becomes `<did>#<id>` in the DID document). */
  id: string
  type: string
  endpoint: string
}

/** Optional state changes carried by `rot` and `upd`. Absent = unchanged. */
export interface EventChanges {
  /** Replaces the agreement keys (hybrid KEM public keys, 1..KEL_MAX_KEYS). */
  agreementKeys?: Uint8Array[]
  /** Replaces the service list (0..KEL_MAX_SERVICES). */
  services?: Service[]
  /** Sets the name; the empty string clears it. */
  name?: string
  /** Members to add (group and person identities only). */
  addMembers?: string[]
}

export interface InceptionEvent {
  type: 'icp'
  /** Unix time in seconds (the author's clock: a claim, not a proof). */
  timestamp: number
  kind: IdentityKind
  signingKey: Uint8Array
  nextCommitment: Uint8Array
  agreementKeys: Uint8Array[]
  services: Service[]
  name?: string
  /** Initial members (group and person only; empty for an individual). */
  members: string[]
}

interface ChainedEvent {
  did: string
  sequence: number
  /** `digest(LABELS.eventDigest, priorEventBytes)`. */
  prior: Uint8Array
  /** Unix time in seconds, never before the previous event's. */
  timestamp: number
}

export interface RotationEvent extends ChainedEvent, EventChanges {
  type: 'rot'
  /** The revealed, pre-committed signing key; signs this event. */
  signingKey: Uint8Array
  nextCommitment: Uint8Array
  /** Members to remove: only a rotation may remove (the control key changes with it). */
  removeMembers?: string[]
}

export interface UpdateEvent extends ChainedEvent, EventChanges {
  type: 'upd'
}

export type KelEvent = InceptionEvent | RotationEvent | UpdateEvent

/** A service id is URI-fragment safe (RFC 3986 unreserved characters). */
const SERVICE_ID_PATTERN = /^[A-Za-z0-9._~-]+$/

function invalid(message: string): ParleyError {
  return new ParleyError('KEL_EVENT_INVALID', message)
}

/** `bytes` if it is a well-formed typed encoding of `type` (tag and length), else KEY_INVALID/KEY_TYPE_MISMATCH. */
function typedKey(type: 'signingPublic' | 'kemPublic', bytes: Uint8Array): Uint8Array {
  decodeKey(type, bytes)
  return bytes
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

function servicesValue(services: readonly Service[]): CborValue {
  return services.map((s) => ({ id: s.id, type: s.type, endpoint: s.endpoint }))
}

function changesValue(body: CborMap, ev: EventChanges): void {
  if (ev.agreementKeys !== undefined) body['a'] = [...ev.agreementKeys]
  if (ev.services !== undefined) body['svc'] = servicesValue(ev.services)
  if (ev.name !== undefined) body['name'] = ev.name
  if (ev.addMembers !== undefined) body['add'] = [...ev.addMembers]
}

/**
 * The canonical bytes of `ev`. Encoding does not validate semantics: authors
 * run the result through `decodeEvent` and the verifier (author.ts does).
 */
export function encodeEvent(ev: KelEvent): Uint8Array {
  const body: CborMap = { t: ev.type, ts: ev.timestamp }
  if (ev.type === 'icp') {
    body['kind'] = ev.kind
    body['k'] = ev.signingKey
    body['n'] = ev.nextCommitment
    body['a'] = [...ev.agreementKeys]
    body['svc'] = servicesValue(ev.services)
    if (ev.name !== undefined) body['name'] = ev.name
    if (ev.kind !== 'individual') body['m'] = [...ev.members]
  } else {
    body['did'] = ev.did
    body['s'] = ev.sequence
    body['p'] = ev.prior
    changesValue(body, ev)
    if (ev.type === 'rot') {
      body['k'] = ev.signingKey
      body['n'] = ev.nextCommitment
      if (ev.removeMembers !== undefined) body['rm'] = [...ev.removeMembers]
    }
  }
  return encodeVersioned(KEL_EVENT_KIND, KEL_EVENT_VERSION, body)
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

function readServices(map: CborMap, key: string, what: string): Service[] {
  const items = getArray(map, key, what, KEL_MAX_SERVICES)
  const seen = new Set<string>()
  return items.map((item, i) => {
    const w = `${what}.${key}[${i}]`
    const m = asMap(item, w)
    expectKeys(m, ['id', 'type', 'endpoint'], [], w)
    const s: Service = {
      id: getText(m, 'id', w, KEL_MAX_SERVICE_FIELD_LENGTH),
      type: getText(m, 'type', w, KEL_MAX_SERVICE_FIELD_LENGTH),
      endpoint: getText(m, 'endpoint', w, KEL_MAX_SERVICE_FIELD_LENGTH),
    }
    if (!SERVICE_ID_PATTERN.test(s.id)) throw invalid(`${w}.id: not a fragment-safe identifier`)
    if (s.type.length === 0 || s.endpoint.length === 0) throw invalid(`${w}: empty type or endpoint`)
    if (seen.has(s.id)) throw invalid(`${w}.id: duplicate service id`)
    seen.add(s.id)
    return s
  })
}

function readAgreementKeys(map: CborMap, what: string): Uint8Array[] {
  const items = getArray(map, 'a', what, KEL_MAX_KEYS)
  if (items.length === 0) throw invalid(`${what}.a: at least one agreement key is required`)
  const keys = items.map((v, i) => typedKey('kemPublic', asBytes(v, `${what}.a[${i}]`)))
  for (let i = 0; i < keys.length; i++) {
    for (let j = 0; j < i; j++) {
      if (bytesEqual(keys[i] as Uint8Array, keys[j] as Uint8Array)) throw invalid(`${what}.a: duplicate agreement key`)
    }
  }
  return keys
}

function readDids(map: CborMap, key: string, what: string, minItems: number): string[] {
  const items = getArray(map, key, what, GROUP_MAX_MEMBERS)
  if (items.length < minItems) throw invalid(`${what}.${key}: empty member list`)
  const dids = items.map((v, i) => assertParleyDid(asText(v, `${what}.${key}[${i}]`, 64), `${what}.${key}[${i}]`))
  if (new Set(dids).size !== dids.length) throw invalid(`${what}.${key}: duplicate member`)
  return dids
}

function readName(map: CborMap, what: string, minLength: number): string | undefined {
  return optional(map, 'name', (m, k) => {
    const name = getText(m, k, what, MAX_NAME_LENGTH)
    if (name.length < minLength) throw invalid(`${what}.name: empty`)
    return name
  })
}

function readKind(map: CborMap, what: string): IdentityKind {
  const kind = getText(map, 'kind', what, 16)
  const found = KINDS.find((k) => k === kind)
  if (found === undefined) throw invalid(`${what}.kind: unknown identity kind`)
  return found
}

function readInception(map: CborMap, timestamp: number): InceptionEvent {
  const what = 'icp'
  expectKeys(map, ['t', 'ts', 'kind', 'k', 'n', 'a', 'svc'], ['name', 'm'], what)
  const kind = readKind(map, what)
  const members = kind === 'individual' ? [] : readDids(map, 'm', what, 0)
  if (kind === 'individual' && Object.hasOwn(map, 'm')) throw invalid('icp.m: an individual has no members')
  const ev: InceptionEvent = {
    type: 'icp',
    timestamp,
    kind,
    signingKey: typedKey('signingPublic', getBytes(map, 'k', what)),
    nextCommitment: getBytes(map, 'n', what, { length: SHA256_LENGTH }),
    agreementKeys: readAgreementKeys(map, what),
    services: readServices(map, 'svc', what),
    members,
  }
  const name = readName(map, what, 1)
  if (name !== undefined) ev.name = name
  return ev
}

const CHANGE_KEYS = ['a', 'svc', 'name', 'add'] as const

function readChanges(map: CborMap, what: string, ev: EventChanges): void {
  if (Object.hasOwn(map, 'a')) ev.agreementKeys = readAgreementKeys(map, what)
  if (Object.hasOwn(map, 'svc')) ev.services = readServices(map, 'svc', what)
  const name = readName(map, what, 0)
  if (name !== undefined) ev.name = name
  if (Object.hasOwn(map, 'add')) ev.addMembers = readDids(map, 'add', what, 1)
}

function readChained(map: CborMap, type: 'rot' | 'upd', timestamp: number): RotationEvent | UpdateEvent {
  const what = type
  const base = {
    did: assertParleyDid(getText(map, 'did', what, 64), `${what}.did`),
    sequence: getUint(map, 's', what, KEL_MAX_EVENTS),
    prior: getBytes(map, 'p', what, { length: SHA256_LENGTH }),
    timestamp,
  }
  if (base.sequence === 0) throw invalid(`${what}.s: only inception has sequence 0`)
  if (type === 'upd') {
    expectKeys(map, ['t', 'ts', 'did', 's', 'p'], CHANGE_KEYS, what)
    const ev: UpdateEvent = { type: 'upd', ...base }
    readChanges(map, what, ev)
    if (!CHANGE_KEYS.some((k) => Object.hasOwn(map, k))) throw invalid('upd: changes nothing')
    return ev
  }
  expectKeys(map, ['t', 'ts', 'did', 's', 'p', 'k', 'n'], [...CHANGE_KEYS, 'rm'], what)
  const ev: RotationEvent = {
    type: 'rot',
    ...base,
    signingKey: typedKey('signingPublic', getBytes(map, 'k', what)),
    nextCommitment: getBytes(map, 'n', what, { length: SHA256_LENGTH }),
  }
  readChanges(map, what, ev)
  if (Object.hasOwn(map, 'rm')) ev.removeMembers = readDids(map, 'rm', what, 1)
  const added = new Set(ev.addMembers ?? [])
  if ((ev.removeMembers ?? []).some((d) => added.has(d))) throw invalid('rot: a member is both added and removed')
  return ev
}

/**
 * Strictly decodes one event. Shape errors keep their `DECODE_*` code;
 * semantic ones (duplicates, empty update, unknown kind) are
 * `KEL_EVENT_INVALID`. kel.ts maps both to the KEL refusal codes.
 *
 * @example
 * const ev = decodeEvent(kel[0].event) // { type: 'icp', … }
 */
export function decodeEvent(bytes: Uint8Array): KelEvent {
  const body = decodeVersioned(bytes, KEL_EVENT_KIND, [KEL_EVENT_VERSION], { maxBytes: KEL_MAX_EVENT_BYTES })
  const map = asMap(body, 'kel event')
  const type = getText(map, 't', 'kel event', 3)
  const timestamp = getUint(map, 'ts', 'kel event', KEL_MAX_TIMESTAMP_SECONDS)
  if (type === 'icp') return readInception(map, timestamp)
  if (type === 'rot' || type === 'upd') return readChained(map, type, timestamp)
  throw invalid('kel event: unknown event type')
}
