/**
 * The key state of a `did:parley` identity and its pure transitions: the
 * state an inception event creates, and the state one more (already decoded,
 * already signature-checked) event produces. This file enforces the chaining
 * and group rules that need no cryptography (sequence, prior digest, time
 * order, member additions and removals); kel.ts adds digests, pre-rotation
 * and signatures. Every function returns a fresh state and never mutates its
 * input, so a caller can verify on a copy and commit only on success.
 */

import { GROUP_MAX_MEMBERS } from '../constants.js'
import { bytesEqual } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import type { IdentityKind, InceptionEvent, RotationEvent, Service, UpdateEvent } from './events.js'

/** What a verified KEL says about an identity now. */
export interface KeyState {
  did: string
  /** Sequence number of the newest event. */
  sequence: number
  /** `digest(LABELS.eventDigest, newestEventBytes)`: the seen-record digest and the next event's `prior`. */
  digest: Uint8Array
  /** Current hybrid signing public key (typed encoding). */
  signingKey: Uint8Array
  /** Sequence of the establishment event (icp/rot) that set `signingKey`. */
  keySequence: number
  /** `digest(LABELS.nextKeyCommitment, nextSigningPublicKey)`. */
  nextCommitment: Uint8Array
  /** Current hybrid KEM public keys (typed encodings). */
  agreementKeys: Uint8Array[]
  services: Service[]
  name?: string
  kind: IdentityKind
  /** Member DIDs (group and person; empty for an individual). */
  members: string[]
  /** Signing keys rotated out, oldest first: a signature by one of them is refused as KEL_ROTATED_KEY. */
  rotatedKeys: Uint8Array[]
  createdAt: Date
  updatedAt: Date
}

/** A seen record: what a verifier remembers of a KEL to detect rollback and duplicity. */
export interface SeenRecord {
  did: string
  sequence: number
  digest: Uint8Array
}

function fail(code: 'KEL_ID_MISMATCH' | 'KEL_SEQUENCE_INVALID' | 'KEL_CHAIN_BROKEN' | 'KEL_EVENT_INVALID', message: string): never {
  throw new ParleyError(code, message)
}

function copyServices(services: readonly Service[]): Service[] {
  return services.map((s) => ({ id: s.id, type: s.type, endpoint: s.endpoint }))
}

/** A deep copy of `state` (byte arrays included), for callers that keep states around. */
export function copyKeyState(state: KeyState): KeyState {
  const out: KeyState = {
    did: state.did,
    sequence: state.sequence,
    digest: state.digest.slice(),
    signingKey: state.signingKey.slice(),
    keySequence: state.keySequence,
    nextCommitment: state.nextCommitment.slice(),
    agreementKeys: state.agreementKeys.map((k) => k.slice()),
    services: copyServices(state.services),
    kind: state.kind,
    members: [...state.members],
    rotatedKeys: state.rotatedKeys.map((k) => k.slice()),
    createdAt: new Date(state.createdAt.getTime()),
    updatedAt: new Date(state.updatedAt.getTime()),
  }
  if (state.name !== undefined) out.name = state.name
  return out
}

/** The state created by a (decoded, verified) inception event. */
export function inceptionState(did: string, digest: Uint8Array, ev: InceptionEvent): KeyState {
  const state: KeyState = {
    did,
    sequence: 0,
    digest,
    signingKey: ev.signingKey,
    keySequence: 0,
    nextCommitment: ev.nextCommitment,
    agreementKeys: ev.agreementKeys,
    services: copyServices(ev.services),
    kind: ev.kind,
    members: [...ev.members],
    rotatedKeys: [],
    createdAt: new Date(ev.timestamp * 1000),
    updatedAt: new Date(ev.timestamp * 1000),
  }
  if (ev.name !== undefined) state.name = ev.name
  return state
}

/**
 * Checks that `ev` links onto `state`: same DID (KEL_ID_MISMATCH), next
 * sequence number (KEL_SEQUENCE_INVALID), prior digest equal to the newest
 * event's digest (KEL_CHAIN_BROKEN), time not going backwards
 * (KEL_EVENT_INVALID).
 */
export function checkLink(state: KeyState, ev: RotationEvent | UpdateEvent): void {
  if (ev.did !== state.did) fail('KEL_ID_MISMATCH', `kel: event ${ev.sequence} names another DID`)
  if (ev.sequence !== state.sequence + 1) {
    fail('KEL_SEQUENCE_INVALID', `kel: expected sequence ${state.sequence + 1}, got ${ev.sequence}`)
  }
  if (!bytesEqual(ev.prior, state.digest)) fail('KEL_CHAIN_BROKEN', `kel: event ${ev.sequence} does not link to event ${state.sequence}`)
  if (ev.timestamp * 1000 < state.updatedAt.getTime()) fail('KEL_EVENT_INVALID', `kel: event ${ev.sequence} is dated before its predecessor`)
}

function applyMembers(state: KeyState, add: readonly string[], remove: readonly string[], sequence: number): string[] {
  if (add.length === 0 && remove.length === 0) return [...state.members]
  if (state.kind === 'individual') fail('KEL_EVENT_INVALID', `kel: event ${sequence} changes members of an individual`)
  const members = new Set(state.members)
  for (const did of remove) {
    if (!members.delete(did)) fail('KEL_EVENT_INVALID', `kel: event ${sequence} removes a DID that is not a member`)
  }
  for (const did of add) {
    if (did === state.did) fail('KEL_EVENT_INVALID', `kel: event ${sequence} adds the group to itself`)
    if (members.has(did)) fail('KEL_EVENT_INVALID', `kel: event ${sequence} adds an existing member`)
    members.add(did)
  }
  if (members.size > GROUP_MAX_MEMBERS) fail('KEL_EVENT_INVALID', `kel: event ${sequence} exceeds ${GROUP_MAX_MEMBERS} members`)
  return [...members]
}

/**
 * The state after `ev` (already linked with `checkLink` and signature-checked).
 * A rotation moves the current signing key to `rotatedKeys`. `digest` is the
 * event's digest. Group rules: additions in `upd` or `rot`, removals only in
 * `rot` (the decoder already refuses `rm` in an update), no member twice,
 * no removal of a non-member, at most GROUP_MAX_MEMBERS.
 */
export function nextState(state: KeyState, ev: RotationEvent | UpdateEvent, digest: Uint8Array): KeyState {
  const removed = ev.type === 'rot' ? (ev.removeMembers ?? []) : []
  const next: KeyState = {
    ...state,
    sequence: ev.sequence,
    digest,
    agreementKeys: ev.agreementKeys ?? state.agreementKeys,
    services: ev.services === undefined ? state.services : copyServices(ev.services),
    members: applyMembers(state, ev.addMembers ?? [], removed, ev.sequence),
    updatedAt: new Date(ev.timestamp * 1000),
  }
  if (ev.name !== undefined) {
    if (ev.name === '') delete next.name
    else next.name = ev.name
  }
  if (ev.type === 'rot') {
    next.rotatedKeys = [...state.rotatedKeys, state.signingKey]
    next.signingKey = ev.signingKey
    next.keySequence = ev.sequence
    next.nextCommitment = ev.nextCommitment
  }
  return next
}
