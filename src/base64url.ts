/**
 * Strict text encodings of bytes: base64url (RFC 4648 §5) and lowercase hex
 * (RFC 4648 §8). Decoding is canonical, so one byte string has exactly one
 * accepted text form: base64url without padding (as in JWS, RFC 7515 §2),
 * only the URL-safe alphabet, no whitespace, and the unused low bits of the
 * last character must be zero (RFC 4648 §3.5); hex is lowercase only and of
 * even length. Malformed text is `DECODE_FAILED`; text longer than `maxBytes`
 * could decode to is `DECODE_TOO_LARGE`, checked before decoding.
 */
import { CODEC_MAX_INPUT_BYTES } from './constants.js'
import { ParleyError } from './errors.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const HEX = '0123456789abcdef'

/** char code -> 6-bit value, or -1. */
const B64_VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) B64_VALUE[ALPHABET.charCodeAt(i)] = i

/** char code -> 4-bit value, or -1 (lowercase only). */
const HEX_VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < HEX.length; i++) HEX_VALUE[HEX.charCodeAt(i)] = i

function b64(code: number): number {
  return code < 128 ? (B64_VALUE[code] as number) : -1
}

function checkInput(s: string, what: string, maxChars: number, maxBytes: number): void {
  if (typeof s !== 'string') throw new ParleyError('DECODE_FAILED', `${what}: expected a string`)
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new ParleyError('INVALID_ARGUMENT', `${what}: maxBytes must be a non-negative integer`)
  }
  if (s.length > maxChars) throw new ParleyError('DECODE_TOO_LARGE', `${what}: longer than ${maxBytes} bytes`)
}

/**
 * Unpadded base64url of `bytes`.
 *
 * @example
 * toBase64url(new TextEncoder().encode('foob')) // 'Zm9vYg'
 */
export function toBase64url(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 3 <= bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number)
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!
  }
  const left = bytes.length - i
  if (left === 1) {
    const n = (bytes[i] as number) << 16
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!
  } else if (left === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8)
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!
  }
  return out
}

/**
 * Decodes canonical unpadded base64url. Refuses padding, `+` `/`, whitespace,
 * a length of 1 mod 4, and non-zero trailing bits (`DECODE_FAILED`).
 *
 * @example
 * fromBase64url('Zm9vYg') // bytes of 'foob'
 * fromBase64url('Zm9vYh') // throws DECODE_FAILED (trailing bits)
 */
export function fromBase64url(s: string, what = 'base64url', maxBytes: number = CODEC_MAX_INPUT_BYTES): Uint8Array {
  checkInput(s, what, Math.ceil((maxBytes * 4) / 3), maxBytes)
  const rem = s.length % 4
  if (rem === 1) throw new ParleyError('DECODE_FAILED', `${what}: invalid length`)
  const out = new Uint8Array(Math.floor((s.length * 3) / 4))
  let o = 0
  let i = 0
  for (; i + 4 <= s.length; i += 4) {
    const a = b64(s.charCodeAt(i))
    const b = b64(s.charCodeAt(i + 1))
    const c = b64(s.charCodeAt(i + 2))
    const d = b64(s.charCodeAt(i + 3))
    if ((a | b | c | d) < 0) throw new ParleyError('DECODE_FAILED', `${what}: invalid character`)
    const n = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = n >>> 16
    out[o++] = (n >>> 8) & 0xff
    out[o++] = n & 0xff
  }
  if (rem > 0) {
    const a = b64(s.charCodeAt(i))
    const b = b64(s.charCodeAt(i + 1))
    const c = rem === 3 ? b64(s.charCodeAt(i + 2)) : 0
    if ((a | b | c) < 0) throw new ParleyError('DECODE_FAILED', `${what}: invalid character`)
    const n = (a << 18) | (b << 12) | (c << 6)
    // RFC 4648 §3.5: the bits past the last whole byte must be zero
    if ((rem === 2 && (n & 0xffff) !== 0) || (rem === 3 && (n & 0xff) !== 0)) {
      throw new ParleyError('DECODE_FAILED', `${what}: non-zero trailing bits`)
    }
    out[o++] = n >>> 16
    if (rem === 3) out[o++] = (n >>> 8) & 0xff
  }
  return out
}

/**
 * Lowercase hex of `bytes`.
 *
 * @example
 * toHex(Uint8Array.of(0, 255)) // '00ff'
 */
export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += HEX[byte >>> 4]! + HEX[byte & 15]!
  return out
}

/**
 * Decodes lowercase hex of even length (uppercase is refused: one text form
 * per byte string). `DECODE_FAILED` on anything else.
 *
 * @example
 * fromHex('00ff') // Uint8Array [0, 255]
 */
export function fromHex(s: string, what = 'hex', maxBytes: number = CODEC_MAX_INPUT_BYTES): Uint8Array {
  checkInput(s, what, maxBytes * 2, maxBytes)
  if (s.length % 2 !== 0) throw new ParleyError('DECODE_FAILED', `${what}: odd length`)
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) {
    const hi = s.charCodeAt(2 * i)
    const lo = s.charCodeAt(2 * i + 1)
    const h = hi < 128 ? (HEX_VALUE[hi] as number) : -1
    const l = lo < 128 ? (HEX_VALUE[lo] as number) : -1
    if ((h | l) < 0) throw new ParleyError('DECODE_FAILED', `${what}: invalid character`)
    out[i] = (h << 4) | l
  }
  return out
}
