/**
 * The inner payload framing of a session (docs/sessions.md "Payloads"): what
 * a ratchet plaintext holds. `parley/session-payload` v1
 *
 *   { t: type, b: body, h?: hello }
 *
 * | t               | b                                   | meaning                                   |
 * | --------------- | ----------------------------------- | ----------------------------------------- |
 * | `app`           | bytes                               | application data                          |
 * | `hello`         | { r: reset rendezvous, k?: token }  | first payload of each side of a session   |
 * | `reset`         | { c: code, x?: text }               | a reset of this session was deposited     |
 * | `intro-request` | { p: DID }                          | introducer → contact: "meet p?"           |
 * | `intro-offer`   | { p: DID, i: full invite }          | contact → introducer: an invite for p     |
 * | `intro`         | { p: DID, i: full invite }          | introducer → p's counterpart: p's invite  |
 *
 * `h` carries the sender's hello on any other payload until the peer has
 * shown it holds the session (docs/sessions.md "Hello"), so a lost first
 * message never loses the hello. Decoding is strict (unknown types and
 * fields refused, DIDs checked, sizes bounded).
 */
import { DID_MAX_LENGTH, INVITE_TOKEN_LENGTH, RATCHET_MAX_PLAINTEXT_BYTES, RENDEZVOUS_ID_LENGTH, SESSION_PAYLOAD_FRAMING_BYTES } from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, getMap, getText, optional } from '../codec/index.js'
import type { CborMap, CborValue } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import { assertParleyDid } from '../identity/index.js'
import { decodeResetReason, encodeResetReason } from './reset-reason.js'
import type { ResetReason } from './reset-reason.js'

export const SESSION_PAYLOAD_KIND = 'parley/session-payload'
export const SESSION_PAYLOAD_VERSION = 1
/** Largest application payload (and invite carried by an introduction) in one message. */
export const SESSION_APP_MAX_BYTES = RATCHET_MAX_PLAINTEXT_BYTES - SESSION_PAYLOAD_FRAMING_BYTES

/** What each side tells the other first: where to deposit resets for it, and the invite token it redeems. */
export interface Hello {
  resetRendezvous: Uint8Array
  token?: Uint8Array
}

export type Payload =
  | { type: 'app'; data: Uint8Array }
  | { type: 'hello' }
  | { type: 'reset'; reason: ResetReason }
  | { type: 'intro-request'; peer: string }
  | { type: 'intro-offer'; peer: string; invite: Uint8Array }
  | { type: 'intro'; peer: string; invite: Uint8Array }

/** A decoded plaintext: the payload and the sender's hello when it came with it (always for `hello`). */
export interface Frame {
  payload: Payload
  hello?: Hello
}

const TYPES = ['app', 'hello', 'reset', 'intro-request', 'intro-offer', 'intro'] as const

function encodeHello(h: Hello): CborMap {
  return h.token === undefined ? { r: h.resetRendezvous } : { r: h.resetRendezvous, k: h.token }
}

function decodeHello(m: CborMap, what: string): Hello {
  expectKeys(m, ['r'], ['k'], what)
  const hello: Hello = { resetRendezvous: getBytes(m, 'r', what, { length: RENDEZVOUS_ID_LENGTH }) }
  const token = optional(m, 'k', (mm, k) => getBytes(mm, k, what, { length: INVITE_TOKEN_LENGTH }))
  if (token !== undefined) hello.token = token
  return hello
}

function body(p: Payload, hello: Hello | undefined): CborValue {
  switch (p.type) {
    case 'app':
      return p.data
    case 'hello':
      if (hello === undefined) throw new ParleyError('INVALID_ARGUMENT', 'session payload: a hello payload needs the hello')
      return encodeHello(hello)
    case 'reset':
      return encodeResetReason(p.reason)
    case 'intro-request':
      return { p: p.peer }
    case 'intro-offer':
    case 'intro':
      return { p: p.peer, i: p.invite }
  }
}

/**
 * The plaintext bytes of `frame` (INVALID_ARGUMENT when larger than a ratchet
 * message may carry).
 *
 * @example
 * const plaintext = encodeFrame({ payload: { type: 'app', data }, hello })
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const m: CborMap = { t: frame.payload.type, b: body(frame.payload, frame.hello) }
  if (frame.hello !== undefined && frame.payload.type !== 'hello') m['h'] = encodeHello(frame.hello)
  let bytes: Uint8Array
  try {
    bytes = encodeVersioned(SESSION_PAYLOAD_KIND, SESSION_PAYLOAD_VERSION, m, { maxBytes: RATCHET_MAX_PLAINTEXT_BYTES })
  } catch (err) {
    throw new ParleyError('INVALID_ARGUMENT', `session payload: larger than ${RATCHET_MAX_PLAINTEXT_BYTES} bytes`, { cause: err })
  }
  return bytes
}

function readPeer(m: CborMap, what: string): string {
  return assertParleyDid(getText(m, 'p', what, DID_MAX_LENGTH), `${what}.p`)
}

function decodeBody(type: (typeof TYPES)[number], m: CborMap, what: string): { payload: Payload; hello?: Hello } {
  const w = `${what}.b`
  switch (type) {
    case 'app':
      return { payload: { type, data: getBytes(m, 'b', what, { max: SESSION_APP_MAX_BYTES }) } }
    case 'hello':
      return { payload: { type }, hello: decodeHello(getMap(m, 'b', what), w) }
    case 'reset':
      return { payload: { type, reason: decodeResetReason(getMap(m, 'b', what), w) } }
    case 'intro-request': {
      const b = getMap(m, 'b', what)
      expectKeys(b, ['p'], [], w)
      return { payload: { type, peer: readPeer(b, w) } }
    }
    case 'intro-offer':
    case 'intro': {
      const b = getMap(m, 'b', what)
      expectKeys(b, ['p', 'i'], [], w)
      return { payload: { type, peer: readPeer(b, w), invite: getBytes(b, 'i', w, { min: 1, max: SESSION_APP_MAX_BYTES }) } }
    }
  }
}

/** Strict inverse of `encodeFrame`: DECODE_* for anything malformed, DID_INVALID for a bad DID. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const what = 'session payload'
  const m = asMap(decodeVersioned(bytes, SESSION_PAYLOAD_KIND, [SESSION_PAYLOAD_VERSION], { maxBytes: RATCHET_MAX_PLAINTEXT_BYTES }), what)
  expectKeys(m, ['t', 'b'], ['h'], what)
  const type = getText(m, 't', what, 16)
  if (!(TYPES as readonly string[]).includes(type)) throw new ParleyError('DECODE_SCHEMA', `${what}: unknown type`)
  const known = type as (typeof TYPES)[number]
  const decoded = decodeBody(known, m, what)
  if (Object.hasOwn(m, 'h')) {
    if (known === 'hello') throw new ParleyError('DECODE_SCHEMA', `${what}: a hello does not carry another hello`)
    decoded.hello = decodeHello(getMap(m, 'h', what), `${what}.h`)
  }
  return decoded.hello === undefined ? { payload: decoded.payload } : { payload: decoded.payload, hello: decoded.hello }
}
