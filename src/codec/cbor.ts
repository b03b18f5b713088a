/**
 * The one wire codec of Parley: deterministic CBOR (RFC 8949) over cborg.
 *
 * `encode` writes the core deterministic encoding of RFC 8949 §4.2.1: shortest
 * heads (§4.2.1, "preferred serialization" §4.1), definite lengths only, map
 * keys sorted bytewise on their encodings. Equal values always give equal
 * bytes, so encodings can be signed and hashed as they are.
 *
 * `decode` is the strict inverse: it accepts exactly the bytes `encode` can
 * produce (§5.1 "strict mode" in spirit) and refuses everything else with a
 * `ParleyError` carrying a `DECODE_*` code. The size of the input is checked
 * first; depth, item counts and lengths are checked per head before anything
 * is allocated (see tokenizer.ts).
 *
 * The data model is a deliberate subset (`CborValue`): null, booleans, safe
 * integers, UTF-8 text, byte strings, arrays and text-keyed maps. No floats
 * (non-integer numbers are refused: every number we send is a count, a time in
 * seconds or an enum, and floats have several encodings of one value), no
 * tags, no undefined, no bigints.
 */
import { decodeFirst, encode as cborgEncode, rfc8949EncodeOptions } from 'cborg'
import type { DecodeOptions } from 'cborg'
import { CODEC_MAX_DEPTH, CODEC_MAX_INPUT_BYTES, CODEC_MAX_ITEMS } from '../constants.js'
import { ParleyError, wrapError } from '../errors.js'
import { StrictTokenizer } from './tokenizer.js'

/** Every value the codec carries. Maps are plain objects with text keys. */
export type CborValue = null | boolean | number | string | Uint8Array | CborValue[] | { [key: string]: CborValue }

/**
 * Bounds on one encoding. Defaults come from src/constants.ts. A decoder for a
 * structure known to be larger (a long KEL) may raise them explicitly.
 */
export interface DecodeLimits {
  /** Largest input, in bytes (checked before anything else). */
  maxBytes: number
  /** Deepest nesting of arrays and maps; a top-level scalar is depth 0, `[]` is depth 1. */
  maxDepth: number
  /** Most items in one array, or entries in one map. */
  maxItems: number
}

export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxBytes: CODEC_MAX_INPUT_BYTES,
  maxDepth: CODEC_MAX_DEPTH,
  maxItems: CODEC_MAX_ITEMS,
})

/** cborg's strictest decode options: a second line of defence behind StrictTokenizer. */
const CBORG_DECODE_OPTIONS: DecodeOptions = Object.freeze({
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  coerceUndefinedToNull: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  useMaps: false,
  rejectDuplicateMapKeys: true,
  retainStringBytes: false,
  tags: {},
})

/** Fills in defaults; a limit that is not a positive safe integer is misuse. */
export function resolveLimits(limits: Partial<DecodeLimits> | undefined): DecodeLimits {
  const out: DecodeLimits = { ...DEFAULT_LIMITS }
  for (const name of ['maxBytes', 'maxDepth', 'maxItems'] as const) {
    const v = limits?.[name]
    if (v === undefined) continue
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new ParleyError('INVALID_ARGUMENT', `cbor: limit ${name} must be a positive integer`)
    }
    out[name] = v
  }
  return out
}

/**
 * Encodes `value` in the core deterministic encoding (RFC 8949 §4.2.1).
 * Refuses with `ENCODE_FAILED`: non-integer or unsafe numbers, -0 is written
 * as 0 (CBOR integers have no sign of zero); strings with lone surrogates;
 * undefined, bigints, functions, symbols, class instances (anything but plain
 * objects, arrays and Uint8Array); sparse arrays; objects with symbol keys;
 * values over the limits (the defaults, unless raised), so that everything
 * encoded with the default limits decodes with them. The result is a fresh
 * `Uint8Array` (never a pooled Node Buffer).
 *
 * @example
 * encode({ b: [2, 3], a: 1 }) // a2 61 61 01 61 62 82 02 03
 */
export function encode(value: CborValue, limits?: Partial<DecodeLimits>): Uint8Array {
  const lim = resolveLimits(limits)
  let out: Uint8Array
  try {
    const normalised = normalise(value, 0, lim, { bytes: 0 })
    out = cborgEncode(normalised, rfc8949EncodeOptions)
  } catch (err) {
    throw wrapError(err, 'ENCODE_FAILED', 'cbor: cannot encode value')
  }
  if (out.length > lim.maxBytes) {
    throw new ParleyError('ENCODE_FAILED', `cbor: encoding larger than ${lim.maxBytes} bytes`)
  }
  // cborg allocates with Buffer.allocUnsafe: copy out of Node's shared pool
  return new Uint8Array(out)
}

/**
 * Decodes one deterministic CBOR item that fills `bytes` exactly. Every
 * failure is a `ParleyError`: `DECODE_TOO_LARGE` (input or container over the
 * limits), `DECODE_TOO_DEEP`, `DECODE_NOT_CANONICAL` (a long form where a short
 * one fits, map keys out of order), `DECODE_FAILED` (anything else: malformed,
 * truncated, trailing bytes, tags, floats, undefined, non-text map keys,
 * duplicate keys, invalid UTF-8, integers beyond ±(2^53 − 1)). Byte strings are
 * fresh copies, never views of `bytes`.
 *
 * @example
 * decode(Uint8Array.of(0xa1, 0x61, 0x61, 0x01)) // { a: 1 }
 */
export function decode(bytes: Uint8Array, limits?: Partial<DecodeLimits>): CborValue {
  const lim = resolveLimits(limits)
  if (!(bytes instanceof Uint8Array)) throw new ParleyError('DECODE_FAILED', 'cbor: input is not a Uint8Array')
  if (bytes.length > lim.maxBytes) {
    throw new ParleyError('DECODE_TOO_LARGE', `cbor: input larger than ${lim.maxBytes} bytes`)
  }
  if (bytes.length === 0) throw new ParleyError('DECODE_FAILED', 'cbor: empty input')
  // a plain view: Buffer#slice would return views where cborg expects copies
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let value: unknown
  let rest: Uint8Array
  try {
    const tokenizer = new StrictTokenizer(data, lim, CBORG_DECODE_OPTIONS)
    ;[value, rest] = decodeFirst(data, { ...CBORG_DECODE_OPTIONS, tokenizer })
  } catch (err) {
    throw wrapError(err, 'DECODE_FAILED', 'cbor: malformed input')
  }
  if (rest.length > 0) throw new ParleyError('DECODE_FAILED', `cbor: ${rest.length} trailing bytes`)
  return value as CborValue
}

/**
 * Checks `value` against the data model and the limits, and returns a copy
 * for cborg (maps as `Map`, bytes as plain views): what cborg encodes is
 * exactly what was checked, even if a getter would answer differently twice.
 */
function normalise(value: unknown, depth: number, lim: DecodeLimits, budget: { bytes: number }): unknown {
  // a lower bound on the encoded size, to refuse a huge value before encoding it
  budget.bytes += 1
  if (budget.bytes > lim.maxBytes) throw new ParleyError('ENCODE_FAILED', `cbor: encoding larger than ${lim.maxBytes} bytes`)
  if (value === null || value === true || value === false) return value
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new ParleyError('ENCODE_FAILED', 'cbor: numbers must be safe integers (floats are not supported)')
      }
      return value === 0 ? 0 : value
    case 'string':
      if (!value.isWellFormed()) throw new ParleyError('ENCODE_FAILED', 'cbor: string has a lone surrogate')
      budget.bytes += value.length
      return value
    case 'object':
      break
    default:
      throw new ParleyError('ENCODE_FAILED', `cbor: cannot encode a value of type ${typeof value}`)
  }
  if (value instanceof Uint8Array) {
    budget.bytes += value.length
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  }
  if (depth + 1 > lim.maxDepth) throw new ParleyError('ENCODE_FAILED', `cbor: nesting deeper than ${lim.maxDepth}`)
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw new ParleyError('ENCODE_FAILED', 'cbor: not a plain array')
    if (value.length > lim.maxItems) throw new ParleyError('ENCODE_FAILED', `cbor: more than ${lim.maxItems} items`)
    const out: unknown[] = []
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new ParleyError('ENCODE_FAILED', 'cbor: sparse array')
      out.push(normalise(value[i], depth + 1, lim, budget))
    }
    return out
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) {
    throw new ParleyError('ENCODE_FAILED', 'cbor: only plain objects, arrays and Uint8Array can be encoded')
  }
  if (Object.getOwnPropertySymbols(value).length > 0) throw new ParleyError('ENCODE_FAILED', 'cbor: symbol keys')
  const keys = Object.keys(value)
  if (keys.length > lim.maxItems) throw new ParleyError('ENCODE_FAILED', `cbor: more than ${lim.maxItems} entries`)
  const out = new Map<string, unknown>()
  for (const key of keys) {
    if (!key.isWellFormed()) throw new ParleyError('ENCODE_FAILED', 'cbor: map key has a lone surrogate')
    budget.bytes += 1 + key.length
    out.set(key, normalise((value as Record<string, unknown>)[key], depth + 1, lim, budget))
  }
  return out
}
