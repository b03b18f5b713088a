/**
 * Authoring a `did:parley` identity: create (inception), rotate (reveal the
 * committed key, commit a new one; the only way to remove a group member),
 * and update (services, name, agreement keys, member additions). Pure: the
 * clock is the `now` option, randomness comes from the suite, nothing is
 * stored. Every authored event is run through the verifier before it is
 * returned, so an author can never produce a log its peers would refuse.
 *
 * Secrets: on success the `secrets` passed in are wiped (every replaced key
 * is gone) and fresh copies come back in the result; on failure the input is
 * untouched and every key generated on the way is wiped.
 */

import { KEL_MAX_KEYS, LABELS } from '../constants.js'
import { bytesEqual } from '../codec/index.js'
import type { KeyPair, Suite } from '../crypto/index.js'
import { ParleyError, wrapError } from '../errors.js'
import { assertParleyDid } from './did.js'
import { encodeEvent } from './events.js'
import type { EventChanges, IdentityKind, KelEvent, Service } from './events.js'
import { verifyKel, verifyKelEntry } from './kel.js'
import { decodeKel } from './log.js'
import type { Kel, KelEntry } from './log.js'
import { wipeSecrets } from './secrets.js'
import type { IdentitySecrets } from './secrets.js'
import type { KeyState } from './state.js'

/**
 * A member to add, as evidence that its KEL verifies: a `KeyState` returned
 * by `verifyKel`, or the KEL itself (entries or `parley/kel` bytes), which is
 * verified here. A bare DID is not accepted: nobody may be listed whose log
 * the author has not checked.
 */
export type MemberRef = KeyState | Kel | Uint8Array

export interface CreateIdentityOptions {
  now: Date
  name?: string
  services?: Service[]
  /** Default 'individual'. */
  kind?: IdentityKind
  /** Initial members (group/person only). A person's members must be individuals (devices). */
  members?: MemberRef[]
  /** Number of agreement keys (1..KEL_MAX_KEYS, default 1). */
  agreementKeyCount?: number
}

export interface UpdateIdentityOptions {
  now: Date
  /** Replaces the service list. */
  services?: Service[]
  /** Sets the name; `null` clears it. */
  name?: string | null
  /** Replaces the agreement keys with this many fresh ones (1..KEL_MAX_KEYS); old agreement secrets are wiped. */
  newAgreementKeys?: number
  /** Members to add (group/person only). */
  addMembers?: MemberRef[]
}

export interface RotateIdentityOptions extends UpdateIdentityOptions {
  /** Member DIDs to remove; the control key rotates with them, so they lose it. */
  removeMembers?: string[]
}

/** An identity as its author holds it. */
export interface Identity {
  kel: KelEntry[]
  secrets: IdentitySecrets
  state: KeyState
}

function argument(message: string): ParleyError {
  return new ParleyError('INVALID_ARGUMENT', message)
}

/** `now` in Unix seconds, but never before `notBefore` (the previous event's time). */
function timeOf(now: Date, notBefore: Date | undefined): number {
  if (!(now instanceof Date) || !Number.isSafeInteger(now.getTime()) || now.getTime() < 0) {
    throw argument('identity: `now` must be a valid Date after 1970')
  }
  // a clock slightly behind the last event must not make the log invalid
  return Math.max(Math.floor(now.getTime() / 1000), notBefore === undefined ? 0 : notBefore.getTime() / 1000)
}

/** `count` fresh agreement key pairs, also pushed to `generated` (wiped if the operation fails). */
function agreementKeys(suite: Suite, count: number, generated: KeyPair[]): KeyPair[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > KEL_MAX_KEYS) {
    throw argument(`identity: agreement key count must be 1..${KEL_MAX_KEYS}`)
  }
  const pairs = Array.from({ length: count }, () => suite.generateKemKey())
  generated.push(...pairs)
  return pairs
}

function memberState(suite: Suite, ref: MemberRef): KeyState {
  return ref instanceof Uint8Array || Array.isArray(ref) ? verifyKel(suite, ref) : (ref as KeyState)
}

/** Member DIDs from verified states; a person's members must be individuals (devices). */
function memberDids(suite: Suite, refs: readonly MemberRef[], kind: IdentityKind, self?: string): string[] {
  const dids: string[] = []
  for (const ref of refs) {
    const member = memberState(suite, ref)
    assertParleyDid(member.did, 'identity: member DID')
    if (kind === 'person' && member.kind !== 'individual') throw argument('identity: a person\'s members are devices (individual identities)')
    if (member.did === self) throw argument('identity: a group cannot be its own member')
    if (dids.includes(member.did)) throw new ParleyError('GROUP_MEMBER_EXISTS', 'identity: member listed twice')
    dids.push(member.did)
  }
  return dids
}

/** Signs `ev` with `secret` and verifies the result with `check`; INVALID_ARGUMENT (cause chained) if refused. */
function signAndCheck<T>(suite: Suite, ev: KelEvent, secret: Uint8Array, check: (entry: KelEntry) => T): { entry: KelEntry; result: T } {
  let entry: KelEntry
  try {
    const event = encodeEvent(ev)
    entry = { event, signature: suite.sign(secret, LABELS.kelEvent, event) }
  } catch (err) {
    throw wrapError(err, 'INVALID_ARGUMENT', 'identity: cannot encode the event')
  }
  try {
    return { entry, result: check(entry) }
  } catch (err) {
    throw new ParleyError('INVALID_ARGUMENT', `identity: the ${ev.type} event would be refused by verifiers`, { cause: err })
  }
}

function wipeAll(pairs: readonly (KeyPair | undefined)[]): void {
  for (const p of pairs) p?.secretKey.fill(0)
}

/**
 * Creates a new identity: an inception event with a fresh signing key, a
 * commitment to a fresh next key, fresh agreement keys, and (for a group or
 * person) its initial members.
 *
 * @example
 * const alice = createIdentity(suite, { name: 'alice', now: new Date(),
 *   services: [{ id: 'p2p', type: 'libp2p-peer', endpoint: peerId }] })
 * alice.state.did // 'did:parley:…'
 */
export function createIdentity(suite: Suite, opts: CreateIdentityOptions): Identity {
  const kind = opts.kind ?? 'individual'
  if (kind === 'individual' && opts.members !== undefined) throw argument('identity: an individual has no members')
  const timestamp = timeOf(opts.now, undefined)
  const members = memberDids(suite, opts.members ?? [], kind)
  const generated: KeyPair[] = []
  try {
    const agreement = agreementKeys(suite, opts.agreementKeyCount ?? 1, generated)
    const signing = suite.generateSigningKey()
    const next = suite.generateSigningKey()
    generated.push(signing, next)
    const ev: KelEvent = {
      type: 'icp',
      timestamp,
      kind,
      signingKey: signing.publicKey,
      nextCommitment: suite.digest(LABELS.nextKeyCommitment, next.publicKey),
      agreementKeys: agreement.map((k) => k.publicKey),
      services: opts.services ?? [],
      members,
    }
    if (opts.name !== undefined) ev.name = opts.name
    const { entry, result } = signAndCheck(suite, ev, signing.secretKey, (e) => verifyKel(suite, [e]))
    return {
      kel: [entry],
      secrets: { signing: signing.secretKey, next: next.secretKey, agreement: agreement.map((k) => k.secretKey) },
      state: result,
    }
  } catch (err) {
    wipeAll(generated)
    throw err
  }
}

/**
 * A person: a group whose members are the person's devices (individual
 * identities). Any device holding the person's control key can author the
 * person's events; removing a device is a rotation.
 *
 * @example
 * const person = createPerson(suite, { name: 'alice', devices: [laptop.kel, phone.kel], now: new Date() })
 */
export function createPerson(
  suite: Suite,
  opts: { devices: MemberRef[]; name?: string; services?: Service[]; now: Date },
): Identity {
  const create: CreateIdentityOptions = { now: opts.now, kind: 'person', members: opts.devices }
  if (opts.name !== undefined) create.name = opts.name
  if (opts.services !== undefined) create.services = opts.services
  return createIdentity(suite, create)
}

/** The current state of `kel`, after checking that `secrets` hold its current and next keys. */
function currentState(suite: Suite, kel: Kel | Uint8Array, secrets: IdentitySecrets): KeyState {
  const state = verifyKel(suite, kel)
  if (!bytesEqual(suite.signingPublicKey(secrets.signing), state.signingKey)) {
    throw argument('identity: the signing secret is not the KEL\'s current key')
  }
  const next = suite.signingPublicKey(secrets.next)
  if (!bytesEqual(suite.digest(LABELS.nextKeyCommitment, next), state.nextCommitment)) {
    throw argument('identity: the next secret is not the key the KEL committed to')
  }
  if (secrets.agreement.length !== state.agreementKeys.length) {
    throw argument('identity: agreement secrets do not match the KEL\'s agreement keys')
  }
  return state
}

/** The change fields of an event, with member checks against `state`. */
function changes(suite: Suite, state: KeyState, opts: UpdateIdentityOptions, fresh: KeyPair[] | undefined): EventChanges {
  const out: EventChanges = {}
  if (fresh !== undefined) out.agreementKeys = fresh.map((k) => k.publicKey)
  if (opts.services !== undefined) out.services = opts.services
  if (opts.name === null) out.name = ''
  else if (opts.name !== undefined) {
    if (opts.name === '') throw argument('identity: an empty name; pass null to clear the name')
    out.name = opts.name
  }
  if (opts.addMembers !== undefined && opts.addMembers.length > 0) {
    if (state.kind === 'individual') throw argument('identity: an individual has no members')
    const dids = memberDids(suite, opts.addMembers, state.kind, state.did)
    if (dids.some((d) => state.members.includes(d))) throw new ParleyError('GROUP_MEMBER_EXISTS', 'identity: already a member')
    out.addMembers = dids
  }
  return out
}

function checkRemovals(state: KeyState, remove: readonly string[]): void {
  if (remove.length > 0 && state.kind === 'individual') throw argument('identity: an individual has no members')
  for (const did of remove) {
    assertParleyDid(did, 'identity: member to remove')
    if (!state.members.includes(did)) throw new ParleyError('GROUP_NOT_MEMBER', 'identity: not a member')
  }
  if (new Set(remove).size !== remove.length) throw argument('identity: member to remove listed twice')
}

/** The result; wipes `old` (everything in it was replaced or copied into `secrets`). */
function finish(kel: Kel, entry: KelEntry, state: KeyState, old: IdentitySecrets, secrets: Omit<IdentitySecrets, 'agreement'>, fresh: KeyPair[] | undefined): Identity {
  const agreement = fresh === undefined ? old.agreement.map((k) => k.slice()) : fresh.map((k) => k.secretKey)
  const out: Identity = { kel: [...kel.map((e) => ({ event: e.event, signature: e.signature })), entry], secrets: { ...secrets, agreement }, state }
  wipeSecrets(old)
  return out
}

/**
 * Rotates the signing key: reveals the committed next key, which signs the
 * rotation, and commits to a fresh one. May also change agreement keys,
 * services, name, and add or remove members (removal only happens here).
 * The result's `kel` is the input log plus the new event.
 *
 * @example
 * const rotated = rotateIdentity(suite, group.kel, group.secrets, { now: new Date(), removeMembers: [lostPhone] })
 */
export function rotateIdentity(suite: Suite, log: Kel | Uint8Array, secrets: IdentitySecrets, opts: RotateIdentityOptions): Identity {
  const kel = log instanceof Uint8Array ? decodeKel(log) : log
  const state = currentState(suite, kel, secrets)
  const timestamp = timeOf(opts.now, state.updatedAt)
  const generated: KeyPair[] = []
  try {
    const fresh = opts.newAgreementKeys === undefined ? undefined : agreementKeys(suite, opts.newAgreementKeys, generated)
    const newNext = suite.generateSigningKey()
    generated.push(newNext)
    const change = changes(suite, state, opts, fresh)
    const remove = opts.removeMembers ?? []
    checkRemovals(state, remove)
    const ev: KelEvent = {
      type: 'rot',
      did: state.did,
      sequence: state.sequence + 1,
      prior: state.digest,
      timestamp,
      signingKey: suite.signingPublicKey(secrets.next),
      nextCommitment: suite.digest(LABELS.nextKeyCommitment, newNext.publicKey),
      ...change,
    }
    if (remove.length > 0) ev.removeMembers = [...remove]
    const { entry, result } = signAndCheck(suite, ev, secrets.next, (e) => verifyKelEntry(suite, state, e))
    return finish(kel, entry, result, secrets, { signing: secrets.next.slice(), next: newNext.secretKey }, fresh)
  } catch (err) {
    wipeAll(generated)
    throw err
  }
}

/**
 * Updates services, name, agreement keys or adds members, signed by the
 * current key. Removing a member is refused (KEL_EVENT_INVALID): a removed
 * member knows the control key, so removal must rotate it (`rotateIdentity`).
 *
 * @example
 * const updated = updateIdentity(suite, me.kel, me.secrets, { now: new Date(),
 *   services: [{ id: 'mbox', type: 'mailbox', endpoint: '/dns4/mbox.example/tcp/443/wss' }] })
 */
export function updateIdentity(suite: Suite, log: Kel | Uint8Array, secrets: IdentitySecrets, opts: UpdateIdentityOptions): Identity {
  if (Object.hasOwn(opts, 'removeMembers')) {
    throw new ParleyError('KEL_EVENT_INVALID', 'identity: an update cannot remove members; rotate instead')
  }
  const kel = log instanceof Uint8Array ? decodeKel(log) : log
  const state = currentState(suite, kel, secrets)
  const timestamp = timeOf(opts.now, state.updatedAt)
  const generated: KeyPair[] = []
  try {
    const fresh = opts.newAgreementKeys === undefined ? undefined : agreementKeys(suite, opts.newAgreementKeys, generated)
    const change = changes(suite, state, opts, fresh)
    if (Object.keys(change).length === 0) throw argument('identity: the update changes nothing')
    const ev: KelEvent = { type: 'upd', did: state.did, sequence: state.sequence + 1, prior: state.digest, timestamp, ...change }
    const { entry, result } = signAndCheck(suite, ev, secrets.signing, (e) => verifyKelEntry(suite, state, e))
    return finish(kel, entry, result, secrets, { signing: secrets.signing.slice(), next: secrets.next.slice() }, fresh)
  } catch (err) {
    wipeAll(generated)
    throw err
  }
}
