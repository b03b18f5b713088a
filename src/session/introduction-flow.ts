/**
 * Introductions, the flow (docs/sessions.md "Introductions"): `introduce`
 * on the introducer's side, and what each party does with the payload it
 * receives. Consent is asked twice of each introduced party (on the request
 * and again on the relayed invite), so a refusing policy stops the exchange
 * whichever step reaches it. Refusals and invalid steps are events, never
 * errors: the message that carried them was received and committed.
 */
import { INTRODUCTION_INVITE_LIFETIME_SECONDS, INTRODUCTION_MAX_PENDING } from '../constants.js'
import { ParleyError, isParleyError } from '../errors.js'
import { encodeKel } from '../identity/index.js'
import type { ErrorCode } from '../errors.js'
import { acceptsIntroductionFrom, checkIntroductionInvite, introductionSentence } from './introduction.js'
import { issueInvite } from './issued-invite.js'
import type { Context, Effects, LocalIdentity, SessionEvent } from './manager-types.js'
import { loadActive, requireActive, sendFrame, startSession, wipeRecord } from './session-ops.js'
import type { SessionRecord } from './session-record.js'

type Status = Extract<SessionEvent, { type: 'introduction' }>['status']

function event(fx: Effects, status: Status, introducer: string, peer: string, code?: ErrorCode, kel?: Uint8Array): void {
  fx.received.push({
    type: 'introduction', status, introducer, peer, message: introductionSentence(status, introducer, peer),
    ...(code === undefined ? {} : { code }), ...(kel === undefined ? {} : { kel }),
  })
}

/** The code of a refusal, for an `invalid` event (a non-Parley error is a bug: rethrown). */
function codeOf(err: unknown): ErrorCode {
  if (isParleyError(err)) return err.code
  throw err
}

/**
 * Asks `b` and `c` (both with an active session with us) whether they want
 * to be introduced to each other; each request is committed with a note of
 * what we asked, so only answers to our own requests are relayed.
 */
export async function introduce(ctx: Context, me: LocalIdentity, b: string, c: string, fx: Effects): Promise<void> {
  if (b === c || b === me.state.did || c === me.state.did) throw new ParleyError('INVALID_ARGUMENT', 'introduce: two other, distinct DIDs')
  const pairs: Array<[SessionRecord, string]> = [[await requireActive(ctx, b), c], [await requireActive(ctx, c), b]]
  try {
    for (const [record, other] of pairs) {
      const update = (r: SessionRecord): void => { r.introductions = [...(r.introductions ?? []).filter((d) => d !== other), other].slice(-INTRODUCTION_MAX_PENDING) }
      fx.outgoing.push(await sendFrame(ctx, record, { type: 'intro-request', peer: other }, { update }))
    }
  } finally {
    for (const [record] of pairs) wipeRecord(record)
  }
  for (const [peer, other] of [[b, c], [c, b]] as const) {
    fx.received.push({ type: 'introduction', status: 'requested', introducer: me.state.did, peer, message: `You asked ${peer} whether they want to be introduced to ${other}.` })
  }
}

/** B gets A's request to meet `peer`: if B's policy accepts A, B offers A an invite for `peer`. */
export async function onIntroRequest(ctx: Context, me: LocalIdentity, from: SessionRecord, peer: string, fx: Effects): Promise<void> {
  const introducer = from.peer
  if (peer === me.state.did || peer === introducer) return event(fx, 'invalid', introducer, peer, 'INTRODUCTION_INVALID')
  const active = await loadActive(ctx, introducer)
  try {
    if (!acceptsIntroductionFrom(ctx.policy, introducer, active !== undefined) || active === undefined) {
      return event(fx, 'refused', introducer, peer, 'INTRODUCTION_REFUSED')
    }
    if ((await ctx.stores.sessions.active(peer)) !== undefined) return event(fx, 'skipped', introducer, peer)
    try {
      const issued = await issueInvite(ctx, me, { purpose: 'introduction', audience: peer, introducer, addresses: [], lifetimeSeconds: INTRODUCTION_INVITE_LIFETIME_SECONDS })
      fx.outgoing.push(await sendFrame(ctx, active, { type: 'intro-offer', peer, invite: issued.full }))
    } catch (err) {
      return event(fx, 'invalid', introducer, peer, codeOf(err))
    }
    event(fx, 'offered', introducer, peer)
  } finally {
    wipeRecord(active)
  }
}

/** A gets B's offer for `peer`: relayed to `peer` when A asked for it and the invite is B's, for `peer`. */
export async function onIntroOffer(ctx: Context, from: SessionRecord, offer: { peer: string; invite: Uint8Array }, requested: boolean, fx: Effects): Promise<void> {
  const inviter = from.peer
  if (!requested) return event(fx, 'invalid', inviter, offer.peer, 'INTRODUCTION_INVALID')
  const target = await loadActive(ctx, offer.peer)
  try {
    checkIntroductionInvite(ctx.suite, offer.invite, { me: offer.peer, named: inviter, now: ctx.now() })
    if (target === undefined) throw new ParleyError('SESSION_NOT_FOUND', 'introduction: no active session with the other party any more')
    fx.outgoing.push(await sendFrame(ctx, target, { type: 'intro', peer: inviter, invite: offer.invite }))
  } catch (err) {
    return event(fx, 'invalid', inviter, offer.peer, codeOf(err))
  } finally {
    wipeRecord(target)
  }
  event(fx, 'relayed', inviter, offer.peer)
}

/** C gets, from A, B's invite: C's policy again, the invite's checks, then C initiates. */
export async function onIntro(ctx: Context, me: LocalIdentity, from: SessionRecord, intro: { peer: string; invite: Uint8Array }, fx: Effects): Promise<void> {
  const introducer = from.peer
  const isContact = (await ctx.stores.sessions.active(introducer)) !== undefined
  if (!acceptsIntroductionFrom(ctx.policy, introducer, isContact)) return event(fx, 'refused', introducer, intro.peer, 'INTRODUCTION_REFUSED')
  let started
  let kel: Uint8Array
  try {
    const invite = checkIntroductionInvite(ctx.suite, intro.invite, { me: me.state.did, named: intro.peer, now: ctx.now() })
    if ((await ctx.stores.sessions.active(intro.peer)) !== undefined) return event(fx, 'skipped', introducer, intro.peer)
    started = await startSession(ctx, me, {
      theirs: invite.inviter, bundle: invite.bundle, origin: 'introduction', token: invite.token, theirReset: invite.rendezvous.reset, introducer,
    })
    kel = encodeKel(invite.kel)
  } catch (err) {
    return event(fx, 'invalid', introducer, intro.peer, codeOf(err))
  }
  fx.outgoing.push(started.outgoing)
  event(fx, 'started', introducer, intro.peer, undefined, kel)
}
