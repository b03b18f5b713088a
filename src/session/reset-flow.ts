/**
 * Session reset, the flow (DESIGN.md §6; docs/sessions.md "Reset"):
 *
 * - `proposeReset`: issue a reset invite (purpose `reset`, audience the
 *   peer, a fresh bundle), seal it with the reason to the peer's current
 *   agreement key at the peer's reset rendezvous, remember it in the old
 *   session's record (committed before the deposit is returned).
 * - `acceptReset`: open a deposit found at one of our reset rendezvous,
 *   verify the invite (audience us, purpose reset, inviter a peer whose
 *   session listens there), settle a simultaneous reset by the tie-break
 *   (the smaller DID's reset wins; the other side revokes its own), then
 *   start the new session as its initiator.
 *
 * The responder side of the new session (redeeming the token, deleting the
 * old session) is in receive-first.ts; the initiator deletes the old
 * session when the new one is acknowledged (session-ops.ts `openMessage`).
 */
import { RESET_INVITE_LIFETIME_SECONDS } from '../constants.js'
import { bytesEqual } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { verifyFullInvite } from './invite.js'
import type { FullInvite } from './invite.js'
import { issueInvite } from './issued-invite.js'
import type { AcceptResetResult, Context, Effects, LocalIdentity, Outgoing, ResetProposal } from './manager-types.js'
import { openReset, resetWinner, sealReset } from './reset.js'
import { resetSentence } from './reset-reason.js'
import type { ResetReason } from './reset-reason.js'
import { loadSession, saveSession, sendFrame, startSession, wipeRecord } from './session-ops.js'
import type { SessionRecord } from './session-record.js'

/**
 * Proposes a reset of `record`'s session (file doc). With `notice`, a
 * `reset` payload also goes into the old session. SESSION_STATE_INVALID
 * while the peer's reset rendezvous is unknown (its hello has not arrived).
 */
export async function proposeReset(
  ctx: Context,
  me: LocalIdentity,
  record: SessionRecord,
  reason: ResetReason,
  opts: { notice: boolean; cause?: ErrorCode },
  fx: Effects,
): Promise<ResetProposal> {
  const rendezvous = record.rendezvous.theirs
  if (rendezvous === undefined) throw new ParleyError('SESSION_STATE_INVALID', 'reset: the peer has not told us its reset rendezvous yet')
  const peer = await ctx.resolveIdentity(record.peer)
  if (peer.did !== record.peer) throw new ParleyError('KEL_ID_MISMATCH', 'reset: the resolver returned another DID')
  const issued = await issueInvite(ctx, me, {
    purpose: 'reset', audience: record.peer, addresses: [], lifetimeSeconds: RESET_INVITE_LIFETIME_SECONDS, reason, replaces: record.sessionId,
  })
  const bytes = sealReset(ctx.suite, { peer, rendezvous, content: { invite: issued.full, reason } })
  if (record.outgoingReset !== undefined) await ctx.stores.invites.revoke(record.outgoingReset.token)
  const outgoingReset = { token: issued.token, created: ctx.now() }
  const proposal: ResetProposal = { rendezvous: rendezvous.slice(), bytes }
  if (opts.notice) {
    proposal.notice = await sendFrame(ctx, record, { type: 'reset', reason }, { update: (r) => { r.outgoingReset = outgoingReset } })
  } else {
    await saveSession(ctx, { ...record, outgoingReset })
  }
  fx.outgoing.push({ rendezvous: proposal.rendezvous, bytes })
  if (proposal.notice !== undefined) fx.outgoing.push(proposal.notice)
  fx.received.push({
    type: 'reset-proposed', peer: record.peer, reason: reason.code, message: resetSentence(reason, { peer: record.peer, by: 'me' }),
    ...(opts.cause === undefined ? {} : { cause: opts.cause }),
  })
  return proposal
}

function verifyResetInvite(ctx: Context, me: string, bytes: Uint8Array): FullInvite {
  let invite: FullInvite
  try {
    invite = verifyFullInvite(ctx.suite, bytes, { now: ctx.now(), me })
  } catch (err) {
    throw new ParleyError('RESET_INVALID', 'reset: the invite does not verify', { cause: err })
  }
  if (invite.purpose !== 'reset') throw new ParleyError('RESET_INVALID', 'reset: the invite is not a reset invite')
  if (invite.audience !== me) throw new ParleyError('RESET_INVALID', 'reset: the invite is meant for someone else')
  return invite
}

/** The session of `peer` listening at `rendezvous`, or the one already started from `token` (a duplicate deposit). */
async function findTarget(ctx: Context, peer: string, rendezvous: Uint8Array, token: Uint8Array): Promise<{ old?: SessionRecord; duplicate: boolean }> {
  let old: SessionRecord | undefined
  for (const id of await ctx.stores.sessions.list(peer)) {
    const r = await loadSession(ctx, peer, id)
    if (r === undefined) continue
    const pendingToken = r.pending?.token
    if (pendingToken !== undefined && bytesEqual(pendingToken, token)) {
      wipeRecord(r)
      wipeRecord(old)
      return { duplicate: true }
    }
    if (old === undefined && bytesEqual(r.rendezvous.mine, rendezvous)) old = r
    else wipeRecord(r)
  }
  return old === undefined ? { duplicate: false } : { old, duplicate: false }
}

/**
 * Accepts a deposit found at our reset rendezvous `rendezvous` (file doc).
 * Refusals: DECRYPT_FAILED (not sealed to us at this rendezvous),
 * RESET_INVALID (malformed, the invite does not verify or is not a reset
 * invite for us, or no session with its inviter listens at this
 * rendezvous: a stale deposit), and those of PQXDH `initiate` against the
 * inviter's state from `resolveIdentity` (KEL_ROTATED_KEY when the peer
 * rotated its key since it made the reset: it must reset again).
 */
export async function acceptReset(ctx: Context, me: LocalIdentity, rendezvous: Uint8Array, bytes: Uint8Array, fx: Effects): Promise<AcceptResetResult> {
  const content = openReset(ctx.suite, me, rendezvous, bytes)
  const invite = verifyResetInvite(ctx, me.state.did, content.invite)
  const peer = invite.inviter.did
  const { old, duplicate } = await findTarget(ctx, peer, rendezvous, invite.token)
  if (duplicate) return { status: 'duplicate', peer, outgoing: [] }
  if (old === undefined) throw new ParleyError('RESET_INVALID', 'reset: no session with the inviter listens at this rendezvous (a stale reset)')
  try {
    if (old.outgoingReset !== undefined) {
      if (resetWinner(me.state.did, peer) === me.state.did) {
        fx.received.push({ type: 'reset-superseded', peer, message: `${peer} also restarted your conversation at the same time; your restart is kept and theirs was dropped.` })
        return { status: 'superseded', peer, outgoing: [] }
      }
      await ctx.stores.invites.revoke(old.outgoingReset.token)
      const withdrawn = { ...old }
      delete withdrawn.outgoingReset
      await saveSession(ctx, withdrawn)
    }
    // the peer as our resolver knows it (its seen record guards against an invite carrying a cut-back KEL)
    const theirs = await ctx.resolveIdentity(peer, invite.inviter.keySequence)
    if (theirs.did !== peer) throw new ParleyError('KEL_ID_MISMATCH', 'reset: the resolver returned another DID')
    const started = await startSession(ctx, me, {
      theirs, bundle: invite.bundle, origin: 'reset', token: invite.token,
      theirReset: invite.rendezvous.reset, reason: content.reason, replaces: old.sessionId,
    })
    const outgoing: Outgoing[] = [started.outgoing]
    fx.outgoing.push(...outgoing)
    fx.received.push({
      type: 'session-reset', peer, sessionId: started.record.sessionId, reason: content.reason.code, by: 'peer',
      message: resetSentence(content.reason, { peer, by: 'peer' }),
    })
    return { status: 'accepted', peer, sessionId: started.record.sessionId, outgoing }
  } finally {
    wipeRecord(old)
  }
}
