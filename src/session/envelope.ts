/**
 * Reading the versioned envelope of session wire structures (bundle, PQXDH
 * header, first message). Unlike the codec's `decodeVersioned`, which files
 * every unknown version under DECODE_SCHEMA, a session structure of another
 * version or another suite is a negotiation failure the peer must be told
 * about: SESSION_VERSION_UNSUPPORTED. Everything else stays strict: the size
 * limit is checked before decoding, malformed CBOR keeps its DECODE_* code,
 * another kind is DECODE_SCHEMA.
 */
import { CODEC_MAX_KIND_LENGTH, CODEC_MAX_VERSION, SUITE_ID } from '../constants.js'
import { asMap, asText, asUint, decode, expectKeys, getText } from '../codec/index.js'
import type { CborMap, CborValue } from '../codec/index.js'
import { ParleyError } from '../errors.js'

/** The one envelope version the session structures of this code speak. */
export const SESSION_WIRE_VERSION = 1

/** Longest suite id read from the wire (`parley-1` today). */
const SUITE_ID_MAX_LENGTH = 32

/**
 * The body of a `kind` structure at SESSION_WIRE_VERSION, at most `maxBytes`
 * long. The body must be a map carrying the suite as `s`, which must be
 * `parley-1`.
 */
export function decodeSessionEnvelope(bytes: Uint8Array, kind: string, maxBytes: number, what: string): CborMap {
  if (!(bytes instanceof Uint8Array)) throw new ParleyError('INVALID_ARGUMENT', `${what}: expected bytes`)
  if (bytes.length > maxBytes) throw new ParleyError('DECODE_TOO_LARGE', `${what}: longer than ${maxBytes} bytes`)
  const envelope = asMap(decode(bytes, { maxBytes }), what)
  expectKeys(envelope, ['b', 'k', 'v'], [], what)
  const gotKind = asText(envelope['k'] as CborValue, `${what}.k`, CODEC_MAX_KIND_LENGTH)
  if (gotKind !== kind) throw new ParleyError('DECODE_SCHEMA', `${what}: expected kind ${JSON.stringify(kind)}`)
  const version = asUint(envelope['v'] as CborValue, `${what}.v`, CODEC_MAX_VERSION)
  if (version !== SESSION_WIRE_VERSION) {
    throw new ParleyError('SESSION_VERSION_UNSUPPORTED', `${what}: version ${version} is not supported (supported: ${SESSION_WIRE_VERSION})`)
  }
  const body = asMap(envelope['b'] as CborValue, `${what}.b`)
  const suite = getText(body, 's', what, SUITE_ID_MAX_LENGTH)
  if (suite !== SUITE_ID) throw new ParleyError('SESSION_VERSION_UNSUPPORTED', `${what}: suite ${JSON.stringify(suite)} is not supported`)
  return body
}
