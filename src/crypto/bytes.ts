/**
 * Byte helpers and argument checks shared by both backends, the key
 * encodings and the suite: wiping, length prefixes, UTF-8, and the checks
 * that turn misuse into a `ParleyError` with an operation prefix (`ed25519Sign: seed must be 32 bytes`). No primitive
 * lives here, and nothing here imports node:* (the portable backend runs
 * wherever WebCrypto's `getRandomValues` does).
 */
import { ParleyError } from '../errors.js'
import type { ErrorCode } from '../errors.js'

// One implementation of these for the whole tree (src/bytes.ts, src/base64url.ts).
export { concatBytes } from '../bytes.js'
export { toBase64url, fromBase64url, toHex, fromHex } from '../base64url.js'

/** Throws a ParleyError whose message starts with the operation name. */
export function fail(code: ErrorCode, op: string, message: string, cause?: unknown): never {
  throw new ParleyError(code, `${op}: ${message}`, cause === undefined ? {} : { cause })
}

/** Refuses anything that is not a Uint8Array (JS callers, JSON leftovers). */
export function assertBytes(op: string, name: string, value: unknown, code: ErrorCode = 'INVALID_ARGUMENT'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) fail(code, op, `${name} must be a Uint8Array`)
}

/** Refuses a byte string whose length is not exactly `length`. */
export function assertLength(op: string, name: string, value: unknown, length: number, code: ErrorCode = 'INVALID_ARGUMENT'): asserts value is Uint8Array {
  assertBytes(op, name, value, code)
  if (value.length !== length) fail(code, op, `${name} must be ${length} bytes`)
}

/** Refuses a number that is not an integer in [min, max]. */
export function assertInteger(op: string, name: string, value: unknown, min: number, max: number, code: ErrorCode = 'INVALID_ARGUMENT'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(code, op, `${name} must be an integer in [${min}, ${max}]`)
  }
}

/** Overwrites every given array with zeros (best effort: JS may hold copies we cannot reach). */
export function wipe(...arrays: Array<Uint8Array | undefined>): void {
  for (const a of arrays) a?.fill(0)
}

/** Big-endian unsigned integer of `bytes` bytes (used as a length prefix). */
export function uintBE(value: number, bytes: 2 | 4): Uint8Array {
  const max = bytes === 2 ? 0xffff : 0xffff_ffff
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    fail('INVALID_ARGUMENT', 'uintBE', `value ${value} does not fit in ${bytes} bytes`)
  }
  const out = new Uint8Array(bytes)
  for (let i = bytes - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff
  return out
}

const encoder = new TextEncoder()

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}
