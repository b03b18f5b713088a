/**
 * Byte helpers and argument checks shared by both backends, the key
 * encodings and the suite: concatenation, wiping, length prefixes, UTF-8,
 * base64url, and the checks that turn misuse into a `ParleyError` with an
 * operation prefix (`ed25519Sign: seed must be 32 bytes`). No primitive
 * lives here, and nothing here imports node:* (the portable backend runs
 * wherever WebCrypto's `getRandomValues` does).
 */
import { ParleyError } from '../errors.js'
import type { ErrorCode } from '../errors.js'

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

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
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

/** RFC 4648 §5 base64url without padding. */
export function toBase64url(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Strict inverse of `toBase64url`: refuses padding, other alphabets and non-canonical trailing bits. */
export function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    fail('INVALID_ARGUMENT', 'fromBase64url', 'not unpadded base64url')
  }
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  if (toBase64url(out) !== text) fail('INVALID_ARGUMENT', 'fromBase64url', 'non-canonical base64url')
  return out
}

export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) fail('INVALID_ARGUMENT', 'fromHex', 'not a hex string')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
