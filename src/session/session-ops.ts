/**
 * The commit rules of the session layer, in one place (docs/sessions.md
 * "Commit rules"): loading and storing session records; starting a session
 * as the initiator; sending a payload (encrypt, commit the advanced state,
 * only then return the envelope); opening a message on a copy (nothing is
 * stored here: the caller commits what it returns); the hello attached to
 * outgoing payloads; and which of two sessions with a peer is active.
 */
import { RENDEZVOUS_ID_LENGTH } from '../constants.js'
import { bytesEqual } from '../codec/index.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError } from '../errors.js'
import type { KeyState } from '../identity/index.js'
import { wipeSecrets } from '../identity/index.js'
import type { PrekeyBundle } from './bundle.js'
import { decodeFrame, encodeFrame } from './control.js'
import type { Frame, Hello, Payload } from './control.js'
import { encodeFirstMessage } from './first-message.js'
import type { Context, LocalIdentity, Outgoing } from './manager-types.js'
import { initiate, wipeInitiatorSecret } from './pqxdh.js'
import { decodeRatchetState, encodeRatchetState, initInitiator, ratchetDecrypt, ratchetEncrypt, ratchetStateInfo, wipeRatchetState } from './ratchet/index.js'
import type { RatchetState } from './ratchet/index.js'
import type { ResetReason } from './reset-reason.js'
import { encodeSessionMessage } from './session-message.js'
import { decodeSessionRecord, encodeSessionRecord } from './session-record.js'
import type { SessionOrigin, SessionRecord } from './session-record.js'

/** Runs `fn` with our identity and wipes its secrets afterwards, whatever happens. */
export async function withIdentity<T>(ctx: Context, fn: (me: LocalIdentity) => Promise<T>): Promise<T> {
  const me = await ctx.identity()
  try {
    return await fn(me)
  } finally {
    wipeSecrets(me.secrets)
  }
}

/** True when DID `a` sorts before `b` (code-unit order: DIDs are ASCII, so both sides agree). */
export function didBefore(a: string, b: string): boolean {
  return a < b
}

/** The stored record of (`peer`, `sessionId`), or undefined. */
export async function loadSession(ctx: Context, peer: string, sessionId: Uint8Array): Promise<SessionRecord | undefined> {
  const bytes = await ctx.stores.sessions.load(peer, sessionId)
  if (bytes === undefined) return undefined
  try {
    return decodeSessionRecord(bytes, peer, sessionId)
  } finally {
    bytes.fill(0)
  }
}

/** The peer's active session, or undefined. */
export async function loadActive(ctx: Context, peer: string): Promise<SessionRecord | undefined> {
  const id = await ctx.stores.sessions.active(peer)
  return id === undefined ? undefined : loadSession(ctx, peer, id)
}

/** Commits `record` (and makes it the peer's active session with `activate`). */
export async function saveSession(ctx: Context, record: SessionRecord, activate = false): Promise<void> {
  const bytes = encodeSessionRecord(record)
  try {
    await ctx.stores.sessions.store(record.peer, record.sessionId, bytes, { activate })
  } finally {
    bytes.fill(0)
  }
}

/** Overwrites the ratchet state bytes a record object holds. */
export function wipeRecord(record: SessionRecord | undefined): void {
  record?.ratchet.fill(0)
}

/**
 * Whether a new session should become the peer's active one. A newer
 * session replaces the active one, except when both came from
 * introductions (both sides may have initiated at once): then the one
 * initiated by the smaller DID is active on both sides.
 */
export async function shouldActivate(ctx: Context, me: string, record: SessionRecord): Promise<boolean> {
  if (record.origin !== 'introduction') return true
  const current = await loadActive(ctx, record.peer)
  if (current === undefined) return true
  try {
    if (current.origin !== 'introduction' || bytesEqual(current.sessionId, record.sessionId)) return true
    const initiator = (r: SessionRecord): string => (r.role === 'initiator' ? me : r.peer)
    const [ours, theirs] = [initiator(record), initiator(current)]
    return ours === theirs || didBefore(ours, theirs)
  } finally {
    wipeRecord(current)
  }
}

/** Our hello for this session. */
function helloOf(record: SessionRecord): Hello {
  const token = record.pending?.token
  return token === undefined ? { resetRendezvous: record.rendezvous.mine } : { resetRendezvous: record.rendezvous.mine, token }
}

/**
 * The hello to attach until the peer has shown it holds the session: the
 * initiator while its PQXDH is pending; the responder until a message of
 * the initiator's second sending chain arrives (only sent after the
 * initiator received one of ours, each of which carries the hello).
 */
function attachedHello(record: SessionRecord, state: RatchetState): Hello | undefined {
  if (record.role === 'initiator') return record.pending === undefined ? undefined : helloOf(record)
  return ratchetStateInfo(state).receiveEpoch < 2 ? helloOf(record) : undefined
}

export interface SendOptions {
  /** Also make the session the peer's active one, in the same store write. */
  activate?: boolean
  /** Changes to the record committed with the advanced ratchet state. */
  update?: (record: SessionRecord) => void
}

/**
 * Encrypts `payload` in `record`'s session, commits the advanced state (and
 * `update`), and only then returns the envelope for the peer: a `f`
 * envelope while the PQXDH header is pending, else `m`.
 */
export async function sendFrame(ctx: Context, record: SessionRecord, payload: Payload, opts: SendOptions = {}): Promise<Outgoing> {
  const state = decodeRatchetState(record.ratchet)
  let next: RatchetState | undefined
  let updated: SessionRecord | undefined
  try {
    const hello = payload.type === 'hello' ? helloOf(record) : attachedHello(record, state)
    const sent = ratchetEncrypt(ctx.suite, state, encodeFrame(hello === undefined ? { payload } : { payload, hello }))
    next = sent.state
    updated = { ...record, ratchet: encodeRatchetState(next), rendezvous: { ...record.rendezvous } }
    opts.update?.(updated)
    await saveSession(ctx, updated, opts.activate === true)
    const pending = updated.pending
    const bytes = pending === undefined
      ? encodeSessionMessage({ sessionId: record.sessionId, ratchetMessage: sent.message })
      : encodeSessionMessage({ sessionId: record.sessionId, first: encodeFirstMessage({ header: pending.header, ratchetMessage: sent.message }) })
    return { to: record.peer, bytes }
  } finally {
    wipeRatchetState(state)
    if (next !== undefined) wipeRatchetState(next)
    wipeRecord(updated)
  }
}

/** A message opened on a copy: the record to commit, the frame, and what the commit settles. */
export interface Opened {
  record: SessionRecord
  frame: Frame
  /** The first inbound message of an initiator's session: its PQXDH is acknowledged. */
  established: boolean
  /** A session this one replaces, to delete once `record` is committed. */
  replaced?: Uint8Array
}

/**
 * Decrypts `ratchetMessage` in `record`'s session and decodes its frame,
 * without storing anything: the ratchet's refusals (DECRYPT_FAILED,
 * RATCHET_DUPLICATE, RATCHET_ROLLBACK_DETECTED, …) and the frame's
 * (DECODE_*) leave the caller's state as it was.
 */
export function openMessage(suite: Suite, record: SessionRecord, ratchetMessage: Uint8Array): Opened {
  const state = decodeRatchetState(record.ratchet)
  try {
    const { state: next, plaintext } = ratchetDecrypt(suite, state, ratchetMessage)
    try {
      const frame = decodeFrame(plaintext)
      const updated: SessionRecord = { ...record, ratchet: encodeRatchetState(next), rendezvous: { ...record.rendezvous } }
      const opened: Opened = { record: updated, frame, established: updated.pending !== undefined }
      delete updated.pending
      if (opened.established && updated.replaces !== undefined) {
        opened.replaced = updated.replaces
        delete updated.replaces
      }
      if (frame.hello !== undefined) updated.rendezvous.theirs = frame.hello.resetRendezvous
      return opened
    } finally {
      wipeRatchetState(next)
      plaintext.fill(0)
    }
  } finally {
    wipeRatchetState(state)
  }
}

export interface StartOptions {
  /** The responder's verified key state. */
  theirs: KeyState
  bundle: PrekeyBundle | Uint8Array
  origin: SessionOrigin
  /** The invite token our hello redeems. */
  token?: Uint8Array
  /** The responder's reset rendezvous, when an invite told us. */
  theirReset?: Uint8Array
  reason?: ResetReason
  replaces?: Uint8Array
  introducer?: string
}

/**
 * Starts a session as the initiator: PQXDH against the bundle, the ratchet,
 * our hello as the first payload; commits the record (pending header,
 * active unless the introduction tie-break says otherwise) before the first
 * message is returned. The returned record's ratchet bytes are wiped (the
 * store holds the committed state).
 */
export async function startSession(ctx: Context, me: LocalIdentity, opts: StartOptions): Promise<{ record: SessionRecord; outgoing: Outgoing; active: boolean }> {
  const now = ctx.now()
  const { theirs } = opts
  const { firstMessage, secret } = initiate(ctx.suite, { ours: { state: me.state, secrets: me.secrets }, theirs, bundle: opts.bundle, now })
  let state: RatchetState
  try {
    state = initInitiator(ctx.suite, secret)
  } finally {
    wipeInitiatorSecret(secret)
  }
  const record: SessionRecord = {
    peer: theirs.did,
    sessionId: secret.sessionId,
    role: 'initiator',
    origin: opts.origin,
    ratchet: encodeRatchetState(state),
    pending: opts.token === undefined ? { header: firstMessage } : { header: firstMessage, token: opts.token },
    rendezvous: { mine: ctx.suite.randomBytes(RENDEZVOUS_ID_LENGTH) },
    created: now,
    peerKeySequence: theirs.keySequence,
  }
  wipeRatchetState(state)
  if (opts.theirReset !== undefined) record.rendezvous.theirs = opts.theirReset
  if (opts.reason !== undefined) record.reason = opts.reason
  if (opts.replaces !== undefined) record.replaces = opts.replaces
  if (opts.introducer !== undefined) record.introducer = opts.introducer
  try {
    const active = await shouldActivate(ctx, me.state.did, record)
    const outgoing = await sendFrame(ctx, record, { type: 'hello' }, { activate: active })
    return { record, outgoing, active }
  } finally {
    wipeRecord(record) // the committed state is in the store; this copy is stale
  }
}

/** SESSION_NOT_FOUND unless the peer has an active session; returns it. */
export async function requireActive(ctx: Context, peer: string): Promise<SessionRecord> {
  const record = await loadActive(ctx, peer)
  if (record === undefined) throw new ParleyError('SESSION_NOT_FOUND', 'session: no active session with this peer')
  return record
}
