/**
 * The one wire codec of Parley: deterministic CBOR (RFC 8949). `encode`
 * writes it directly (writer.ts); `decode` reads through StrictTokenizer
 * over cborg.
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
import { decodeFirst } from 'cborg'
import type { DecodeOptions } from 'cborg'
import { CODEC_MAX_DEPTH, CODEC_MAX_INPUT_BYTES, CODEC_MAX_ITEMS } from '../constants.js'
import { ParleyError, wrapError } from '../errors.js'
import { StrictTokenizer } from './tokenizer.js'
import { writeCbor } from './writer.js'

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
 * `Uint8Array`. Each property is read once.
 *
 * @example
 * encode({ b: [2, 3], a: 1 }) // a2 61 61 01 61 62 82 02 03
 */
export function encode(value: CborValue, limits?: Partial<DecodeLimits>): Uint8Array {
  return writeCbor(value, resolveLimits(limits))
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

