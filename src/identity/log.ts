/**
 * The key-event log as a container: an ordered list of `{ event, signature }`
 * entries (event bytes as in events.ts, hybrid signature as a typed
 * encoding), and its wire form `parley/kel` version 1 (docs/identity.md
 * "Encoding"). Decoding checks sizes before reading entries: at most
 * KEL_MAX_BYTES in all, KEL_MAX_EVENTS entries (KEL_TOO_LONG), each event at
 * most KEL_MAX_EVENT_BYTES and each signature exactly one hybrid signature.
 * This file does not interpret events; kel.ts verifies them.
 */

import { CODEC_MAX_ITEMS, KEL_MAX_BYTES, KEL_MAX_EVENT_BYTES, KEL_MAX_EVENTS } from '../constants.js'
import { asArray, asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes } from '../codec/index.js'
import type { CborValue } from '../codec/index.js'
import { encodedLength } from '../crypto/index.js'
import { ParleyError } from '../errors.js'

/** Envelope kind of an encoded KEL. */
export const KEL_KIND = 'parley/kel'
/** Envelope version written by this code. */
export const KEL_VERSION = 1

/** One signed event. */
export interface KelEntry {
  /** Canonical event bytes (events.ts). */
  event: Uint8Array
  /** Hybrid signature `sign(key, LABELS.kelEvent, event)` (typed encoding). */
  signature: Uint8Array
}

/** A key-event log, inception first. */
export type Kel = readonly KelEntry[]

/** Limits for the whole-log decode: bytes raised for this structure, items enough for KEL_MAX_EVENTS + 1. */
const KEL_LIMITS = { maxBytes: KEL_MAX_BYTES, maxItems: Math.max(CODEC_MAX_ITEMS, KEL_MAX_EVENTS + 1) }

/**
 * Encodes `kel` as `parley/kel` v1. Throws KEL_EMPTY / KEL_TOO_LONG for a log
 * no verifier would read.
 *
 * @example
 * const bytes = encodeKel(identity.kel)
 */
export function encodeKel(kel: Kel): Uint8Array {
  if (kel.length === 0) throw new ParleyError('KEL_EMPTY', 'encodeKel: no events')
  if (kel.length > KEL_MAX_EVENTS) throw new ParleyError('KEL_TOO_LONG', `encodeKel: more than ${KEL_MAX_EVENTS} events`)
  const body: CborValue = kel.map((e) => ({ e: e.event, sig: e.signature }))
  return encodeVersioned(KEL_KIND, KEL_VERSION, body, KEL_LIMITS)
}

/**
 * Strictly decodes a `parley/kel` v1 encoding. Malformed CBOR keeps its
 * `DECODE_*` code; no entries is KEL_EMPTY; too many is KEL_TOO_LONG.
 *
 * @example
 * const state = verifyKel(suite, decodeKel(bytes))
 */
export function decodeKel(bytes: Uint8Array): KelEntry[] {
  const body = decodeVersioned(bytes, KEL_KIND, [KEL_VERSION], KEL_LIMITS)
  if (Array.isArray(body) && body.length > KEL_MAX_EVENTS) {
    throw new ParleyError('KEL_TOO_LONG', `decodeKel: more than ${KEL_MAX_EVENTS} events`)
  }
  const items = asArray(body, 'kel', KEL_MAX_EVENTS)
  if (items.length === 0) throw new ParleyError('KEL_EMPTY', 'decodeKel: no events')
  const signatureLength = encodedLength('signature')
  return items.map((item, i) => {
    const what = `kel[${i}]`
    const m = asMap(item, what)
    expectKeys(m, ['e', 'sig'], [], what)
    return {
      event: getBytes(m, 'e', what, { min: 1, max: KEL_MAX_EVENT_BYTES }),
      signature: getBytes(m, 'sig', what, { length: signatureLength }),
    }
  })
}
