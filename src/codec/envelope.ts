/**
 * The versioned envelope: every top-level structure Parley persists or sends
 * is `{ k: kind, v: version, b: body }`, one deterministic CBOR map (RFC 8949
 * §4.2.1; keys sort as "b", "k", "v"). `kind` names the structure (for example
 * `parley/kel-event`), so bytes of one kind can never be read as another;
 * `version` is the body's schema version, so a reader refuses what it does not
 * know instead of guessing. The body nests one level below the envelope, so it
 * may be at most `maxDepth - 1` deep.
 */
import { CODEC_MAX_KIND_LENGTH, CODEC_MAX_VERSION } from '../constants.js'
import { ParleyError } from '../errors.js'
import { decode, encode } from './cbor.js'
import type { CborValue, DecodeLimits } from './cbor.js'
import { asMap, asText, asUint, expectKeys } from './schema.js'

/** A kind is 1..CODEC_MAX_KIND_LENGTH bytes of printable ASCII without spaces. */
const KIND_PATTERN = /^[\x21-\x7e]+$/

function checkKind(kind: string, code: 'ENCODE_FAILED' | 'INVALID_ARGUMENT'): void {
  if (typeof kind !== 'string' || kind.length > CODEC_MAX_KIND_LENGTH || !KIND_PATTERN.test(kind)) {
    throw new ParleyError(code, `envelope: kind must be 1 to ${CODEC_MAX_KIND_LENGTH} printable ASCII characters`)
  }
}

function checkVersion(version: number, code: 'ENCODE_FAILED' | 'INVALID_ARGUMENT'): void {
  if (!Number.isSafeInteger(version) || version < 1 || version > CODEC_MAX_VERSION) {
    throw new ParleyError(code, `envelope: version must be an integer from 1 to ${CODEC_MAX_VERSION}`)
  }
}

/**
 * Encodes `body` as a structure of `kind` at `version`. `limits` raises the
 * default size limits for a structure that is larger by design (a KEL); the
 * decoder must be given the same.
 *
 * @example
 * const bytes = encodeVersioned('parley/kel-event', 1, { s: 0, t: 'icp' })
 */
export function encodeVersioned(kind: string, version: number, body: CborValue, limits?: Partial<DecodeLimits>): Uint8Array {
  checkKind(kind, 'ENCODE_FAILED')
  checkVersion(version, 'ENCODE_FAILED')
  return encode({ k: kind, v: version, b: body }, limits)
}

/**
 * Decodes a structure of `kind` whose version is one of `supportedVersions`
 * and returns its body (still to be read with the schema readers). Another
 * kind, an unsupported version, or a malformed envelope is `DECODE_SCHEMA`;
 * malformed CBOR keeps its `DECODE_*` code from `decode`.
 *
 * @example
 * const body = asMap(decodeVersioned(bytes, 'parley/kel-event', [1]), 'kel event')
 */
export function decodeVersioned(
  bytes: Uint8Array,
  kind: string,
  supportedVersions: readonly number[],
  limits?: Partial<DecodeLimits>,
): CborValue {
  checkKind(kind, 'INVALID_ARGUMENT')
  if (supportedVersions.length === 0) throw new ParleyError('INVALID_ARGUMENT', 'envelope: no supported versions')
  for (const v of supportedVersions) checkVersion(v, 'INVALID_ARGUMENT')

  const envelope = asMap(decode(bytes, limits), 'envelope')
  expectKeys(envelope, ['b', 'k', 'v'], [], 'envelope')
  const gotKind = asText(envelope['k'] as CborValue, 'envelope.k', CODEC_MAX_KIND_LENGTH)
  if (gotKind !== kind) {
    throw new ParleyError('DECODE_SCHEMA', `envelope: expected kind ${JSON.stringify(kind)}, got ${JSON.stringify(gotKind)}`)
  }
  const version = asUint(envelope['v'] as CborValue, 'envelope.v')
  if (!supportedVersions.includes(version)) {
    throw new ParleyError(
      'DECODE_SCHEMA',
      `envelope: ${kind} version ${version} is not supported (supported: ${supportedVersions.join(', ')})`,
    )
  }
  return envelope['b'] as CborValue
}
