/**
 * Wire format of /parley/auth/1.0.0 (the protocol is described in auth.ts):
 * five messages in one versioned envelope kind, `parley/auth` v1, told apart
 * by `t`, each one length-prefixed frame (frames.ts); and the bytes the
 * signatures and the presentation nonce cover. Decoding is strict (unknown
 * fields, wrong types and sizes are refused) and every failure is
 * AUTH_PROTOCOL with the codec's error as cause, except a message whose
 * protocol version or suite we do not speak: AUTH_VERSION_UNSUPPORTED.
 *
 *   hello   D→R  { t, v, s, c, d, g?, q }
 *   reply   R→D  { t, v, s, c, e, d, g?, q, k?, p?, sig, gs? }
 *   proof   D→R  { t, e, k?, p?, sig, gs? }
 *   ok      R→D  { t }
 *   refuse  ⇄    { t, code, msg }
 *
 * v protocol version, s suite id, c the sender's fresh challenge, e the echo
 * of the peer's challenge, d the sender's DID, g the group DID of a group
 * context, q "I require a credential presentation", k the sender's encoded
 * KEL (left out when larger than AUTH_MAX_INLINE_KEL_BYTES), p its
 * presentation (JSON text of a `parley-vp/1`, only when the peer asked),
 * sig its hybrid signature (LABELS.auth) over `authTranscript`, gs the group
 * control key's signature over the group membership transcript.
 *
 * Transcript (`parley/auth-transcript` v1), signed by each side with its
 * own role in `r`, so a proof cannot be reflected back at its maker:
 *   { r, v, s, ca, cb, pa, pb, da, db, qa, qb, g?, hb?, ha? }
 * a = dialer, b = responder; c challenges, p libp2p peer ids (multihash
 * bytes, from the connection, never from a message), d DIDs, q credential
 * requests, h SHA-256 of each presentation as sent. The responder signs
 * before the dialer's presentation exists, so only the dialer's transcript
 * holds `ha`; each side's own presentation hash is always in its transcript.
 */
import {
  AUTH_CHALLENGE_LENGTH,
  AUTH_MAX_INLINE_KEL_BYTES,
  AUTH_MAX_PRESENTATION_BYTES,
  AUTH_MAX_REASON_BYTES,
  CODEC_MAX_VERSION,
  DID_MAX_LENGTH,
} from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBool, getBytes, getText, getUint, optional, utf8Length } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { encodedLength } from '../crypto/index.js'
import type { Suite } from '../crypto/index.js'
import { ErrorCodes, ParleyError, isParleyError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { assertParleyDid } from '../identity/index.js'

/** Envelope kind of every auth message. */
export const AUTH_MESSAGE_KIND = 'parley/auth'
/** Envelope kind of the signed transcript. */
export const AUTH_TRANSCRIPT_KIND = 'parley/auth-transcript'
/** Envelope kind of the presentation-nonce preimage. */
export const AUTH_VP_NONCE_KIND = 'parley/auth-vp-nonce'
const VERSION = 1
/** Longest suite id or refusal code read. */
const MAX_NAME_BYTES = 64

/** Who opened the auth stream. */
export type AuthRole = 'dialer' | 'responder'

export interface HelloMessage {
  t: 'hello'
  version: number
  suite: string
  challenge: Uint8Array
  did: string
  group?: string
  wantsCredential: boolean
}

/** What a side proves: its KEL (optional), presentation (optional), signature and group signature. */
export interface ProofFields {
  kel?: Uint8Array
  presentation?: Uint8Array
  signature: Uint8Array
  groupSignature?: Uint8Array
}

export interface ReplyMessage extends ProofFields {
  t: 'reply'
  version: number
  suite: string
  challenge: Uint8Array
  /** The dialer's challenge, echoed. */
  echo: Uint8Array
  did: string
  group?: string
  wantsCredential: boolean
}

export interface ProofMessage extends ProofFields {
  t: 'proof'
  /** The responder's challenge, echoed. */
  echo: Uint8Array
}

export interface OkMessage {
  t: 'ok'
}

export interface RefuseMessage {
  t: 'refuse'
  /** A known error code; an unknown one arrives as AUTH_FAILED. */
  code: ErrorCode
  message: string
}

export type AuthMessage = HelloMessage | ReplyMessage | ProofMessage | OkMessage | RefuseMessage
export type AuthMessageType = AuthMessage['t']

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

function proofFields(body: CborMap, m: ProofFields): void {
  if (m.kel !== undefined) body['k'] = m.kel
  if (m.presentation !== undefined) body['p'] = m.presentation
  body['sig'] = m.signature
  if (m.groupSignature !== undefined) body['gs'] = m.groupSignature
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/gu

/** `text` without control characters, cut to at most `max` UTF-8 bytes on a code point boundary. */
export function reasonText(text: string, max = AUTH_MAX_REASON_BYTES): string {
  let out = text.replace(CONTROL, ' ')
  if (utf8Length(out) <= max) return out
  // every code point takes at least one byte: start from at most `max` of them, then trim
  const points = [...out].slice(0, max)
  out = points.join('')
  while (points.length > 0 && utf8Length(out) > max) {
    points.pop()
    out = points.join('')
  }
  return out
}

/**
 * The frame body of `m`.
 *
 * @example
 * await frames.write(encodeAuthMessage({ t: 'ok' }))
 */
export function encodeAuthMessage(m: AuthMessage): Uint8Array {
  const body: CborMap = { t: m.t }
  switch (m.t) {
    case 'hello':
    case 'reply':
      body['v'] = m.version
      body['s'] = m.suite
      body['c'] = m.challenge
      body['d'] = m.did
      if (m.group !== undefined) body['g'] = m.group
      body['q'] = m.wantsCredential
      if (m.t === 'reply') {
        body['e'] = m.echo
        proofFields(body, m)
      }
      break
    case 'proof':
      body['e'] = m.echo
      proofFields(body, m)
      break
    case 'ok':
      break
    case 'refuse':
      body['code'] = m.code
      body['msg'] = reasonText(m.message)
      break
  }
  return encodeVersioned(AUTH_MESSAGE_KIND, VERSION, body)
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

const W = 'auth message'
const PROOF_KEYS = ['k', 'p', 'gs'] as const

function did(map: CborMap, key: string): string {
  return assertParleyDid(getText(map, key, W, DID_MAX_LENGTH), `${W}.${key}`)
}

function challenge(map: CborMap, key: string): Uint8Array {
  return getBytes(map, key, W, { length: AUTH_CHALLENGE_LENGTH })
}

function readProof(map: CborMap): ProofFields {
  const sigLength = encodedLength('signature')
  const out: ProofFields = { signature: getBytes(map, 'sig', W, { length: sigLength }) }
  const kel = optional(map, 'k', (m, k) => getBytes(m, k, W, { min: 1, max: AUTH_MAX_INLINE_KEL_BYTES }))
  if (kel !== undefined) out.kel = kel
  const presentation = optional(map, 'p', (m, k) => getBytes(m, k, W, { min: 1, max: AUTH_MAX_PRESENTATION_BYTES }))
  if (presentation !== undefined) out.presentation = presentation
  const gs = optional(map, 'gs', (m, k) => getBytes(m, k, W, { length: sigLength }))
  if (gs !== undefined) out.groupSignature = gs
  return out
}

/** Version and suite first, so a peer speaking another version is told so rather than "malformed". */
function readVersion(map: CborMap, expected: { version: number; suite: string }): { version: number; suite: string } {
  const version = getUint(map, 'v', W, CODEC_MAX_VERSION)
  const suite = getText(map, 's', W, MAX_NAME_BYTES)
  if (version !== expected.version || suite !== expected.suite) {
    throw new ParleyError('AUTH_VERSION_UNSUPPORTED', `auth: peer speaks version ${version} of suite ${JSON.stringify(suite)}; we speak ${expected.version} of ${expected.suite}`)
  }
  return { version, suite }
}

function readHelloLike(map: CborMap, t: 'hello' | 'reply', expected: { version: number; suite: string }): HelloMessage | ReplyMessage {
  const { version, suite } = readVersion(map, expected)
  const base = { version, suite, challenge: challenge(map, 'c'), did: did(map, 'd'), wantsCredential: getBool(map, 'q', W) }
  const group = optional(map, 'g', (m, k) => did(m, k))
  if (t === 'hello') {
    expectKeys(map, ['t', 'v', 's', 'c', 'd', 'q'], ['g'], W)
    const hello: HelloMessage = { t, ...base }
    if (group !== undefined) hello.group = group
    return hello
  }
  expectKeys(map, ['t', 'v', 's', 'c', 'd', 'q', 'e', 'sig'], ['g', ...PROOF_KEYS], W)
  const reply: ReplyMessage = { t, ...base, echo: challenge(map, 'e'), ...readProof(map) }
  if (group !== undefined) reply.group = group
  return reply
}

function readMessage(bytes: Uint8Array, expected: { version: number; suite: string }): AuthMessage {
  const map = asMap(decodeVersioned(bytes, AUTH_MESSAGE_KIND, [VERSION]), W)
  const t = getText(map, 't', W, 8)
  switch (t) {
    case 'hello':
    case 'reply':
      return readHelloLike(map, t, expected)
    case 'proof':
      expectKeys(map, ['t', 'e', 'sig'], PROOF_KEYS, W)
      return { t, echo: challenge(map, 'e'), ...readProof(map) }
    case 'ok':
      expectKeys(map, ['t'], [], W)
      return { t }
    case 'refuse': {
      expectKeys(map, ['t', 'code', 'msg'], [], W)
      const code = getText(map, 'code', W, MAX_NAME_BYTES)
      const known = (ErrorCodes as readonly string[]).includes(code)
      return { t, code: known ? (code as ErrorCode) : 'AUTH_FAILED', message: getText(map, 'msg', W, AUTH_MAX_REASON_BYTES) }
    }
    default:
      throw new ParleyError('DECODE_SCHEMA', `${W}: unknown type`)
  }
}

/**
 * Strictly decodes one frame body and checks its type is one of `accept`
 * (a `refuse` is always accepted: either side may refuse at any step).
 *
 * @example
 * const m = decodeAuthMessage(frame, ['reply'], { version: PROTOCOL_VERSION, suite: SUITE_ID })
 */
export function decodeAuthMessage<T extends AuthMessageType>(
  bytes: Uint8Array,
  accept: readonly T[],
  expected: { version: number; suite: string },
): Extract<AuthMessage, { t: T }> | RefuseMessage {
  let m: AuthMessage
  try {
    m = readMessage(bytes, expected)
  } catch (err) {
    if (isParleyError(err, 'AUTH_VERSION_UNSUPPORTED')) throw err
    throw new ParleyError('AUTH_PROTOCOL', 'auth: malformed message', { cause: err })
  }
  if (m.t === 'refuse') return m
  if (!(accept as readonly string[]).includes(m.t)) throw new ParleyError('AUTH_PROTOCOL', `auth: unexpected ${m.t} message`)
  return m as Extract<AuthMessage, { t: T }>
}

// ---------------------------------------------------------------------------
// Transcript and presentation nonce
// ---------------------------------------------------------------------------

/** One side's part of the transcript. */
export interface TranscriptSide {
  challenge: Uint8Array
  /** libp2p peer id as multihash bytes, taken from the connection. */
  peerId: Uint8Array
  did: string
  wantsCredential: boolean
  /** SHA-256 of the presentation as sent, when one was sent. */
  presentationHash?: Uint8Array
}

export interface TranscriptInput {
  version: number
  suite: string
  dialer: TranscriptSide
  responder: TranscriptSide
  /** The group DID of a group context. */
  group?: string
}

/**
 * The bytes `role`'s hybrid signature (LABELS.auth) covers. The responder's
 * never holds the dialer's presentation hash (it signs before it exists).
 */
export function authTranscript(role: AuthRole, t: TranscriptInput): Uint8Array {
  const body: CborMap = {
    r: role,
    v: t.version,
    s: t.suite,
    ca: t.dialer.challenge,
    cb: t.responder.challenge,
    pa: t.dialer.peerId,
    pb: t.responder.peerId,
    da: t.dialer.did,
    db: t.responder.did,
    qa: t.dialer.wantsCredential,
    qb: t.responder.wantsCredential,
  }
  if (t.group !== undefined) body['g'] = t.group
  if (t.responder.presentationHash !== undefined) body['hb'] = t.responder.presentationHash
  if (role === 'dialer' && t.dialer.presentationHash !== undefined) body['ha'] = t.dialer.presentationHash
  return encodeVersioned(AUTH_TRANSCRIPT_KIND, VERSION, body)
}

/**
 * The nonce `presenter` puts in its presentation: SHA-256 over both
 * challenges, both peer ids, both DIDs, the group and the presenter's role,
 * so a presentation is good for this connection, this direction, only.
 */
export function presentationNonce(suite: Suite, presenter: AuthRole, t: TranscriptInput): Uint8Array {
  const body: CborMap = {
    r: presenter,
    ca: t.dialer.challenge,
    cb: t.responder.challenge,
    pa: t.dialer.peerId,
    pb: t.responder.peerId,
    da: t.dialer.did,
    db: t.responder.did,
  }
  if (t.group !== undefined) body['g'] = t.group
  return suite.sha256(encodeVersioned(AUTH_VP_NONCE_KIND, VERSION, body))
}
