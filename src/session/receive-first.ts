/**
 * A first message for a session we do not hold: we answer it as the PQXDH
 * responder (docs/sessions.md "Receiving"). Inside `respond`'s `confirm`
 * hook, before any prekey or replay id is consumed: the session id must be
 * the one the envelope names, the ratchet part must decrypt (on a copy),
 * its frame must carry the initiator's hello, and an invite token in it is
 * redeemed (INVITE_USED / INVITE_EXPIRED / INVITE_INVALID refuse the
 * session; an invite issued for another DID is INVITE_INVALID). Then the
 * record is committed together with our own hello (the reply that
 * acknowledges the PQXDH), a session the invite's reset replaces is
 * deleted, and events follow.
 */
import { RENDEZVOUS_ID_LENGTH } from '../constants.js'
import { bytesEqual } from '../codec/index.js'
import { ParleyError, decryptFailed } from '../errors.js'
import type { Frame, Hello } from './control.js'
import { decodeFrame } from './control.js'
import { decodeIssuedInvite } from './issued-invite.js'
import type { IssuedInviteRecord } from './issued-invite.js'
import type { Context, Effects, LocalIdentity } from './manager-types.js'
import { respond, wipeResponderSecret } from './pqxdh.js'
import { encodeRatchetState, initResponder, ratchetDecrypt, wipeRatchetState } from './ratchet/index.js'
import type { RatchetState } from './ratchet/index.js'
import { resetSentence } from './reset-reason.js'
import { sendFrame, shouldActivate, wipeRecord } from './session-ops.js'
import type { SessionOrigin, SessionRecord } from './session-record.js'

export interface FirstParts {
  sessionId: Uint8Array
  header: Uint8Array
  ratchetMessage: Uint8Array
}

/** Redeems `token` for `from`: the issued record, or the invite store's refusal. */
async function redeem(ctx: Context, token: Uint8Array, from: string): Promise<IssuedInviteRecord> {
  const issued = decodeIssuedInvite(await ctx.stores.invites.redeem(token, ctx.now()))
  if (issued.audience !== undefined && issued.audience !== from) throw new ParleyError('INVITE_INVALID', 'invite: issued for another DID')
  return issued
}

function originOf(issued: IssuedInviteRecord | undefined): SessionOrigin {
  if (issued === undefined) return 'direct'
  return issued.purpose === 'contact' ? 'contact' : issued.purpose
}

interface Confirmed {
  state: RatchetState
  frame: Frame
  hello: Hello
  issued?: IssuedInviteRecord
}

/** Answers a first message (file doc); returns the committed record's frame for dispatch. */
export async function receiveFirst(ctx: Context, me: LocalIdentity, parts: FirstParts, fx: Effects): Promise<{ record: SessionRecord; frame: Frame }> {
  let confirmed: Confirmed | undefined
  const { secret, theirs } = await respond(ctx.suite, {
    ours: { state: me.state, secrets: me.secrets },
    prekeys: ctx.stores.prekeys,
    replay: ctx.stores.replay,
    resolveIdentity: (did, keySequence) => ctx.resolveIdentity(did, keySequence),
    message: parts.header,
    now: ctx.now(),
    confirm: async (s, initiator) => {
      if (!bytesEqual(s.sessionId, parts.sessionId)) throw decryptFailed()
      const start = initResponder(ctx.suite, s)
      let got: { state: RatchetState; plaintext: Uint8Array } | undefined
      try {
        got = ratchetDecrypt(ctx.suite, start, parts.ratchetMessage)
        const frame = decodeFrame(got.plaintext)
        if (frame.hello === undefined) throw new ParleyError('DECODE_SCHEMA', 'session: a first message without the initiator\'s hello')
        const c: Confirmed = { state: got.state, frame, hello: frame.hello }
        if (frame.hello.token !== undefined) c.issued = await redeem(ctx, frame.hello.token, initiator.did)
        confirmed = c
      } catch (err) {
        if (got !== undefined) wipeRatchetState(got.state)
        throw err
      } finally {
        wipeRatchetState(start)
        got?.plaintext.fill(0)
      }
    },
  })
  wipeResponderSecret(secret)
  if (confirmed === undefined) throw new ParleyError('INTERNAL', 'session: respond returned without confirming')
  const { issued, hello, frame } = confirmed
  const now = ctx.now()
  const record: SessionRecord = {
    peer: theirs.did,
    sessionId: parts.sessionId.slice(),
    role: 'responder',
    origin: originOf(issued),
    ratchet: encodeRatchetState(confirmed.state),
    rendezvous: { mine: issued?.resetRendezvous ?? ctx.suite.randomBytes(RENDEZVOUS_ID_LENGTH), theirs: hello.resetRendezvous },
    created: now,
    peerKeySequence: theirs.keySequence,
  }
  wipeRatchetState(confirmed.state)
  if (issued?.reason !== undefined) record.reason = issued.reason
  if (issued?.introducer !== undefined) record.introducer = issued.introducer
  try {
    const active = await shouldActivate(ctx, me.state.did, record)
    fx.outgoing.push(await sendFrame(ctx, record, { type: 'hello' }, { activate: active }))
    if (issued?.replaces !== undefined && !bytesEqual(issued.replaces, record.sessionId)) await ctx.stores.sessions.delete(record.peer, issued.replaces)
    fx.received.push({ type: 'session-established', peer: record.peer, sessionId: record.sessionId, origin: record.origin, active })
    if (issued?.purpose === 'reset') {
      const reason = issued.reason ?? { code: 'other', text: '' }
      fx.received.push({ type: 'session-reset', peer: record.peer, sessionId: record.sessionId, reason: reason.code, by: 'me', message: resetSentence(reason, { peer: record.peer, by: 'me' }) })
    }
    return { record, frame }
  } finally {
    wipeRecord(record)
  }
}
