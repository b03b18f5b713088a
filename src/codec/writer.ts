/**
 * The encoder of the codec (cbor.ts `encode`): the core deterministic
 * encoding of RFC 8949 §4.2.1 written straight into one growing buffer —
 * shortest heads, definite lengths, map keys sorted bytewise on their
 * encodings — with the data model and the limits checked as it goes
 * (ENCODE_FAILED: a value outside the model, nesting, items, and the size,
 * before the buffer grows past it). cborg's RFC 8949 encoder, which the
 * codec used before, is the oracle it is tested against
 * (test/codec/writer.test.ts): the same bytes on generated values.
 */
import { CODEC_KEY_CACHE_ENTRIES, CODEC_KEY_CACHE_MAX_LENGTH } from '../constants.js'
import { ParleyError } from '../errors.js'
import type { CborValue, DecodeLimits } from './cbor.js'
import { MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_NEGINT, MAJOR_TEXT, MAJOR_UINT } from './tokenizer.js'

const FALSE = 0xf4
const TRUE = 0xf5
const NULL = 0xf6
const UTF8 = new TextEncoder()

/** The encoding, written into one buffer that grows as needed, never past `maxBytes` (ENCODE_FAILED first). */
class Writer {
  #buf = new Uint8Array(256)
  #at = 0
  readonly #maxBytes: number

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  get length(): number {
    return this.#at
  }

  /** ENCODE_FAILED when `n` more bytes would pass the limit: checked before anything that large is built. */
  ensure(n: number): void {
    if (this.#at + n > this.#maxBytes) fail(`encoding larger than ${this.#maxBytes} bytes`)
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return
    if (this.#at + n > this.#maxBytes + 9) fail(`encoding larger than ${this.#maxBytes} bytes`)
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + n))
    bigger.set(this.#buf.subarray(0, this.#at))
    this.#buf = bigger
  }

  push(part: Uint8Array): void {
    this.#room(part.length)
    this.#buf.set(part, this.#at)
    this.#at += part.length
  }

  byte(b: number): void {
    this.#room(1)
    this.#buf[this.#at++] = b
  }

  /** The shortest head (§3, §4.2.1) of major type `major` with argument `n` (a safe non-negative integer). */
  head(major: number, n: number): void {
    const m = major << 5
    this.#room(9)
    const b = this.#buf
    if (n < 24) b[this.#at++] = m | n
    else if (n < 0x100) {
      b[this.#at++] = m | 24
      b[this.#at++] = n
    } else if (n < 0x10000) {
      b[this.#at++] = m | 25
      b[this.#at++] = n >>> 8
      b[this.#at++] = n & 0xff
    } else if (n < 0x100000000) {
      b[this.#at++] = m | 26
      b[this.#at++] = n >>> 24
      b[this.#at++] = (n >>> 16) & 0xff
      b[this.#at++] = (n >>> 8) & 0xff
      b[this.#at++] = n & 0xff
    } else {
      b[this.#at++] = m | 27
      new DataView(b.buffer, b.byteOffset + this.#at, 8).setBigUint64(0, BigInt(n))
      this.#at += 8
    }
  }

  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#at)
  }
}

/** Encoded map keys, by key (the keys of Parley's structures are a few hundred short constants): the first CODEC_KEY_CACHE_ENTRIES seen. */
const KEYS = new Map<string, Uint8Array>()

/** The encoding of map key `k` for `into` (held to its limit; only short keys are kept). */
function keyBytes(into: Writer, k: string): Uint8Array {
  let bytes = KEYS.get(k)
  if (bytes === undefined) {
    into.ensure(k.length)
    const w = new Writer(Number.MAX_SAFE_INTEGER)
    text(w, k)
    bytes = w.bytes()
    if (KEYS.size < CODEC_KEY_CACHE_ENTRIES && k.length <= CODEC_KEY_CACHE_MAX_LENGTH) KEYS.set(k, bytes)
  }
  return bytes
}

function fail(message: string): never {
  throw new ParleyError('ENCODE_FAILED', `cbor: ${message}`)
}

function text(w: Writer, s: string): void {
  if (!s.isWellFormed()) fail('text with a lone surrogate')
  // UTF-8 takes at least a byte per UTF-16 unit: a string longer than the room left is refused before it is encoded
  w.ensure(s.length)
  const bytes = UTF8.encode(s)
  w.head(MAJOR_TEXT, bytes.length)
  w.push(bytes)
}

function value(w: Writer, v: CborValue, depth: number, lim: DecodeLimits): void {
  if (v === null) w.byte(NULL)
  else if (v === true) w.byte(TRUE)
  else if (v === false) w.byte(FALSE)
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) fail('a number that is not a safe integer')
    if (v >= 0) w.head(MAJOR_UINT, v)
    else w.head(MAJOR_NEGINT, -1 - v)
  } else if (typeof v === 'string') text(w, v)
  else if (v instanceof Uint8Array) {
    w.head(MAJOR_BYTES, v.length)
    w.push(v)
  } else if (Array.isArray(v)) {
    if (depth >= lim.maxDepth) fail(`nesting deeper than ${lim.maxDepth}`)
    if (Object.getPrototypeOf(v) !== Array.prototype) fail('not a plain array')
    if (v.length > lim.maxItems) fail(`more than ${lim.maxItems} items`)
    w.head(MAJOR_ARRAY, v.length)
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) fail('a sparse array')
      value(w, v[i] as CborValue, depth + 1, lim)
    }
  } else if (typeof v === 'object' && isPlainObject(v)) {
    if (depth >= lim.maxDepth) fail(`nesting deeper than ${lim.maxDepth}`)
    const keys = Object.keys(v)
    if (keys.length > lim.maxItems) fail(`more than ${lim.maxItems} entries`)
    const entries = keys.map((k) => ({ key: keyBytes(w, k), v: v[k] as CborValue }))
    entries.sort((a, b) => compareBytes(a.key, b.key))
    w.head(MAJOR_MAP, entries.length)
    for (const e of entries) {
      w.push(e.key)
      value(w, e.v, depth + 1, lim)
    }
  } else fail('a value outside the data model')
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v)
  return (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(v).length === 0
}

/** Bytewise order of two encodings (§4.2.1: a shorter key first, as its head is smaller). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return a.length - b.length
}

/** The deterministic CBOR of `v` within `lim`; ENCODE_FAILED otherwise. */
export function writeCbor(v: CborValue, lim: DecodeLimits): Uint8Array {
  const w = new Writer(lim.maxBytes)
  value(w, v, 0, lim)
  if (w.length > lim.maxBytes) fail(`encoding larger than ${lim.maxBytes} bytes`)
  return w.bytes()
}
