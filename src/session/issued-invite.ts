/**
 * Issuing invites (the inviter's side of invite.ts): a fresh bundle, a pair
 * of rendezvous ids, a signed full invite, and the record the InviteStore
 * keeps under the token until the invitee's hello redeems it:
 * `parley/issued-invite` v1 { p: purpose, a?: audience, r: my reset
 * rendezvous for the resulting session, by?: introducer, y?: reset reason,
 * rp?: session a reset replaces }.
 *
 * Invite bundles carry no one-time prekeys: the token is the single-use
 * guard, and it is read inside the first message, which a consumed one-time
 * prekey would refuse before the token is seen (PREKEY_USED instead of
 * INVITE_USED). The first flight then rests on the signed prekeys, as PQXDH
 * without one-time prekeys; the ratchet's first steps add fresh DH and KEM
 * secrets at once (docs/sessions.md "Invites").
 */
import { DID_MAX_LENGTH, INVITE_TOKEN_LENGTH, ISSUED_INVITE_RECORD_MAX_BYTES, RENDEZVOUS_ID_LENGTH, SESSION_ID_LENGTH } from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, getMap, getText, optional } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import { createBundle, encodeBundle } from './bundle.js'
import { createFullInvite } from './invite.js'
import type { InvitePurpose } from './invite.js'
import type { Context, LocalIdentity } from './manager-types.js'
import { decodeResetReason, encodeResetReason } from './reset-reason.js'
import type { ResetReason } from './reset-reason.js'

export const ISSUED_INVITE_KIND = 'parley/issued-invite'
const VERSION = 1
const PURPOSES: readonly InvitePurpose[] = ['contact', 'introduction', 'reset']

/** What the inviter remembers of an invite it issued. */
export interface IssuedInviteRecord {
  purpose: InvitePurpose
  /** The only DID that may redeem it. */
  audience?: string
  /** My reset rendezvous for the session the invite starts. */
  resetRendezvous: Uint8Array
  introducer?: string
  reason?: ResetReason
  replaces?: Uint8Array
}

export function encodeIssuedInvite(r: IssuedInviteRecord): Uint8Array {
  const m: CborMap = { p: r.purpose, r: r.resetRendezvous }
  if (r.audience !== undefined) m['a'] = r.audience
  if (r.introducer !== undefined) m['by'] = r.introducer
  if (r.reason !== undefined) m['y'] = encodeResetReason(r.reason)
  if (r.replaces !== undefined) m['rp'] = r.replaces
  return encodeVersioned(ISSUED_INVITE_KIND, VERSION, m, { maxBytes: ISSUED_INVITE_RECORD_MAX_BYTES })
}

/** Strict inverse of `encodeIssuedInvite`; STORE_CORRUPT on anything malformed (only this code writes them). */
export function decodeIssuedInvite(bytes: Uint8Array): IssuedInviteRecord {
  const w = 'issued invite'
  try {
    const m = asMap(decodeVersioned(bytes, ISSUED_INVITE_KIND, [VERSION], { maxBytes: ISSUED_INVITE_RECORD_MAX_BYTES }), w)
    expectKeys(m, ['p', 'r'], ['a', 'by', 'y', 'rp'], w)
    const purpose = getText(m, 'p', w, 32)
    if (!PURPOSES.includes(purpose as InvitePurpose)) throw new ParleyError('DECODE_SCHEMA', `${w}: unknown purpose`)
    const r: IssuedInviteRecord = { purpose: purpose as InvitePurpose, resetRendezvous: getBytes(m, 'r', w, { length: RENDEZVOUS_ID_LENGTH }) }
    const audience = optional(m, 'a', (mm, k) => getText(mm, k, w, DID_MAX_LENGTH))
    if (audience !== undefined) r.audience = audience
    const introducer = optional(m, 'by', (mm, k) => getText(mm, k, w, DID_MAX_LENGTH))
    if (introducer !== undefined) r.introducer = introducer
    const reason = optional(m, 'y', (mm, k) => decodeResetReason(getMap(mm, k, w), `${w}.y`))
    if (reason !== undefined) r.reason = reason
    const replaces = optional(m, 'rp', (mm, k) => getBytes(mm, k, w, { length: SESSION_ID_LENGTH }))
    if (replaces !== undefined) r.replaces = replaces
    return r
  } catch (err) {
    throw new ParleyError('STORE_CORRUPT', `${w}: unreadable record`, { cause: err })
  }
}

export interface IssueOptions {
  purpose: InvitePurpose
  addresses: string[]
  lifetimeSeconds: number
  audience?: string
  introducer?: string
  reason?: ResetReason
  replaces?: Uint8Array
}

export interface Issued {
  full: Uint8Array
  token: Uint8Array
  bundle: Uint8Array
  expiresAt: Date
}

/**
 * Makes and issues an invite: a bundle without one-time prekeys (file doc),
 * fresh rendezvous ids, the signed full invite, and its record in the
 * InviteStore under a fresh token.
 */
export async function issueInvite(ctx: Context, me: LocalIdentity, opts: IssueOptions): Promise<Issued> {
  const now = ctx.now()
  if (!Number.isSafeInteger(opts.lifetimeSeconds) || opts.lifetimeSeconds < 1) throw new ParleyError('INVALID_ARGUMENT', 'invite: lifetimeSeconds must be a positive integer')
  const expiresAt = new Date((Math.floor(now.getTime() / 1000) + opts.lifetimeSeconds) * 1000)
  const ours = { state: me.state, secrets: me.secrets }
  const bundle = encodeBundle(await createBundle(ctx.suite, { ours, prekeys: ctx.stores.prekeys, now, oneTime: false }))
  const rendezvous = { initial: ctx.suite.randomBytes(RENDEZVOUS_ID_LENGTH), reset: ctx.suite.randomBytes(RENDEZVOUS_ID_LENGTH) }
  const token = ctx.suite.randomBytes(INVITE_TOKEN_LENGTH)
  const full = createFullInvite(ctx.suite, {
    inviter: { kel: me.kel, secrets: { signing: me.secrets.signing } },
    bundle, addresses: opts.addresses, rendezvous, purpose: opts.purpose, now, expiresAt, token,
    ...(opts.audience === undefined ? {} : { audience: opts.audience }),
  })
  const record: IssuedInviteRecord = { purpose: opts.purpose, resetRendezvous: rendezvous.reset }
  if (opts.audience !== undefined) record.audience = opts.audience
  if (opts.introducer !== undefined) record.introducer = opts.introducer
  if (opts.reason !== undefined) record.reason = opts.reason
  if (opts.replaces !== undefined) record.replaces = opts.replaces
  await ctx.stores.invites.issue(token, { record: encodeIssuedInvite(record), expiresAt })
  return { full, token, bundle, expiresAt }
}
