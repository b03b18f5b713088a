/**
 * The strict tokenizer that `decode` hands to cborg. cborg builds the tree;
 * this file decides, one data-item head at a time and BEFORE cborg reads or
 * allocates anything for it, whether the item is acceptable:
 *
 * - RFC 8949 §3 (head parsing): reserved additional-information values 28–30
 *   and indefinite lengths (31, §3.2) are refused; a head that runs past the
 *   input is refused.
 * - §4.2.1 (core deterministic encoding): arguments in the shortest form
 *   (`DECODE_NOT_CANONICAL`); map keys in strictly increasing bytewise order of
 *   their encodings (`DECODE_NOT_CANONICAL`; equal keys are duplicates, §5.6,
 *   `DECODE_FAILED`).
 * - Our subset of the data model: integers within ±(2^53 − 1), byte strings,
 *   UTF-8 text strings (§3.1 major type 3: invalid UTF-8 refused; a leading
 *   U+FEFF is kept, not stripped), arrays, maps whose keys are text strings,
 *   false, true, null. No tags (§3.4), no floats, no undefined, no other simple
 *   values (§3.3): all `DECODE_FAILED`.
 * - Limits: nesting deeper than `maxDepth` is `DECODE_TOO_DEEP`; an array or
 *   map declaring more than `maxItems` entries is `DECODE_TOO_LARGE`; a
 *   declared count or length that cannot fit in the bytes left is refused
 *   before cborg loops or allocates, so a 10-byte input declaring 2^32 items
 *   costs nothing.
 *
 * cborg's own strict options stay on as a second line of defence.
 */
import { Token, Tokenizer, Type } from 'cborg'
import type { DecodeOptions } from 'cborg'
import type { DecodeTokenizer } from 'cborg/interface'
import { ParleyError } from '../errors.js'
import { compareBytes } from '../bytes.js'

/** The limits the tokenizer enforces (see `DecodeLimits` in cbor.ts). */
export interface TokenizerLimits {
  maxDepth: number
  maxItems: number
}

/** One open array or map: how many child items it declared and how many were read. */
interface Frame {
  readonly isMap: boolean
  readonly total: number
  seen: number
  /** Encoding of the previous key (maps only), for the §4.2.1 order check. */
  prevKey: Uint8Array | undefined
}

/** A parsed data-item head (RFC 8949 §3). `arg` is exact up to 2^53, and ≥ 2^53 beyond. */
interface Head {
  readonly major: number
  readonly ai: number
  readonly arg: number
  readonly headLength: number
}

/** CBOR major types (RFC 8949 §3.1), shared with the database's direct writer (src/db/row-cbor.ts). */
export const MAJOR_UINT = 0
export const MAJOR_NEGINT = 1
export const MAJOR_BYTES = 2
export const MAJOR_TEXT = 3
export const MAJOR_ARRAY = 4
export const MAJOR_MAP = 5
const MAJOR_TAG = 6
const SIMPLE_FALSE = 20
const SIMPLE_TRUE = 21
const SIMPLE_NULL = 22
const SIMPLE_UNDEFINED = 23

/** Smallest argument each long form may carry (§4.2.1 "preferred serialization"). */
const MIN_ARG_FOR_AI: Readonly<Record<number, number>> = { 24: 24, 25: 0x100, 26: 0x1_0000, 27: 0x1_0000_0000 }

/** Fatal: invalid UTF-8 throws. ignoreBOM: a leading U+FEFF is content, not a marker to strip. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function fail(message: string): never {
  throw new ParleyError('DECODE_FAILED', `cbor: ${message}`)
}

/** Parses the head at `pos` (§3: initial byte, then 0/1/2/4/8 argument bytes). */
function readHead(data: Uint8Array, pos: number): Head {
  const initial = data[pos]
  if (initial === undefined) fail('truncated input')
  const major = initial >>> 5
  const ai = initial & 0x1f
  if (ai < 24) return { major, ai, arg: ai, headLength: 1 }
  if (ai === 31) {
    // §3.2: indefinite-length items and the "break" stop code
    if (major === 7) fail('unexpected break stop code')
    fail('indefinite-length items are not allowed')
  }
  if (ai > 27) fail(`reserved additional information ${ai}`)
  const n = 1 << (ai - 24)
  if (pos + 1 + n > data.length) fail('truncated input')
  let arg = 0
  for (let i = 1; i <= n; i++) arg = arg * 256 + (data[pos + i] as number)
  return { major, ai, arg, headLength: 1 + n }
}

/**
 * A `DecodeTokenizer` for cborg's `decodeFirst`: checks each head, then lets
 * cborg's own tokenizer read the item, then tracks nesting for the depth,
 * key-type and key-order rules. Single use.
 */
export class StrictTokenizer implements DecodeTokenizer {
  readonly #data: Uint8Array
  readonly #inner: Tokenizer
  readonly #limits: TokenizerLimits
  readonly #frames: Frame[] = []

  constructor(data: Uint8Array, limits: TokenizerLimits, options: DecodeOptions) {
    this.#data = data
    this.#limits = limits
    this.#inner = new Tokenizer(data, options)
  }

  done(): boolean {
    return this.#inner.done()
  }

  pos(): number {
    return this.#inner.pos()
  }

  next(): Token {
    const data = this.#data
    const start = this.#inner.pos()
    const head = readHead(data, start)
    const parent = this.#frames[this.#frames.length - 1]
    const isKey = parent !== undefined && parent.isMap && parent.seen % 2 === 0
    this.#checkHead(head, start, isKey)

    const token = this.#inner.next()
    const contentLength = head.major === MAJOR_BYTES || head.major === MAJOR_TEXT ? head.arg : 0
    const end = start + head.headLength + contentLength
    if (this.#inner.pos() !== end) {
      throw new ParleyError('INTERNAL', 'cbor: tokenizer out of step with cborg')
    }
    const result = this.#ownToken(token, head, start, end)

    if (isKey) this.#checkKeyOrder(parent, data.subarray(start, end))
    this.#track(head, parent)
    return result
  }

  /** Every refusal that can be decided from the head alone, before any read or allocation. */
  #checkHead(head: Head, start: number, isKey: boolean): void {
    const { major, ai, arg } = head
    if (major === MAJOR_TAG) fail('tags are not allowed')
    if (major === 7) {
      if (ai === SIMPLE_FALSE || ai === SIMPLE_TRUE || ai === SIMPLE_NULL) {
        if (isKey) fail('map keys must be text strings')
        return
      }
      if (ai === SIMPLE_UNDEFINED) fail('undefined is not allowed')
      if (ai >= 25) fail('floating-point numbers are not allowed')
      fail('simple values other than false, true and null are not allowed')
    }
    if (isKey && major !== MAJOR_TEXT) fail('map keys must be text strings')
    const minArg = MIN_ARG_FOR_AI[ai]
    if (minArg !== undefined && arg < minArg) {
      throw new ParleyError('DECODE_NOT_CANONICAL', 'cbor: argument not in its shortest form')
    }
    const remaining = this.#data.length - start - head.headLength
    switch (major) {
      case MAJOR_UINT:
        if (arg > Number.MAX_SAFE_INTEGER) fail('integer outside the safe range')
        return
      case MAJOR_NEGINT:
        // value is -1 - arg; it must be ≥ -(2^53 - 1)
        if (arg > Number.MAX_SAFE_INTEGER - 1) fail('integer outside the safe range')
        return
      case MAJOR_BYTES:
      case MAJOR_TEXT:
        if (arg > remaining) fail('string length runs past the end of the input')
        return
      case MAJOR_ARRAY:
      case MAJOR_MAP: {
        if (this.#frames.length + 1 > this.#limits.maxDepth) {
          throw new ParleyError('DECODE_TOO_DEEP', `cbor: nesting deeper than ${this.#limits.maxDepth}`)
        }
        if (arg > this.#limits.maxItems) {
          throw new ParleyError('DECODE_TOO_LARGE', `cbor: more than ${this.#limits.maxItems} items in one container`)
        }
        // every item takes at least one byte, every map entry at least two
        if ((major === MAJOR_MAP ? 2 * arg : arg) > remaining) fail('container runs past the end of the input')
        return
      }
    }
  }

  /**
   * The token handed to cborg. Text is re-decoded with a fatal, BOM-keeping
   * UTF-8 decoder (cborg's own replaces invalid sequences with U+FFFD and
   * strips a leading BOM). cborg's shared empty-bytes token is replaced so no
   * two decodes share an array.
   */
  #ownToken(token: Token, head: Head, start: number, end: number): Token {
    if (head.major === MAJOR_TEXT && head.arg > 0) {
      let text: string
      try {
        text = utf8.decode(this.#data.subarray(start + head.headLength, end))
      } catch (err) {
        throw new ParleyError('DECODE_FAILED', 'cbor: invalid UTF-8 in text string', { cause: err })
      }
      return new Token(Type.string, text, end - start)
    }
    if (head.major === MAJOR_BYTES && head.arg === 0) return new Token(Type.bytes, new Uint8Array(0), end - start)
    return token
  }

  /** §4.2.1: keys sorted bytewise on their encodings; an equal key is a duplicate (§5.6). */
  #checkKeyOrder(frame: Frame, key: Uint8Array): void {
    if (frame.prevKey !== undefined) {
      const order = compareBytes(frame.prevKey, key)
      if (order === 0) fail('duplicate map key')
      if (order > 0) throw new ParleyError('DECODE_NOT_CANONICAL', 'cbor: map keys not in canonical order')
    }
    frame.prevKey = key
  }

  /** Opens a frame for a non-empty container; closes every frame the item completes. */
  #track(head: Head, parent: Frame | undefined): void {
    if (parent !== undefined) parent.seen++
    if ((head.major === MAJOR_ARRAY || head.major === MAJOR_MAP) && head.arg > 0) {
      const isMap = head.major === MAJOR_MAP
      this.#frames.push({ isMap, total: isMap ? 2 * head.arg : head.arg, seen: 0, prevKey: undefined })
      return
    }
    for (let top = this.#frames.at(-1); top !== undefined && top.seen === top.total; top = this.#frames.at(-1)) {
      this.#frames.pop()
    }
  }
}
