/**
 * What the agent puts inside a session message (the plaintext the ratchet
 * encrypts): a text, a file offer, or our newest KEL (so contacts learn of a
 * key rotation or new addresses at once). Strict versioned CBOR: anything
 * else from a peer is refused with DECODE_* and never reaches the history.
 */
import { AGENT_TEXT_MAX_BYTES } from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, getText, getUint } from '../codec/index.js'
import { ParleyError } from '../errors.js'

const KIND = 'parley/app'
const VERSION = 1
const KEL_MAX = 256 * 1024
const OFFER_MAX = 4096

export type AppPayload =
  | { t: 'text'; text: string; at: number }
  | { t: 'file'; offer: Uint8Array; at: number }
  | { t: 'kel'; kel: Uint8Array }

export function encodePayload(p: AppPayload): Uint8Array {
  switch (p.t) {
    case 'text':
      if (new TextEncoder().encode(p.text).length > AGENT_TEXT_MAX_BYTES) throw new ParleyError('INVALID_ARGUMENT', `a message text is at most ${AGENT_TEXT_MAX_BYTES} bytes`)
      return encodeVersioned(KIND, VERSION, { t: 'text', text: p.text, at: p.at })
    case 'file':
      return encodeVersioned(KIND, VERSION, { t: 'file', offer: p.offer, at: p.at })
    case 'kel':
      return encodeVersioned(KIND, VERSION, { t: 'kel', kel: p.kel })
  }
}

export function decodePayload(bytes: Uint8Array): AppPayload {
  const body = decodeVersioned(bytes, KIND, [VERSION])
  const m = asMap(body, 'app payload')
  const t = getText(m, 't', 'app payload', 8)
  switch (t) {
    case 'text':
      expectKeys(m, ['t', 'text', 'at'], [], 'app payload')
      return { t, text: getText(m, 'text', 'app payload', AGENT_TEXT_MAX_BYTES), at: getUint(m, 'at', 'app payload') }
    case 'file':
      expectKeys(m, ['t', 'offer', 'at'], [], 'app payload')
      return { t, offer: getBytes(m, 'offer', 'app payload', { max: OFFER_MAX }), at: getUint(m, 'at', 'app payload') }
    case 'kel':
      expectKeys(m, ['t', 'kel'], [], 'app payload')
      return { t, kel: getBytes(m, 'kel', 'app payload', { max: KEL_MAX }) }
    default:
      throw new ParleyError('DECODE_SCHEMA', `app payload: unknown type ${JSON.stringify(t)}`)
  }
}
