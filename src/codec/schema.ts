/**
 * Typed field readers for the decoders of our structures. A structure decoder
 * takes the `CborValue` that `decode` returned (RFC 8949 §3 data model,
 * already strict and canonical) and reads it with these: each reader checks
 * presence, type and bounds, and every failure is
 * `ParleyError('DECODE_SCHEMA', '<what>: <problem>')`.
 *
 * Decisions, so every decoder behaves the same:
 * - A field is absent or present; `null` is never "absent" (one encoding per
 *   value). Unknown fields are refused (`expectKeys`).
 * - Text lengths are counted in UTF-8 bytes (the unit of the wire, the same in
 *   every language). Text never contains control characters (Unicode general
 *   category Cc: U+0000–U+001F, U+007F–U+009F), so a name can not move a
 *   terminal cursor or forge a log line. Invalid UTF-8 was already refused by
 *   `decode`.
 * - Unsigned integers are safe integers ≥ 0 (decode already bounds them).
 * - Fields are looked up with `Object.hasOwn`, never through the prototype.
 */
import { ParleyError } from '../errors.js'
import type { CborValue } from './cbor.js'

/** A decoded map: text keys to values. */
export type CborMap = Record<string, CborValue>

/** Bounds on a byte string. Without `length` or `max`, only the input size bounds it. */
export interface BytesBounds {
  /** Exact length. */
  length?: number
  /** Largest length accepted. */
  max?: number
  /** Smallest length accepted. */
  min?: number
}

const utf8 = new TextEncoder()

/** Cc: C0 controls, DEL and C1 controls. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/u

function schemaError(what: string, problem: string): ParleyError {
  return new ParleyError('DECODE_SCHEMA', `${what}: ${problem}`)
}

function field(what: string, key: string): string {
  return `${what}.${key}`
}

function isPlainMap(value: CborValue): value is CborMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function present(map: CborMap, key: string, what: string): CborValue {
  if (!Object.hasOwn(map, key)) throw schemaError(field(what, key), 'missing')
  return map[key] as CborValue
}

/** The number of bytes `text` takes in UTF-8. */
export function utf8Length(text: string): number {
  return utf8.encode(text).length
}

// ---------------------------------------------------------------------------
// Values (array elements, top-level bodies)
// ---------------------------------------------------------------------------

/**
 * `value` as a map (not an array, not bytes, not null).
 *
 * @example
 * const event = asMap(decode(bytes), 'kel event')
 */
export function asMap(value: CborValue, what: string): CborMap {
  if (!isPlainMap(value)) throw schemaError(what, 'expected a map')
  return value
}

/** `value` as a byte string within `bounds`. */
export function asBytes(value: CborValue, what: string, bounds: BytesBounds = {}): Uint8Array {
  if (!(value instanceof Uint8Array)) throw schemaError(what, 'expected a byte string')
  const n = value.length
  if (bounds.length !== undefined && n !== bounds.length) {
    throw schemaError(what, `expected ${bounds.length} bytes, got ${n}`)
  }
  if (bounds.max !== undefined && n > bounds.max) throw schemaError(what, `longer than ${bounds.max} bytes`)
  if (bounds.min !== undefined && n < bounds.min) throw schemaError(what, `shorter than ${bounds.min} bytes`)
  return value
}

/** `value` as text of at most `maxBytes` UTF-8 bytes, without control characters. */
export function asText(value: CborValue, what: string, maxBytes: number): string {
  if (typeof value !== 'string') throw schemaError(what, 'expected a text string')
  // a string of n UTF-16 code units takes at least n UTF-8 bytes: skip the encode when that already fails
  if (value.length > maxBytes || utf8Length(value) > maxBytes) throw schemaError(what, `longer than ${maxBytes} bytes`)
  if (CONTROL_CHARS.test(value)) throw schemaError(what, 'contains a control character')
  return value
}

/** `value` as a non-negative safe integer, at most `max` when given. */
export function asUint(value: CborValue, what: string, max?: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw schemaError(what, 'expected an unsigned integer')
  }
  if (max !== undefined && value > max) throw schemaError(what, `greater than ${max}`)
  return value
}

/** `value` as a boolean. */
export function asBool(value: CborValue, what: string): boolean {
  if (typeof value !== 'boolean') throw schemaError(what, 'expected a boolean')
  return value
}

/** `value` as an array of at most `maxItems` elements. */
export function asArray(value: CborValue, what: string, maxItems: number): CborValue[] {
  if (!Array.isArray(value)) throw schemaError(what, 'expected an array')
  if (value.length > maxItems) throw schemaError(what, `more than ${maxItems} items`)
  return value
}

// ---------------------------------------------------------------------------
// Map fields
// ---------------------------------------------------------------------------

/**
 * Refuses a map that lacks a `required` key or has a key in neither list.
 *
 * @example
 * expectKeys(event, ['t', 's', 'p'], ['n'], 'kel event')
 */
export function expectKeys(map: CborMap, required: readonly string[], optional: readonly string[], what: string): void {
  for (const key of required) {
    if (!Object.hasOwn(map, key)) throw schemaError(field(what, key), 'missing')
  }
  for (const key of Object.keys(map)) {
    if (!required.includes(key) && !optional.includes(key)) {
      // the key is attacker-chosen: quote it with escapes and cut it short
      throw schemaError(what, `unknown field ${JSON.stringify(key.slice(0, 32))}`)
    }
  }
}

/** The byte string at `key`. */
export function getBytes(map: CborMap, key: string, what: string, bounds: BytesBounds = {}): Uint8Array {
  return asBytes(present(map, key, what), field(what, key), bounds)
}

/** The text at `key`: at most `maxBytes` UTF-8 bytes, no control characters. */
export function getText(map: CborMap, key: string, what: string, maxBytes: number): string {
  return asText(present(map, key, what), field(what, key), maxBytes)
}

/** The non-negative safe integer at `key`, at most `max` when given. */
export function getUint(map: CborMap, key: string, what: string, max?: number): number {
  return asUint(present(map, key, what), field(what, key), max)
}

/** The boolean at `key`. */
export function getBool(map: CborMap, key: string, what: string): boolean {
  return asBool(present(map, key, what), field(what, key))
}

/** The array at `key`, of at most `maxItems` elements. */
export function getArray(map: CborMap, key: string, what: string, maxItems: number): CborValue[] {
  return asArray(present(map, key, what), field(what, key), maxItems)
}

/** The map at `key`. */
export function getMap(map: CborMap, key: string, what: string): CborMap {
  return asMap(present(map, key, what), field(what, key))
}

/**
 * `read(map, key)` when `key` is present, `undefined` when it is absent.
 *
 * @example
 * const note = optional(event, 'note', (m, k) => getText(m, k, 'kel event', MAX_NAME_LENGTH))
 */
export function optional<T>(map: CborMap, key: string, read: (map: CborMap, key: string) => T): T | undefined {
  return Object.hasOwn(map, key) ? read(map, key) : undefined
}
