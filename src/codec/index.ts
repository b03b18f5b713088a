/**
 * The codec layer of Parley: deterministic, strictly decoded CBOR (RFC 8949
 * §4.2.1) with limits, the versioned envelope every persisted or sent
 * structure travels in, typed schema readers for structure decoders, strict
 * base64url/hex, and small byte helpers. See docs/encoding.md.
 */
export { encode, decode, resolveLimits, DEFAULT_LIMITS } from './cbor.js'
export type { CborValue, DecodeLimits } from './cbor.js'
export { encodeVersioned, decodeVersioned } from './envelope.js'
export {
  asMap,
  asBytes,
  asText,
  asUint,
  asBool,
  asArray,
  expectKeys,
  getBytes,
  getText,
  getUint,
  getBool,
  getArray,
  getMap,
  optional,
  utf8Length,
} from './schema.js'
export type { CborMap, BytesBounds } from './schema.js'
export { toBase64url, fromBase64url, toHex, fromHex } from '../base64url.js'
export { bytesEqual, compareBytes, concatBytes } from '../bytes.js'
export { parseStrictJson, isJsonObject } from './json.js'
export type { JsonObject, JsonValue, StrictJsonOptions } from './json.js'
