/**
 * Invites: how two identities that share no session yet get one (DESIGN.md
 * §6, the seeds' out-of-band invite and QR flows).
 *
 * - A *full invite* is self-contained and signed by the inviter's current
 *   key: the inviter's KEL, a prekey bundle (opaque encoded bytes), the
 *   addresses to reach it, a one-time token, the initial and reset
 *   rendezvous ids, a purpose (contact, introduction, reset), an optional
 *   intended recipient, and an expiry.
 * - A *compact invite* fits a QR code (`parley:` URI of at most
 *   INVITE_COMPACT_MAX_BYTES): addresses, the token, a digest committing to
 *   the inviter's KEL and bundle, and the expiry. It carries no signature —
 *   the out-of-band channel (a scanned code) vouches for it — so whatever
 *   is fetched later is checked against the digest.
 *
 * Invites expire (INVITE_EXPIRED) and are single use: the inviter redeems
 * the token once (see invite-store.ts). Pure: time comes in as `now`.
 */
import type { Suite } from '../crypto/types.js'
import { ParleyError, wrapError } from '../errors.js'
import {
  INVITE_COMPACT_MAX_BYTES,
  INVITE_FULL_MAX_BYTES,
  INVITE_MAX_ADDRESSES,
  INVITE_MAX_ADDRESS_LENGTH,
  INVITE_MAX_BUNDLE_BYTES,
  INVITE_MAX_LIFETIME_SECONDS,
  INVITE_TOKEN_LENGTH,
  KEL_MAX_BYTES,
  LABELS,
  RENDEZVOUS_ID_LENGTH,
} from '../constants.js'
import {
  asMap,
  asText,
  decode,
  decodeVersioned,
  encode,
  encodeVersioned,
  expectKeys,
  fromBase64url,
  getArray,
  getBytes,
  getMap,
  getText,
  getUint,
  optional,
  toBase64url,
} from '../codec/index.js'
import type { CborValue } from '../codec/index.js'
import { assertParleyDid, decodeKel, encodeKel, verifyKel, verifySignedBy } from '../identity/index.js'
import type { Kel, KeyState, SeenRecord } from '../identity/index.js'

export const INVITE_KIND = 'parley/invite'
export const COMPACT_INVITE_KIND = 'parley/invite-compact'
export const INVITE_VERSION = 1
export const INVITE_URI_SCHEME = 'parley:'

/** What an invite is for. */
export type InvitePurpose = 'contact' | 'introduction' | 'reset'
const PURPOSES: readonly InvitePurpose[] = ['contact', 'introduction', 'reset']

/** The two rendezvous ids agreed at setup (mailbox addresses; DESIGN.md §6–7). */
export interface Rendezvous {
  initial: Uint8Array
  reset: Uint8Array
}

/** A full invite, verified. */
export interface FullInvite {
  inviter: KeyState
  kel: Kel
  /** The inviter's prekey bundle, encoded (checked by the session layer). */
  bundle: Uint8Array
  addresses: string[]
  token: Uint8Array
  rendezvous: Rendezvous
  purpose: InvitePurpose
  /** The DID this invite is meant for (introductions, resets); absent: anyone who holds it. */
  audience?: string
  issuedAt: Date
  expiresAt: Date
}

/** A compact invite as parsed from its URI (not yet checked against fetched data). */
export interface CompactInvite {
  addresses: string[]
  token: Uint8Array
  /** digest(LABELS.inviteDigest, kel, bundle) */
  digest: Uint8Array
  expiresAt: Date
}

export interface CreateInviteOptions {
  inviter: { kel: Kel; secrets: { signing: Uint8Array } }
  bundle: Uint8Array
  addresses: string[]
  rendezvous: Rendezvous
  purpose?: InvitePurpose
  audience?: string
  now: Date
  expiresAt: Date
  /** The token; random when absent (tests pass one). */
  token?: Uint8Array
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000)

function invalid(message: string, cause?: unknown): ParleyError {
  return new ParleyError('INVITE_INVALID', `invite: ${message}`, cause === undefined ? {} : { cause })
}

function checkAddresses(addresses: readonly string[]): void {
  if (addresses.length > INVITE_MAX_ADDRESSES) throw invalid(`more than ${INVITE_MAX_ADDRESSES} addresses`)
  for (const a of addresses) {
    if (typeof a !== 'string' || a.length === 0 || a.length > INVITE_MAX_ADDRESS_LENGTH || /[\s\u0000-\u001f]/.test(a)) {
      throw invalid('an address is empty, too long or has control characters')
    }
  }
}

function checkLifetime(now: Date, expiresAt: Date): void {
  const life = seconds(expiresAt) - seconds(now)
  if (!(life > 0) || life > INVITE_MAX_LIFETIME_SECONDS) {
    throw new ParleyError('INVALID_ARGUMENT', `invite: expiry must be within ${INVITE_MAX_LIFETIME_SECONDS} seconds from now`)
  }
}

/** The compact invite's commitment to a KEL and a bundle. */
export function inviteDigest(suite: Suite, kel: Uint8Array, bundle: Uint8Array): Uint8Array {
  return suite.digest(LABELS.inviteDigest, kel, bundle)
}

/**
 * Creates a full invite signed by the inviter's current key.
 *
 * @example
 * const bytes = createFullInvite(suite, { inviter: me, bundle, addresses, rendezvous, now, expiresAt })
 */
export function createFullInvite(suite: Suite, opts: CreateInviteOptions): Uint8Array {
  checkAddresses(opts.addresses)
  checkLifetime(opts.now, opts.expiresAt)
  if (opts.bundle.length === 0 || opts.bundle.length > INVITE_MAX_BUNDLE_BYTES) throw invalid('bundle is empty or too large')
  if (opts.rendezvous.initial.length !== RENDEZVOUS_ID_LENGTH || opts.rendezvous.reset.length !== RENDEZVOUS_ID_LENGTH) {
    throw new ParleyError('INVALID_ARGUMENT', `invite: rendezvous ids are ${RENDEZVOUS_ID_LENGTH} bytes`)
  }
  if (opts.audience !== undefined) assertParleyDid(opts.audience, 'invite audience')
  const state = verifyKel(suite, opts.inviter.kel)
  const token = opts.token ?? suite.randomBytes(INVITE_TOKEN_LENGTH)
  if (token.length !== INVITE_TOKEN_LENGTH) throw new ParleyError('INVALID_ARGUMENT', `invite: the token is ${INVITE_TOKEN_LENGTH} bytes`)
  const body: Record<string, CborValue> = {
    did: state.did,
    kel: encodeKel(opts.inviter.kel),
    bundle: opts.bundle,
    addrs: [...opts.addresses],
    token,
    rv: { initial: opts.rendezvous.initial, reset: opts.rendezvous.reset },
    purpose: opts.purpose ?? 'contact',
    iat: seconds(opts.now),
    exp: seconds(opts.expiresAt),
  }
  if (opts.audience !== undefined) body['aud'] = opts.audience
  const bodyBytes = encode(body, { maxBytes: INVITE_FULL_MAX_BYTES })
  const signature = suite.sign(opts.inviter.secrets.signing, LABELS.invite, bodyBytes)
  return encodeVersioned(INVITE_KIND, INVITE_VERSION, { b: bodyBytes, s: signature }, { maxBytes: INVITE_FULL_MAX_BYTES })
}

/**
 * Verifies a full invite: structure, the inviter's KEL (against `seen` if
 * given), the signature by the inviter's *current* key (a rotated-out key is
 * KEL_ROTATED_KEY), expiry (INVITE_EXPIRED), and the audience when `me` is
 * given. Does not redeem the token: the inviter does that when the session
 * it opens arrives.
 *
 * @example
 * const invite = verifyFullInvite(suite, bytes, { now: new Date(), me: myDid })
 */
export function verifyFullInvite(suite: Suite, bytes: Uint8Array, opts: { now: Date; seen?: SeenRecord; me?: string }): FullInvite {
  if (bytes.length > INVITE_FULL_MAX_BYTES) throw new ParleyError('INVITE_TOO_LARGE', 'invite: larger than a full invite may be')
  let outer: Record<string, CborValue>
  let body: Record<string, CborValue>
  let bodyBytes: Uint8Array
  try {
    outer = asMap(decodeVersioned(bytes, INVITE_KIND, [INVITE_VERSION], { maxBytes: INVITE_FULL_MAX_BYTES }), 'invite')
    expectKeys(outer, ['b', 's'], [], 'invite')
    bodyBytes = getBytes(outer, 'b', 'invite', { max: INVITE_FULL_MAX_BYTES })
    body = asMap(decode(bodyBytes, { maxBytes: INVITE_FULL_MAX_BYTES }), 'invite body')
    expectKeys(body, ['did', 'kel', 'bundle', 'addrs', 'token', 'rv', 'purpose', 'iat', 'exp'], ['aud'], 'invite body')
  } catch (err) {
    throw invalid('malformed', err)
  }
  const fields = readBody(body)
  const kel = decodeKel(fields.kel)
  const inviter = verifyKel(suite, kel, { expectedDid: fields.did, ...(opts.seen !== undefined ? { seen: opts.seen } : {}) })
  verifySignedBy(suite, inviter, LABELS.invite, bodyBytes, getBytes(outer, 's', 'invite', { max: 16 * 1024 }))
  if (seconds(opts.now) >= fields.exp) throw new ParleyError('INVITE_EXPIRED', 'invite: expired')
  if (fields.aud !== undefined && opts.me !== undefined && fields.aud !== opts.me) {
    throw new ParleyError('INVITE_INVALID', 'invite: meant for another identity')
  }
  const invite: FullInvite = {
    inviter,
    kel,
    bundle: fields.bundle,
    addresses: fields.addrs,
    token: fields.token,
    rendezvous: fields.rv,
    purpose: fields.purpose,
    issuedAt: new Date(fields.iat * 1000),
    expiresAt: new Date(fields.exp * 1000),
  }
  if (fields.aud !== undefined) invite.audience = fields.aud
  return invite
}

function readBody(body: Record<string, CborValue>): {
  did: string
  kel: Uint8Array
  bundle: Uint8Array
  addrs: string[]
  token: Uint8Array
  rv: Rendezvous
  purpose: InvitePurpose
  iat: number
  exp: number
  aud?: string
} {
  try {
    const w = 'invite body'
    const rv = getMap(body, 'rv', w)
    expectKeys(rv, ['initial', 'reset'], [], `${w}.rv`)
    const purpose = getText(body, 'purpose', w, 32)
    if (!PURPOSES.includes(purpose as InvitePurpose)) throw invalid(`unknown purpose ${JSON.stringify(purpose)}`)
    const addrs = getArray(body, 'addrs', w, INVITE_MAX_ADDRESSES).map((a, i) => asText(a, `${w}.addrs[${i}]`, INVITE_MAX_ADDRESS_LENGTH))
    checkAddresses(addrs)
    const out = {
      did: assertParleyDid(getText(body, 'did', w, 256), 'invite inviter'),
      kel: getBytes(body, 'kel', w, { max: KEL_MAX_BYTES }),
      bundle: getBytes(body, 'bundle', w, { min: 1, max: INVITE_MAX_BUNDLE_BYTES }),
      addrs,
      token: getBytes(body, 'token', w, { length: INVITE_TOKEN_LENGTH }),
      rv: {
        initial: getBytes(rv, 'initial', `${w}.rv`, { length: RENDEZVOUS_ID_LENGTH }),
        reset: getBytes(rv, 'reset', `${w}.rv`, { length: RENDEZVOUS_ID_LENGTH }),
      },
      purpose: purpose as InvitePurpose,
      iat: getUint(body, 'iat', w),
      exp: getUint(body, 'exp', w),
    }
    const aud = optional(body, 'aud', (m, k) => assertParleyDid(getText(m, k, w, 256), 'invite audience'))
    if (out.exp <= out.iat || out.exp - out.iat > INVITE_MAX_LIFETIME_SECONDS) throw invalid('lifetime out of range')
    return aud === undefined ? out : { ...out, aud }
  } catch (err) {
    throw wrapError(err, 'INVITE_INVALID', 'invite: malformed body')
  }
}

/**
 * The compact form of an invite: a `parley:` URI of at most
 * INVITE_COMPACT_MAX_BYTES (INVITE_TOO_LARGE otherwise: use fewer addresses).
 *
 * @example
 * const uri = createCompactInvite(suite, { kel: encodeKel(me.kel), bundle, addresses, token, expiresAt })
 * // render `uri` as a QR code
 */
export function createCompactInvite(
  suite: Suite,
  opts: { kel: Uint8Array; bundle: Uint8Array; addresses: string[]; token: Uint8Array; expiresAt: Date },
): string {
  checkAddresses(opts.addresses)
  if (opts.token.length !== INVITE_TOKEN_LENGTH) throw new ParleyError('INVALID_ARGUMENT', `invite: the token is ${INVITE_TOKEN_LENGTH} bytes`)
  const bytes = encodeVersioned(COMPACT_INVITE_KIND, INVITE_VERSION, {
    a: [...opts.addresses],
    t: opts.token,
    d: inviteDigest(suite, opts.kel, opts.bundle),
    e: seconds(opts.expiresAt),
  })
  const uri = INVITE_URI_SCHEME + toBase64url(bytes)
  if (uri.length > INVITE_COMPACT_MAX_BYTES) {
    throw new ParleyError('INVITE_TOO_LARGE', `invite: the compact form is ${uri.length} bytes, more than ${INVITE_COMPACT_MAX_BYTES}; list fewer addresses`)
  }
  return uri
}

/** Parses a `parley:` URI (strictly); checks expiry. */
export function parseCompactInvite(uri: string, opts: { now: Date }): CompactInvite {
  if (typeof uri !== 'string' || uri.length > INVITE_COMPACT_MAX_BYTES) throw new ParleyError('INVITE_TOO_LARGE', 'invite: longer than a compact invite may be')
  if (!uri.startsWith(INVITE_URI_SCHEME)) throw invalid('not a parley: URI')
  let map: Record<string, CborValue>
  let invite: CompactInvite
  try {
    map = asMap(decodeVersioned(fromBase64url(uri.slice(INVITE_URI_SCHEME.length), 'invite', INVITE_COMPACT_MAX_BYTES), COMPACT_INVITE_KIND, [INVITE_VERSION]), 'compact invite')
    expectKeys(map, ['a', 't', 'd', 'e'], [], 'compact invite')
    const addresses = getArray(map, 'a', 'compact invite', INVITE_MAX_ADDRESSES).map((a, i) => asText(a, `compact invite.a[${i}]`, INVITE_MAX_ADDRESS_LENGTH))
    checkAddresses(addresses)
    invite = {
      addresses,
      token: getBytes(map, 't', 'compact invite', { length: INVITE_TOKEN_LENGTH }),
      digest: getBytes(map, 'd', 'compact invite', { length: 32 }),
      expiresAt: new Date(getUint(map, 'e', 'compact invite') * 1000),
    }
  } catch (err) {
    throw wrapError(err, 'INVITE_INVALID', 'invite: malformed compact invite')
  }
  if (seconds(opts.now) >= seconds(invite.expiresAt)) throw new ParleyError('INVITE_EXPIRED', 'invite: expired')
  return invite
}

/**
 * Checks the KEL and bundle fetched for a compact invite against its digest
 * (INVITE_DIGEST_MISMATCH), then verifies the KEL. Returns the inviter.
 */
export function checkFetchedForCompact(suite: Suite, invite: CompactInvite, fetched: { kel: Uint8Array; bundle: Uint8Array }, opts: { seen?: SeenRecord } = {}): KeyState {
  if (!suite.timingSafeEqual(inviteDigest(suite, fetched.kel, fetched.bundle), invite.digest)) {
    throw new ParleyError('INVITE_DIGEST_MISMATCH', 'invite: the fetched KEL or bundle is not the one the invite commits to')
  }
  return verifyKel(suite, fetched.kel, opts.seen !== undefined ? { seen: opts.seen } : {})
}
