/**
 * Receiving an envelope (docs/sessions.md "Receiving"):
 *
 * - `f` for a session we do not hold: answer it as the PQXDH responder
 *   (receive-first.ts);
 * - `f` for a session we hold (the initiator's header is still attached),
 *   or `m`: decrypt in that session on a copy, commit only on success;
 * - then act on the payload: application data is handed up; hellos record
 *   the peer's reset rendezvous; reset notices and introduction steps go to
 *   their flows.
 *
 * A refusal changes nothing, with two deliberate exceptions that propose a
 * reset (an outgoing deposit and a `reset-proposed` event, returned instead
 * of the error): RATCHET_ROLLBACK_DETECTED in the peer's active session,
 * and the configured number of consecutive DECRYPT_FAILED in it.
 */
import { bytesEqual } from '../codec/index.js'
import { ParleyError, isParleyError } from '../errors.js'
import type { Frame } from './control.js'
import { decodeFirstMessage } from './first-message.js'
import { decodeHeader } from './header.js'
import { onIntro, onIntroOffer, onIntroRequest } from './introduction-flow.js'
import type { Context, Effects, LocalIdentity } from './manager-types.js'
import { receiveFirst } from './receive-first.js'
import { proposeReset } from './reset-flow.js'
import { resetSentence } from './reset-reason.js'
import type { ResetReason } from './reset-reason.js'
import { decodeSessionMessage } from './session-message.js'
import { loadSession, openMessage, saveSession, wipeRecord } from './session-ops.js'
import type { Opened } from './session-ops.js'
import type { SessionRecord } from './session-record.js'

/** Consecutive DECRYPT_FAILED per peer (memory only: a heuristic, not state to commit). */
export type FailureCounts = Map<string, number>

/** Receives one envelope (file doc). `from`: the authenticated sender, when the transport knows it. */
export async function receiveEnvelope(ctx: Context, me: LocalIdentity, failures: FailureCounts, bytes: Uint8Array, from: string | undefined, fx: Effects): Promise<void> {
  const msg = decodeSessionMessage(bytes)
  if (msg.first !== undefined) {
    const { header, ratchetMessage } = decodeFirstMessage(msg.first)
    const sender = decodeHeader(header).header.from.did
    if (from !== undefined && from !== sender) throw new ParleyError('SESSION_SENDER_MISMATCH', 'session: a first message signed by another DID than its sender')
    const known = await loadSession(ctx, sender, msg.sessionId)
    if (known !== undefined) return receiveIn(ctx, me, failures, known, ratchetMessage, fx)
    const { record, frame } = await receiveFirst(ctx, me, { sessionId: msg.sessionId, header, ratchetMessage }, fx)
    return dispatch(ctx, me, record, frame, false, fx)
  }
  if (from === undefined) throw new ParleyError('SESSION_NOT_FOUND', 'session: a ratchet message needs its sender (meta.from)')
  const record = await loadSession(ctx, from, msg.sessionId)
  if (record === undefined) throw new ParleyError('SESSION_NOT_FOUND', 'session: no such session with this peer')
  return receiveIn(ctx, me, failures, record, msg.ratchetMessage, fx)
}

/** Decrypts in a held session, commits, then dispatches the payload. */
async function receiveIn(ctx: Context, me: LocalIdentity, failures: FailureCounts, record: SessionRecord, ratchetMessage: Uint8Array, fx: Effects): Promise<void> {
  let opened: Opened
  try {
    opened = openMessage(ctx.suite, record, ratchetMessage)
  } catch (err) {
    const handled = await onRefused(ctx, me, failures, record, err, fx)
    wipeRecord(record)
    if (!handled) throw err
    return
  }
  wipeRecord(record)
  failures.delete(record.peer)
  const next = opened.record
  try {
    const requested = takeIntroduction(next, opened.frame)
    await saveSession(ctx, next)
    if (opened.replaced !== undefined) await ctx.stores.sessions.delete(next.peer, opened.replaced)
    if (opened.established) {
      const active = await ctx.stores.sessions.active(next.peer)
      fx.received.push({ type: 'session-established', peer: next.peer, sessionId: next.sessionId, origin: next.origin, active: active !== undefined && bytesEqual(active, next.sessionId) })
    }
    await dispatch(ctx, me, next, opened.frame, requested, fx)
  } finally {
    wipeRecord(next)
  }
}

/** An `intro-offer` answers one of our requests: take it off the record's list (committed with the message). */
function takeIntroduction(record: SessionRecord, frame: Frame): boolean {
  if (frame.payload.type !== 'intro-offer') return false
  const peer = frame.payload.peer
  const pending = record.introductions ?? []
  if (!pending.includes(peer)) return false
  record.introductions = pending.filter((d) => d !== peer)
  return true
}

/** Acts on a committed payload. */
async function dispatch(ctx: Context, me: LocalIdentity, record: SessionRecord, frame: Frame, requested: boolean, fx: Effects): Promise<void> {
  const p = frame.payload
  switch (p.type) {
    case 'app':
      fx.received.push({ type: 'message', peer: record.peer, sessionId: record.sessionId.slice(), data: p.data })
      return
    case 'hello':
      return
    case 'reset':
      fx.received.push({ type: 'reset-notice', peer: record.peer, reason: p.reason.code, message: resetSentence(p.reason, { peer: record.peer, by: 'peer' }) })
      return
    case 'intro-request':
      return onIntroRequest(ctx, me, record, p.peer, fx)
    case 'intro-offer':
      return onIntroOffer(ctx, record, p, requested, fx)
    case 'intro':
      return onIntro(ctx, me, record, p, fx)
  }
}

/**
 * A refusal in a held session: true when it was turned into a reset
 * proposal (file doc), false when the caller rethrows it.
 */
async function onRefused(ctx: Context, me: LocalIdentity, failures: FailureCounts, record: SessionRecord, err: unknown, fx: Effects): Promise<boolean> {
  if (!isParleyError(err)) return false
  const active = await ctx.stores.sessions.active(record.peer)
  if (active === undefined || !bytesEqual(active, record.sessionId)) return false
  let reason: ResetReason
  if (err.code === 'RATCHET_ROLLBACK_DETECTED') {
    reason = { code: 'rollback-detected', text: '' }
  } else if (err.code === 'DECRYPT_FAILED' && ctx.resetAfterDecryptFailures > 0) {
    const count = (failures.get(record.peer) ?? 0) + 1
    failures.set(record.peer, count)
    if (count < ctx.resetAfterDecryptFailures) return false
    reason = { code: 'decrypt-failures', text: '' }
  } else {
    return false
  }
  // one reset in flight at a time; and we can only reach a peer whose hello we have
  if (record.outgoingReset !== undefined || record.rendezvous.theirs === undefined) return false
  failures.delete(record.peer)
  await proposeReset(ctx, me, record, reason, { notice: false, cause: err.code }, fx)
  return true
}
